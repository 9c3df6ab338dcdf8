import { describe, expect, it } from 'vitest';
import { call, manualClock, serveForTest } from '../shared/testing';
import { createDvcqgSimulator, type DvcqgSimulatorOptions } from './index';

const DST = { dstcode: 'DVCQG-H56' };
const MADONVI = '000.00.00.H56';

const item = (over: Record<string, unknown> = {}) => ({
  MaHoSo: '000.00.20.H56-260302-0007',
  MaTTHC: '1.012765',
  TenTTHC: 'Đăng ký biến động quyền sử dụng đất',
  MaLinhVuc: 'G13-TN02',
  TenLinhVuc: 'Đất đai',
  KenhThucHien: '1',
  ChuHoSo: 'Nguyễn Văn An',
  LoaiDoiTuong: '1',
  MaDoiTuong: '',
  SoGiayToChuHoSo: '038085001234',
  DinhDanhCHS: [{ LoaiDinhDanh: '1', SoDinhDanh: '038085001234' }],
  Email: '',
  SoDienThoai: '0912345678',
  TrichYeuHoSo: 'Đăng ký biến động do chuyển nhượng - thửa 125 tờ 12',
  NgayTiepNhan: '20260302083000',
  NgayHenTra: '20260316170000',
  TrangThaiHoSo: '2',
  NgayKetThucXuLy: '',
  NgayTra: '',
  HinhThuc: '0',
  DonViXuLy: 'Văn phòng đăng ký đất đai tỉnh',
  DuocThanhToanTrucTuyen: '0',
  HoSoCoThanhPhanSoHoa: '1',
  TaiLieuNop: [{ TenTepDinhKem: 'Hợp đồng chuyển nhượng', DuongDanTaiTepTin: 'https://vbdlis.example/files/8812', DuocSoHoa: '1' }],
  DanhSachLePhi: [],
  DanhSachHoSoBoSung: [],
  DanhSachGiayToKetQua: [],
  ...over,
});

const step = (over: Record<string, unknown> = {}) => ({
  MaHoSo: '000.00.20.H56-260302-0007',
  NguoiXuLy: 'tuanpv',
  ChucDanh: '',
  ThoiDiemXuLy: '20260303090000',
  PhongBanXuLy: 'Văn phòng đăng ký đất đai tỉnh',
  NoiDungXuLy: 'Chuyển thẩm định hồ sơ',
  TrangThai: '4',
  NgayBatDau: '20260303090000',
  NgayKetThucTheoQuyDinh: '20260306170000',
  ...over,
});

async function setup(options: DvcqgSimulatorOptions = {}) {
  const clock = manualClock('2026-03-02T01:30:00Z');
  const sim = createDvcqgSimulator({ now: clock.now, rateLimitPerSecond: 0, ...options });
  const { url } = await serveForTest(sim);
  const login = async () => (await call(`${url}/api/auth`, { method: 'POST', headers: DST, json: { username: 'lienthong-h56', password: 'sandbox-password' } })).body.session as string;
  let session = await login();
  const rpc = (service: string, extra: Record<string, unknown> = {}, madonvi = MADONVI) =>
    call(`${url}/api/integration`, { method: 'POST', headers: DST, json: { session, madonvi, service, ...extra } });
  const sync = (data: unknown[], isUpdating = 'False') => rpc('DongBoHoSoMC', { isUpdating, data });
  const steps = (data: unknown[]) => rpc('CapNhatTienDoHoSoMC', { data });
  return { sim, url, clock, rpc, sync, steps, relogin: async () => (session = await login()) };
}

