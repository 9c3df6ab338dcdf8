import type { RunningSandbox } from '../../sandbox';
import { CIVIL_STATUS_PROCEDURES, NATIONAL_CATALOG } from '../../sandbox/catalog';
import { checkSource, vnTimes, type Check, type Expected } from './world';

/** What the targets must hold of the civil-status system's dossiers (sources/civil-status.md). */
const CIVIL_TO_NATIONAL: Record<number, number> = { 1: 1, 2: 5, 3: 4, 4: 9, 6: 3 };

/** `dd/MM/yyyy HH:mm:ss` Vietnam time -> epoch ms. */
function vnEpoch(value: string): number {
  const [, d, mo, y, h, mi, s] = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(value)!.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h! - 7, mi!, s!);
}

function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  if (!m) return undefined;
  return m[1]!
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .normalize('NFC');
}

function ownerName(module: string, xml: string): string {
  if (module === 'LTKS') return xmlText(xml, 'nksHoTen') ?? xmlText(xml, 'nycHoTen')!;
  if (module === 'LTKT') return xmlText(xml, 'nktHoTen') ?? xmlText(xml, 'nycHoTen')!;
  return `${xmlText(xml, 'chongHoTen')} - ${xmlText(xml, 'voHoTen')}`;
}

export function checkCivilStatus(sandbox: RunningSandbox): Check {
  const expected = sandbox.civilStatus.sim.state.dossiers().map((src): Expected | { code: string; notHeld: string } => {
    if (!Object.hasOwn(CIVIL_STATUS_PROCEDURES, src.maTTHC)) return { code: src.maHoSo, notHeld: 'unmapped' };
    if (src.ngayTiepNhan === null) return { code: src.maHoSo, notHeld: 'not received' };
    const national = CIVIL_STATUS_PROCEDURES[src.maTTHC]!;
    const status = CIVIL_TO_NATIONAL[src.trangThai]!;
    const received = vnTimes(vnEpoch(src.ngayTiepNhan));
    return {
      code: src.maHoSo,
      steps: src.lichSu.map((h) => `${vnEpoch(h.thoiGianThucHien) / 1000}|${CIVIL_TO_NATIONAL[h.trangThai]}`),
      stepContents: src.lichSu.map((h) => h.noiDungXuLy.normalize('NFC')),
      province: { TrangThai: status, MaTTHC: national, NgayTiepNhan: received.province },
      portal: {
        MaTTHC: national,
        TenTTHC: NATIONAL_CATALOG[national]!.name,
        MaLinhVuc: NATIONAL_CATALOG[national]!.sectorCode,
        TrangThaiHoSo: String(status),
        KenhThucHien: String(src.kenhNop),
        ChuHoSo: ownerName(src.module, src.data),
        NgayTiepNhan: received.compact,
        NgayHenTra: src.ngayHenTra ? vnTimes(vnEpoch(src.ngayHenTra)).compact : '',
        LoaiDoiTuong: '1',
      },
    };
  });
  return checkSource(sandbox, 'civil-status', expected);
}
