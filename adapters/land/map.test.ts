import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dossierDraft } from '../../contracts';
import { MappingError } from '../../src/lib/errors';
import { foldLand, toLandFragment, type LandFragment } from './map';

const lines = readFileSync(new URL('./fixtures/land-events.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { event: string; body: Record<string, unknown> });
const office = { code: '000.00.20.H56', name: 'Văn phòng đăng ký đất đai tỉnh Thanh Hóa' };
const fragments = (order: number[]) => order.map((i) => toLandFragment(lines[i]!.event, JSON.stringify(lines[i]!.body)).fragment);
const byTime = (f: LandFragment[]) => [...f].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));

describe('land mapping', () => {
  it('reads times in UTC without an offset as Vietnam time', () => {
    const r = toLandFragment('TiepNhanHoSo', JSON.stringify(lines[0]!.body));
    expect(r.externalId).toBe('VPDK-260305-0113');
    expect(r.sourceTime).toBe('2026-03-05T16:55:00+07:00');
    expect(toLandFragment('ChuyenHoSo', JSON.stringify(lines[1]!.body)).sourceTime).toBe('2026-03-05T17:20:00.417+07:00');
  });

  it('folds the sample dossier: reception, steps, supplement with a new due date, result', () => {
    const d = foldLand(byTime(fragments([0, 1, 2, 3, 4])), office)!;
    expect(d.source).toEqual({ system: 'land', externalId: 'VPDK-260305-0113' });
    expect(d.summary).toBe('Tách thửa đất - thửa 88 tờ 05, 89 tờ 05');
    expect(d.applicant).toEqual({ kind: 'CITIZEN', name: 'Hoàng Thị Thu', ids: [{ type: 'CCCD', value: '038175000981' }], phone: '0905000111', email: 'thu.ht@example.vn', address: 'Số 14 đường Lê Lai' });
    expect(d.owner).toEqual(d.applicant);
    expect(d.receivingAgency).toEqual(office);
    expect(d.channel).toBe('ONLINE');
    expect(d.receivedAt).toBe('2026-03-05T16:55:00+07:00');
    expect(d.status).toBe('RESULT_READY');
    expect(d.completedAt).toBe('2026-03-20T10:00:00+07:00');
    expect(d.dueAt).toBe('2026-03-21T17:00:00+07:00');
    expect(d.pauses).toEqual([
      {
        kind: 'SUPPLEMENT',
        requestedAt: '2026-03-09T09:00:00+07:00',
        resumedAt: '2026-03-11T15:30:00+07:00',
        note: 'Bổ sung văn bản thỏa thuận của các đồng sử dụng',
        dueBefore: '2026-03-19T17:00:00+07:00',
        dueAfter: '2026-03-21T17:00:00+07:00',
      },
    ]);
    expect(d.events.map((e) => e.status)).toEqual(['ACCEPTED', 'IN_PROGRESS', 'AWAITING_SUPPLEMENT', 'IN_PROGRESS', 'RESULT_READY']);
    expect(d.events[1]).toMatchObject({ actor: 'namnv', content: 'Chuyển đo đạc thực địa', stepDueAt: '2026-03-10T17:00:00+07:00' });
    expect(d.results.map((r) => r.url)).toEqual(['https://vbdlis.example/files/9550', 'https://vbdlis.example/files/9551']);
    if (d.sector.kind !== 'land') throw new Error('sector');
    expect(d.sector.parcels).toEqual([
      { parcelNumber: '88', mapSheet: '05', areaM2: 320, address: 'Số 14 đường Lê Lai' },
      { parcelNumber: '89', mapSheet: '05', areaM2: 180.25, address: 'Số 14 đường Lê Lai' },
    ]);
    expect(d.sector.adminUnit).toEqual({ province: '38', district: '380', commune: '16066' });
    expect(dossierDraft.omit({ version: true }).safeParse(d).success).toBe(true);
  });

  it('is not a dossier until TiepNhanHoSo arrives, and gives the same dossier whatever the arrival order', () => {
    expect(foldLand(byTime(fragments([4, 1])), office)).toBeNull();
    const inOrder = foldLand(byTime(fragments([0, 1, 2, 3, 4])), office);
    const shuffled = foldLand(byTime(fragments([4, 2, 0, 3, 1])), office);
    expect(shuffled).toEqual(inOrder);
  });

  it('moves a dossier to awaiting payment on a tax notice and closes it as withdrawn', () => {
    const tax = toLandFragment('GuiKetQuaThue', JSON.stringify({ SoBienNhan: 'VPDK-260305-0113', NgayCoKetQuaThue: '2026-03-12T04:00:00', DanhSachThongBaoThue: [{ HoTenChu: 'Hoàng Thị Thu', LoaiThue: 'Thuế TNCN', SoThongBaoThue: 'TB-1', DuongDanThongBaoThue: 'https://vbdlis.example/files/1' }] })).fragment;
    const withPayment = foldLand(byTime([...fragments([0, 1]), tax]), office)!;
    expect(withPayment.status).toBe('AWAITING_PAYMENT');
    if (withPayment.sector.kind !== 'land') throw new Error('sector');
    expect(withPayment.sector.taxNotices).toEqual([{ ownerName: 'Hoàng Thị Thu', taxType: 'Thuế TNCN', noticeNumber: 'TB-1', url: 'https://vbdlis.example/files/1' }]);
    const withdraw = toLandFragment('KetThucHoSo', JSON.stringify({ SoBienNhan: 'VPDK-260305-0113', NgayKetThuc: '2026-03-13T04:00:00', MaCanBoXuLy: 'namnv', TrangThaiKetThuc: 1, DanhSachGiayToKetQua: [] })).fragment;
    const closed = foldLand(byTime([...fragments([0, 1]), tax, withdraw]), office)!;
    expect(closed.status).toBe('WITHDRAWN');
    expect(closed.pauses.find((p) => p.kind === 'FINANCIAL_OBLIGATION')).toMatchObject({ resumedAt: '2026-03-13T11:00:00+07:00' });
  });

  it('refuses what it cannot read with a reason', () => {
    expect(() => toLandFragment('XoaHoSo', '{}')).toThrow(/unknown event "XoaHoSo"/);
    expect(() => toLandFragment('ChuyenHoSo', '{')).toThrow(MappingError);
    expect(() => toLandFragment('ChuyenHoSo', '[]')).toThrow(/JSON object/);
    expect(() => toLandFragment('ChuyenHoSo', JSON.stringify({ NgayChuyen: '2026-03-03T02:00:00' }))).toThrow(/SoBienNhan/);
    expect(() => toLandFragment('ChuyenHoSo', JSON.stringify({ SoBienNhan: 'X', NgayChuyen: '2026-03-03T09:00:00+07:00' }))).toThrow(/UTC/);
    expect(() => toLandFragment('KetThucHoSo', JSON.stringify({ SoBienNhan: 'X', NgayKetThuc: '2026-03-03T02:00:00', TrangThaiKetThuc: 7 }))).toThrow(/TrangThaiKetThuc/);
    expect(() => toLandFragment('TiepNhanHoSo', JSON.stringify({ ...lines[0]!.body, KenhTiepNhan: 'online' }))).toThrow();
  });
});