describe('dvcqg: transport and session', () => {
  it('refuses calls without the configured dstcode', async () => {
    const { url } = await setup();
    const res = await call(`${url}/api/auth`, { method: 'POST', json: { username: 'lienthong-h56', password: 'sandbox-password' } });
    expect(res.status).toBe(400);
    const wrong = await call(`${url}/api/auth`, { method: 'POST', headers: { dstcode: 'X' }, json: { username: 'lienthong-h56', password: 'sandbox-password' } });
    expect(wrong.status).toBe(400);
  });

  it('answers error_code 1 with HTTP 200 on wrong credentials', async () => {
    const { url } = await setup();
    const res = await call(`${url}/api/auth`, { method: 'POST', headers: DST, json: { username: 'lienthong-h56', password: 'x' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ error_code: 1, message: 'Sai tên đăng nhập hoặc mật khẩu' });
  });

  it('answers error_code -1 for an unknown session and once the 30-minute session expired', async () => {
    const { url, rpc, clock, relogin } = await setup();
    const unknown = await call(`${url}/api/integration`, { method: 'POST', headers: DST, json: { session: 'nope', madonvi: MADONVI, service: 'LayThuTuc', MaTTHC: '1.012765' } });
    expect(unknown.body).toEqual({ error_code: -1, message: 'Phiên làm việc không hợp lệ' });
    expect((await rpc('LayThuTuc', { MaTTHC: '1.012765' })).body.error_code).toBe(0);
    clock.advance(29 * 60_000);
    expect((await rpc('LayThuTuc', { MaTTHC: '1.012765' })).body.error_code).toBe(0);
    clock.advance(60_000);
    const expired = await rpc('LayThuTuc', { MaTTHC: '1.012765' });
    expect(expired.status).toBe(200);
    expect(expired.body.error_code).toBe(-1);
    await relogin();
    expect((await rpc('LayThuTuc', { MaTTHC: '1.012765' })).body.error_code).toBe(0);
  });

  it('refuses a malformed call, an unknown service and a foreign madonvi with error_code 2', async () => {
    const { url, rpc } = await setup();
    const notJson = await call(`${url}/api/integration`, { method: 'POST', headers: { ...DST, 'content-type': 'application/json' }, body: '{' });
    expect(notJson.body.error_code).toBe(2);
    expect((await rpc('XoaHoSo')).body.error_code).toBe(2);
    expect((await rpc('LayThuTuc', { MaTTHC: '1.012765' }, '000.00.00.H29')).body.error_code).toBe(2);
  });
});

describe('dvcqg: DongBoHoSoMC', () => {
  it('creates, refuses a second create with 3 or -3, and updates', async () => {
    const { sync, sim } = await setup();
    const created = await sync([item()]);
    expect(created.body).toEqual({ error_code: 0, message: 'Thành công', result: [{ MaHoSo: '000.00.20.H56-260302-0007', error_code: 0, message: 'Thành công' }] });
    const codes = new Set<number>();
    for (let i = 0; i < 12; i++) {
      const again = await sync([item()]);
      expect(again.body.error_code).toBe(0);
      expect(again.body.result[0].message).toBe('Hồ sơ đã tồn tại');
      codes.add(again.body.result[0].error_code);
    }
    expect([...codes].sort()).toEqual([-3, 3]);
    const updated = await sync([item({ TrangThaiHoSo: '4' })], 'True');
    expect(updated.body.result[0].error_code).toBe(0);
    expect(sim.state.dossier('000.00.20.H56-260302-0007')?.['TrangThaiHoSo']).toBe('4');
  });

  it('answers item error 2 "Hồ sơ không tồn tại" to an update of a missing dossier', async () => {
    const { sync } = await setup();
    const res = await sync([item()], 'True');
    expect(res.body.result[0]).toEqual({ MaHoSo: '000.00.20.H56-260302-0007', error_code: 2, message: 'Hồ sơ không tồn tại' });
  });

  it('judges each item on its own, answering in order', async () => {
    const { sync, sim } = await setup();
    const res = await sync([item({ MaHoSo: '000.00.20.H56-260302-0001' }), item({ MaHoSo: 'VPDK-260302-0042' }), item({ MaHoSo: 'H56.14-260302-0003' })]);
    expect(res.body.error_code).toBe(0);
    expect(res.body.result.map((r: { error_code: number }) => r.error_code)).toEqual([0, 2, 0]);
    expect(res.body.result.map((r: { MaHoSo: string }) => r.MaHoSo)).toEqual(['000.00.20.H56-260302-0001', 'VPDK-260302-0042', 'H56.14-260302-0003']);
    expect(sim.state.dossiers()).toHaveLength(2);
  });

  const violations: [string, Record<string, unknown>, string][] = [
    ['a number where a string is required', { TrangThaiHoSo: 2 }, 'TrangThaiHoSo'],
    ['null for an absent value', { NgayTra: null }, 'NgayTra'],
    ['a MaHoSo not issued by the province system', { MaHoSo: 'HT-380-2603-000117' }, 'MaHoSo'],
    ['a MaHoSo of another province', { MaHoSo: '000.00.20.H29-260302-0007' }, 'MaHoSo'],
    ['a procedure missing from the catalogue', { MaTTHC: '1.999999' }, 'MaTTHC'],
    ['a procedure name that differs from the catalogue', { TenTTHC: 'Đăng ký biến động đất' }, 'TenTTHC'],
    ['a sector that differs from the catalogue', { MaLinhVuc: 'G13-TN01' }, 'MaLinhVuc'],
    ['LoaiDoiTuong 0 (the province’s list, not the portal’s)', { LoaiDoiTuong: '0' }, 'LoaiDoiTuong'],
    ['KenhThucHien 4', { KenhThucHien: '4' }, 'KenhThucHien'],
    ['HinhThuc 2', { HinhThuc: '2' }, 'HinhThuc'],
    ['TrangThaiHoSo 11', { TrangThaiHoSo: '11' }, 'TrangThaiHoSo'],
    ['NgayTiepNhan missing', { NgayTiepNhan: '' }, 'NgayTiepNhan'],
    ['NgayTiepNhan in the province format', { NgayTiepNhan: '2026-03-02 08:30:00' }, 'NgayTiepNhan'],
    ['NgayHenTra not a real date', { NgayHenTra: '20260230170000' }, 'NgayHenTra'],
    ['status 9 without NgayKetThucXuLy', { TrangThaiHoSo: '9' }, 'NgayKetThucXuLy'],
    ['status 3 without NgayKetThucXuLy', { TrangThaiHoSo: '3' }, 'NgayKetThucXuLy'],
    ['status 10 without NgayTra', { TrangThaiHoSo: '10', NgayKetThucXuLy: '20260316150000' }, 'NgayTra'],
    ['TrichYeuHoSo over 1000', { TrichYeuHoSo: 'ơ'.repeat(1001) }, 'TrichYeuHoSo'],
    ['LoaiDinhDanh 1 with a 9-digit ID', { DinhDanhCHS: [{ LoaiDinhDanh: '1', SoDinhDanh: '172345678' }] }, 'LoaiDinhDanh'],
    ['LoaiDinhDanh 2 with a 12-digit ID', { DinhDanhCHS: [{ LoaiDinhDanh: '2', SoDinhDanh: '038085001234' }] }, 'LoaiDinhDanh'],
    ['LoaiDinhDanh 3 with a personal ID', { DinhDanhCHS: [{ LoaiDinhDanh: '3', SoDinhDanh: '038085001234' }] }, 'LoaiDinhDanh'],
    ['a list item field as a number', { TaiLieuNop: [{ TenTepDinhKem: 'x', DuongDanTaiTepTin: 'y', DuocSoHoa: 1 }] }, 'DuocSoHoa'],
    ['DuocThanhToanTrucTuyen 3', { DuocThanhToanTrucTuyen: '3' }, 'DuocThanhToanTrucTuyen'],
    ['HoSoCoThanhPhanSoHoa 2', { HoSoCoThanhPhanSoHoa: '2' }, 'HoSoCoThanhPhanSoHoa'],
    ['a fee amount that is not a number', { DanhSachLePhi: [{ TenPhiLePhi: 'Lệ phí', MaPhiLePhi: '', Gia: '100.000đ', HinhThucThu: '', LoaiPhiLePhi: '' }] }, 'Gia'],
    ['a supplement date malformed', { DanhSachHoSoBoSung: [{ NgayYeuCauBoSung: '2026-03-03', NoiDungBoSung: 'x', NgayTiepNhanBoSung: '', NgayHenTraTruoc: '', NgayHenTraMoi: '' }] }, 'NgayYeuCauBoSung'],
  ];
  it.each(violations)('answers item error 2 naming the field for %s', async (_name, over, field) => {
    const { sync, sim } = await setup();
    const res = await sync([item(over)]);
    expect(res.status).toBe(200);
    expect(res.body.error_code).toBe(0);
    expect(res.body.result[0].error_code).toBe(2);
    expect(res.body.result[0].message).toContain(field);
    expect(sim.state.dossiers()).toHaveLength(0);
  });

  it('accepts the other identifier kinds and a household business without DinhDanhCHS', async () => {
    const { sync } = await setup();
    const res = await sync([
      item({ MaHoSo: '000.00.20.H56-260302-0001', DinhDanhCHS: [{ LoaiDinhDanh: '2', SoDinhDanh: '172345678' }] }),
      item({ MaHoSo: '000.00.20.H56-260302-0002', LoaiDoiTuong: '2', DinhDanhCHS: [{ LoaiDinhDanh: '3', SoDinhDanh: '0101234567' }] }),
      item({ MaHoSo: '000.00.20.H56-260302-0003', LoaiDoiTuong: '2', SoGiayToChuHoSo: '38H8001234', DinhDanhCHS: [] }),
      item({ MaHoSo: '000.00.20.H56-260302-0004', TrangThaiHoSo: '10', NgayKetThucXuLy: '20260316150000', NgayTra: '20260317090000' }),
    ]);
    expect(res.body.result.map((r: { error_code: number }) => r.error_code)).toEqual([0, 0, 0, 0]);
  });

  it('refuses more than 50 dossiers and a non-string isUpdating at the call level', async () => {
    const { sync, rpc } = await setup();
    const many = Array.from({ length: 51 }, (_, i) => item({ MaHoSo: `000.00.20.H56-260302-${String(i + 1).padStart(4, '0')}` }));
    const tooMany = await sync(many);
    expect(tooMany.body.error_code).toBe(2);
    expect(tooMany.body.result).toBeUndefined();
    expect((await sync(many.slice(0, 50))).body.result).toHaveLength(50);
    expect((await rpc('DongBoHoSoMC', { isUpdating: false, data: [item()] })).body.error_code).toBe(2);
  });
});

describe('dvcqg: progress, look-up, catalogue', () => {
  it('replaces a step sent again with the same (MaHoSo, ThoiDiemXuLy, TrangThai)', async () => {
    const { sync, steps, rpc } = await setup();
    await sync([item()]);
    expect((await steps([step()])).body.result[0].error_code).toBe(0);
    expect((await steps([step({ NoiDungXuLy: 'Chuyển thẩm định (sửa)' })])).body.result[0].error_code).toBe(0);
    await steps([step({ TrangThai: '5' })]);
    const held = (await rpc('TraCuuHoSo', { MaHoSo: '000.00.20.H56-260302-0007' })).body;
    expect(held.error_code).toBe(0);
    expect(held.result[0].TienDo).toEqual([step({ NoiDungXuLy: 'Chuyển thẩm định (sửa)' }), step({ TrangThai: '5' })]);
    expect(held.result[0].MaTTHC).toBe('1.012765');
  });

  it('answers item error 2 for a step of an unknown dossier or with bad fields, and refuses more than 10 steps', async () => {
    const { sync, steps } = await setup();
    await sync([item()]);
    const res = await steps([step({ MaHoSo: '000.00.20.H56-260302-0099' }), step({ NguoiXuLy: 'x'.repeat(51) }), step({ ThoiDiemXuLy: '' }), step({ TrangThai: 4 }), step()]);
    expect(res.body.result.map((r: { error_code: number }) => r.error_code)).toEqual([2, 2, 2, 2, 0]);
    expect(res.body.result[1].message).toContain('NguoiXuLy');
    expect(res.body.result[2].message).toContain('ThoiDiemXuLy');
    expect((await steps(Array.from({ length: 11 }, (_, i) => step({ ThoiDiemXuLy: `202603030900${String(i).padStart(2, '0')}` })))).body.error_code).toBe(2);
    expect((await steps(Array.from({ length: 10 }, (_, i) => step({ ThoiDiemXuLy: `202603030900${String(i).padStart(2, '0')}` })))).body.result).toHaveLength(10);
  });

  it('answers TraCuuHoSo with [] for an unknown code and LayThuTuc in the catalogue’s uppercase shape', async () => {
    const { rpc } = await setup();
    expect((await rpc('TraCuuHoSo', { MaHoSo: '000.00.20.H56-260302-0001' })).body).toEqual({ error_code: 0, result: [] });
    const entry = (await rpc('LayThuTuc', { MaTTHC: '1.012765' })).body;
    expect(entry).toEqual({
      error_code: 0,
      result: [
        {
          MATTHC: '1.012765',
          TENTTHC: 'Đăng ký biến động quyền sử dụng đất',
          LINHVUCTHUCHIEN: [{ MALINHVUC: 'G13-TN02', TENLINHVUC: 'Đất đai' }],
          CACHTHUCTHUCHIEN: expect.arrayContaining([{ KENH: '1', THOIGIAN: [{ THOIGIANGIAIQUYET: '10', DONVITINH: 'Ngày làm việc' }] }]),
        },
      ],
    });
    expect((await rpc('LayThuTuc', { MaTTHC: '9.999999' })).body).toEqual({ error_code: 0, result: [] });
  });
});

describe('dvcqg: infrastructure', () => {
  it('answers HTTP 429 with Retry-After and no JSON beyond the per-madonvi limit', async () => {
    const { rpc } = await setup({ rateLimitPerSecond: 2 });
    const a = [await rpc('LayThuTuc', { MaTTHC: '1.012765' }), await rpc('LayThuTuc', { MaTTHC: '1.012765' }), await rpc('LayThuTuc', { MaTTHC: '1.012765' })];
    expect(a.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(Number(a[2]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(a[2]!.text).toBe('');
    expect((await rpc('LayThuTuc', { MaTTHC: '1.012765' }, 'H56.14')).status).toBe(200);
  });

  it('turns the 5xx fault into 502/503 without JSON or a 200 with error_code 99, carrying nothing out', async () => {
    const { sim, sync } = await setup();
    sim.setFaults({ rate: 1, seed: 11, kinds: ['5xx'] });
    const seen = new Set<string>();
    for (let i = 0; i < 15; i++) {
      const res = await sync([item()]);
      if (res.status === 200) {
        expect(res.body).toMatchObject({ error_code: 99 });
        seen.add('99');
      } else {
        expect([502, 503]).toContain(res.status);
        expect(res.headers.get('content-type') ?? '').not.toContain('json');
        seen.add(String(res.status));
      }
    }
    expect(seen.size).toBeGreaterThanOrEqual(2);
    expect(sim.state.dossiers()).toHaveLength(0);
    expect(sim.faultCounts()['5xx']).toBe(15);
  });

  it('an ambiguous sync is carried out though the caller never hears; the retry gets "Hồ sơ đã tồn tại"', async () => {
    const { sim, sync } = await setup();
    sim.setFaults({ rate: 1, seed: 1, kinds: ['ambiguous'], max: 1, paths: ['/api/integration'] });
    await expect(sync([item()])).rejects.toThrow();
    expect(sim.state.dossiers()).toHaveLength(1);
    const retry = await sync([item()]);
    expect([3, -3]).toContain(retry.body.result[0].error_code);
  });

  it('logs each call with its service and the error codes it answered, faulted calls included', async () => {
    const { sim, sync, steps, url } = await setup();
    sim.setFaults({ rate: 1, seed: 1, kinds: ['5xx'], serverError: '99', max: 1, bodyIncludes: ['"service":"CapNhatTienDoHoSoMC"'] });
    await sync([item()]);
    await sync([item()]);
    expect((await steps([step()])).body.error_code).toBe(99);
    await steps([step(), step({ MaHoSo: '000.00.20.H56-260302-9999' })]);
    const logged = sim.requests().map((r) => [r.path, r.call, r.answer, r.fault]);
    expect(logged[0]).toEqual(['/api/auth', undefined, '0', undefined]);
    expect(logged[1]).toEqual(['/api/integration', 'DongBoHoSoMC isUpdating=False', '0 [0]', undefined]);
    expect(logged[2]![2]).toMatch(/^0 \[-?3\]$/);
    expect(logged[3]).toEqual(['/api/integration', 'CapNhatTienDoHoSoMC', '99', '5xx']);
    expect(logged[4]).toEqual(['/api/integration', 'CapNhatTienDoHoSoMC', '0 [0,2]', undefined]);
    expect((await call(`${url}/__sandbox/requests`)).body.requests).toHaveLength(5);
  });

  it('refuses the old password once changed, and forgets a removed dossier', async () => {
    const { sim, url, sync, steps } = await setup();
    await sync([item()]);
    sim.setPassword('rotated');
    const login = (password: string) => call(`${url}/api/auth`, { method: 'POST', headers: DST, json: { username: 'lienthong-h56', password } });
    expect((await login('sandbox-password')).body.error_code).toBe(1);
    expect((await login('rotated')).body.error_code).toBe(0);
    expect(sim.state.remove('000.00.20.H56-260302-0007')).toBe(true);
    expect(sim.state.remove('000.00.20.H56-260302-0007')).toBe(false);
    expect((await sync([item()], 'True')).body.result[0]).toMatchObject({ error_code: 2, message: 'Hồ sơ không tồn tại' });
    expect((await steps([step()])).body.result[0]).toMatchObject({ error_code: 2, message: 'Hồ sơ không tồn tại' });
    sim.reset();
    expect((await login('sandbox-password')).body.error_code).toBe(0);
  });

  it('lets a test change a held dossier and exposes state over the control route', async () => {
    const { sim, sync, url, rpc } = await setup();
    await sync([item()]);
    sim.state.tamper('000.00.20.H56-260302-0007', (d) => {
      d.fields['TrangThaiHoSo'] = '8';
    });
    expect((await rpc('TraCuuHoSo', { MaHoSo: '000.00.20.H56-260302-0007' })).body.result[0].TrangThaiHoSo).toBe('8');
    const state = await call(`${url}/__sandbox/state`);
    expect(state.body.dossiers[0].MaHoSo).toBe('000.00.20.H56-260302-0007');
  });
});
