import type { RunningSandbox } from '../../sandbox';
import { LAND_PROCEDURES, NATIONAL_CATALOG } from '../../sandbox/catalog';
import { checkSource, vnTimes, type Check, type Expected, type PushedSteps } from './world';

/** What the targets must hold of the land system's dossiers (sources/land.md, canonical.md). */
const EVENT_STATUS: Record<string, number> = { TiepNhanHoSo: 2, ChuyenHoSo: 4, YeuCauBoSungHoSo: 5, NhanBoSungHoSo: 4, GuiKetQuaThue: 6 };

type Body = Record<string, unknown>;
/** .NET `DateTime` in UTC without an offset -> epoch ms. */
const utcNaive = (value: unknown) => Date.parse(`${String(value)}Z`);

/** When each event first reached the gateway: its first attempt sent, the end of its first acknowledged one. */
function arrivals(sandbox: RunningSandbox) {
  const byEvent = new Map<number, { sent: number; acknowledged: number }>();
  for (const p of sandbox.land.sim.state.pushes()) {
    const a = byEvent.get(p.eventId) ?? { sent: Infinity, acknowledged: Infinity };
    if (p.outcome !== 'not-sent') a.sent = Math.min(a.sent, p.startedAt);
    if (p.outcome === 'acknowledged') a.acknowledged = Math.min(a.acknowledged, p.endedAt);
    byEvent.set(p.eventId, a);
  }
  return byEvent;
}

/** `reorderWindowSeconds`: the gateway's land reorder window (a step later than it may follow its successor). */
export function checkLand(sandbox: RunningSandbox, reorderWindowSeconds: number): Check {
  const office = sandbox.credentials.land.office;
  const reached = arrivals(sandbox);
  const expected = sandbox.land.sim.state.dossiers().map((src): Expected | { code: string; notHeld: string } => {
    if (!Object.hasOwn(LAND_PROCEDURES, src.maQuyTrinh)) return { code: src.soBienNhan, notHeld: 'unmapped' };
    const national = LAND_PROCEDURES[src.maQuyTrinh]!;
    const statusOf = (e: { event: string; body: unknown }) =>
      e.event === 'KetThucHoSo' ? ((e.body as unknown as Body)['TrangThaiKetThuc'] === 1 ? 7 : 9) : EVENT_STATUS[e.event]!;
    const reception = src.events.find((e) => e.event === 'TiepNhanHoSo')!;
    const r = reception.body as unknown as Body;
    const person = r['ThongTinNguoiNopDon'] as unknown as Body;
    const parcels = (r['ThongTinThuaDat'] as unknown as Body[]).map((p) => `${p['SoThuTuThua']} tờ ${p['SoHieuBanDo']}`);
    const name = String((r['ThongTinQuyTrinh'] as unknown as Body)['TenQuyTrinh']).normalize('NFC');
    const last = src.events.at(-1)!;
    const status = statusOf(last);
    let due = utcNaive(r['NgayHenTra']);
    for (const e of src.events) if (e.event === 'NhanBoSungHoSo') due = utcNaive((e.body as unknown as Body)['NgayHenTraMoi']);
    const end = src.events.find((e) => e.event === 'KetThucHoSo');
    const results = end ? ((end.body as unknown as Body)['DanhSachGiayToKetQua'] as unknown as Body[] | null) ?? [] : [];
    const supplements = src.events.filter((e) => e.event === 'YeuCauBoSungHoSo').length;
    const received = vnTimes(reception.at);
    const pushed: PushedSteps = {
      firstSentAt: src.events.map((e) => reached.get(e.id)?.sent ?? Infinity),
      acknowledgedAt: src.events.map((e) => reached.get(e.id)?.acknowledged ?? Infinity),
      reorderWindowMs: reorderWindowSeconds * 1000,
    };
    return {
      code: src.soBienNhan,
      steps: src.events.map((e) => `${Math.floor(e.at / 1000)}|${statusOf(e)}`),
      pushed,
      province: { TrangThai: status, MaTTHC: national, NgayTiepNhan: received.province, MaDonViTiepNhan: office.code, LoaiDoiTuong: 0 },
      portal: {
        MaTTHC: national,
        TenTTHC: NATIONAL_CATALOG[national]!.name,
        MaLinhVuc: NATIONAL_CATALOG[national]!.sectorCode,
        TrangThaiHoSo: String(status),
        KenhThucHien: String(r['KenhTiepNhan']),
        ChuHoSo: String(person['HoTen']).normalize('NFC').trim(),
        SoGiayToChuHoSo: String(person['SoChungMinh']),
        LoaiDoiTuong: '1',
        TrichYeuHoSo: parcels.length ? `${name} - thửa ${parcels.join(', ')}` : name,
        NgayTiepNhan: received.compact,
        NgayHenTra: vnTimes(due).compact,
      },
      portalCheck(n) {
        const problems: string[] = [];
        const ids = n['DinhDanhCHS'] as { LoaiDinhDanh: string; SoDinhDanh: string }[];
        const id = String(person['SoChungMinh']);
        if (JSON.stringify(ids) !== JSON.stringify([{ LoaiDinhDanh: id.length === 12 ? '1' : '2', SoDinhDanh: id }])) problems.push(`portal DinhDanhCHS ${JSON.stringify(ids)}`);
        const held = (n['DanhSachGiayToKetQua'] as unknown as Body[]).map((d) => d['DuongDanTepTinKetQua']);
        const wanted = results.map((d) => d['LinkFile']).filter(Boolean);
        if (JSON.stringify(held) !== JSON.stringify(wanted)) problems.push(`portal result documents ${JSON.stringify(held)} instead of ${JSON.stringify(wanted)}`);
        const asked = (n['DanhSachHoSoBoSung'] as unknown as Body[]).length;
        if (asked !== supplements) problems.push(`portal holds ${asked} supplement requests instead of ${supplements}`);
        return problems;
      },
    };
  });
  return checkSource(sandbox, 'land', expected);
}
