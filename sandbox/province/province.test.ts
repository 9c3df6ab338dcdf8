import { describe, expect, it } from 'vitest';
import { call, manualClock, serveForTest } from '../shared/testing';
import { createProvinceSimulator, type ProvinceSimulatorOptions } from './index';

const CREATED_AT = '2026-03-02T01:30:00Z'; // 08:30 Vietnam time

const dossier = (over: Record<string, unknown> = {}) => ({
  MaHoSoNguon: 'VPDK-260302-0042',
  HeThongNguon: 'land',
  MaTTHC: '1.012765',
  TenTTHC: 'Đăng ký biến động quyền sử dụng đất',
  MaLinhVuc: 'G13-TN02',
  MaDonViTiepNhan: '000.00.20.H56',
  LoaiDoiTuong: 0,
  ChuHoSo: { HoTen: 'Nguyễn Văn An', SoDinhDanh: '038085001234', SoDienThoai: '0912345678', Email: null, DiaChi: 'Thôn 3, xã Quảng Phú' },
  NguoiNop: { HoTen: 'Nguyễn Văn An', SoDinhDanh: '038085001234', SoDienThoai: '0912345678', Email: null, DiaChi: 'Thôn 3, xã Quảng Phú' },
  TrichYeu: 'Đăng ký biến động do chuyển nhượng - thửa 125 tờ 12',
  KenhThucHien: 1,
  HinhThucTraKetQua: 0,
  NgayNop: '2026-03-02 08:30:00',
  NgayTiepNhan: '2026-03-02 08:30:00',
  NgayHenTra: '2026-03-16 17:00:00',
  TrangThai: 2,
  ThanhPhanHoSo: [{ TenGiayTo: 'Hợp đồng chuyển nhượng', DuongDan: 'https://vbdlis.example/files/8812', DuocSoHoa: 1 }],
  LePhi: [],
  DuLieuChuyenNganh: {},
  ...over,
});

const step = (over: Record<string, unknown> = {}) => ({
  NguoiXuLy: 'Phạm Thu Trang',
  ChucDanh: 'Công chức tư pháp - hộ tịch',
  PhongBanXuLy: 'UBND xã Quảng Phú',
  NoiDungXuLy: 'Đã đăng ký khai sinh',
  TrangThai: 9,
  ThoiDiemXuLy: '2026-03-02T10:41:00+07:00',
  NgayBatDau: '2026-03-02T08:05:10+07:00',
  NgayKetThucTheoQuyDinh: '2026-03-02T17:00:00+07:00',
  ...over,
});

async function setup(options: ProvinceSimulatorOptions = {}) {
  const clock = manualClock(CREATED_AT);
  const sim = createProvinceSimulator({ now: clock.now, rateLimitPerSecond: 0, ...options });
  const { url } = await serveForTest(sim);
  const login = async () => {
    const res = await call(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=lienthong&client_secret=sandbox-secret',
    });
    return res.body.access_token as string;
  };
  let token = await login();
  const api = (path: string, init: RequestInit & { json?: unknown } = {}) =>
    call(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
  const create = (over: Record<string, unknown> = {}) => api('/api/v1/hoso', { method: 'POST', json: dossier(over) });
  return { sim, url, clock, api, create, relogin: async () => (token = await login()) };
}

describe('province: token', () => {
  it('issues a bearer token for the right client and refuses wrong credentials', async () => {
    const { url } = await setup();
    const good = await call(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=lienthong&client_secret=sandbox-secret',
    });
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(typeof good.body.access_token).toBe('string');
    const bad = await call(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=lienthong&client_secret=wrong',
    });
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({ error: 'invalid_client' });
  });

  it('answers 401 without a token, with an unknown one, and once the token expired', async () => {
    const { url, api, clock, relogin } = await setup({ tokenTtlSeconds: 60 });
    expect((await call(`${url}/api/v1/hoso?maHoSoNguon=x&heThongNguon=y`)).status).toBe(401);
    expect((await call(`${url}/api/v1/hoso?maHoSoNguon=x&heThongNguon=y`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await api('/api/v1/hoso?maHoSoNguon=x&heThongNguon=y')).status).toBe(200);
    clock.advance(60_000);
    expect((await api('/api/v1/hoso?maHoSoNguon=x&heThongNguon=y')).status).toBe(401);
    await relogin();
    expect((await api('/api/v1/hoso?maHoSoNguon=x&heThongNguon=y')).status).toBe(200);
  });
});

describe('province: create, look up, read, update', () => {
  it('issues {agency}-{yyMMdd}-{NNNN} codes, per agency, resetting daily, and growing ids', async () => {
    const { create, clock, relogin } = await setup();
    const a = await create({ MaHoSoNguon: 'A' });
    const b = await create({ MaHoSoNguon: 'B' });
    const other = await create({ MaHoSoNguon: 'C', MaDonViTiepNhan: '000.00.16.H56' });
    expect(a.status).toBe(201);
    expect(a.body.maHoSo).toBe('000.00.20.H56-260302-0001');
    expect(b.body.maHoSo).toBe('000.00.20.H56-260302-0002');
    expect(other.body.maHoSo).toBe('000.00.16.H56-260302-0001');
    expect(b.body.idHoSo).toBeGreaterThan(a.body.idHoSo);
    clock.set('2026-03-02T17:30:00Z'); // 00:30 on 3 March in Vietnam
    await relogin(); // the first token expired meanwhile
    expect((await create({ MaHoSoNguon: 'D' })).body.maHoSo).toBe('000.00.20.H56-260303-0001');
  });

  it('answers 409 HOSO_DA_TON_TAI with the code on a second create of the same source dossier', async () => {
    const { create } = await setup();
    const first = await create();
    const again = await create({ TrichYeu: 'khác' });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ error: 'HOSO_DA_TON_TAI', idHoSo: first.body.idHoSo, maHoSo: first.body.maHoSo });
    expect((await create({ HeThongNguon: 'civil-status' })).status).toBe(201);
  });

  it('looks a dossier up by source code and answers [] when unknown', async () => {
    const { create, api } = await setup();
    const created = await create();
    const found = await api('/api/v1/hoso?maHoSoNguon=VPDK-260302-0042&heThongNguon=land');
    expect(found.body).toEqual([{ idHoSo: created.body.idHoSo, maHoSo: created.body.maHoSo }]);
    expect((await api('/api/v1/hoso?maHoSoNguon=VPDK-260302-0042&heThongNguon=business-registration')).body).toEqual([]);
  });

  it('reads the dossier as created with TienTrinh, and 404 KHONG_TIM_THAY when unknown', async () => {
    const { create, api } = await setup();
    const { idHoSo, maHoSo } = (await create()).body;
    const read = await api(`/api/v1/hoso/${idHoSo}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ ...dossier(), idHoSo, maHoSo, TrangThai: 2, TienTrinh: [], NgayKetThucXuLy: null, NgayTra: null, KetQua: null });
    expect(read.body.ChuHoSo.SoDinhDanh).toBe('038085001234');
    const missing = await api('/api/v1/hoso/1');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: 'KHONG_TIM_THAY' });
  });

  it('update replaces fields but keeps progress, idempotently', async () => {
    const { create, api } = await setup();
    const { idHoSo, maHoSo } = (await create()).body;
    await api(`/api/v1/hoso/${idHoSo}/tien-trinh`, { method: 'POST', json: [step()] });
    const body = dossier({ TrichYeu: 'Đã sửa', TrangThai: 4 });
    for (let i = 0; i < 2; i++) {
      const res = await api(`/api/v1/hoso/${idHoSo}`, { method: 'PUT', json: body });
      expect(res.status).toBe(200);
    }
    const read = (await api(`/api/v1/hoso/${idHoSo}`)).body;
    expect(read).toMatchObject({ TrichYeu: 'Đã sửa', TrangThai: 4, maHoSo });
    expect(read.TienTrinh).toHaveLength(1);
    expect((await api('/api/v1/hoso/99999999', { method: 'PUT', json: body })).status).toBe(404);
    expect((await api(`/api/v1/hoso/${idHoSo}`, { method: 'PUT', json: dossier({ NgayTiepNhan: null }) })).status).toBe(400);
  });
});

describe('province: validation', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['MaTTHC pattern', { MaTTHC: '1.01276' }, 'MaTTHC'],
    ['MaTTHC with a local suffix', { MaTTHC: '1.001193.000.00.00.H56' }, 'MaTTHC'],
    ['empty MaDonViTiepNhan', { MaDonViTiepNhan: '' }, 'MaDonViTiepNhan'],
    ['empty owner name', { ChuHoSo: { HoTen: '  ' } }, 'ChuHoSo.HoTen'],
    ['owner missing', { ChuHoSo: null }, 'ChuHoSo'],
    ['a 10-digit ID for a citizen', { ChuHoSo: { HoTen: 'A', SoDinhDanh: '0101234567' } }, 'ChuHoSo.SoDinhDanh'],
    ['an ID as a number', { ChuHoSo: { HoTen: 'A', SoDinhDanh: 38085001234 } }, 'ChuHoSo.SoDinhDanh'],
    ['a bad applicant ID', { NguoiNop: { HoTen: 'A', SoDinhDanh: '12345' } }, 'NguoiNop.SoDinhDanh'],
    ['NgayTiepNhan missing', { NgayTiepNhan: undefined }, 'NgayTiepNhan'],
    ['NgayTiepNhan ISO instead of the dossier format', { NgayTiepNhan: '2026-03-02T08:30:00+07:00' }, 'NgayTiepNhan'],
    ['NgayTiepNhan not a real date', { NgayTiepNhan: '2026-02-30 08:30:00' }, 'NgayTiepNhan'],
    ['NgayHenTra malformed', { NgayHenTra: '16/03/2026 17:00:00' }, 'NgayHenTra'],
    ['NgayNop empty', { NgayNop: '' }, 'NgayNop'],
    ['TrichYeu over 500', { TrichYeu: 'á'.repeat(501) }, 'TrichYeu'],
    ['TrangThai 11', { TrangThai: 11 }, 'TrangThai'],
    ['TrangThai as a string', { TrangThai: '2' }, 'TrangThai'],
    ['KenhThucHien 4', { KenhThucHien: 4 }, 'KenhThucHien'],
    ['by post without postal delivery', { KenhThucHien: 3, HinhThucTraKetQua: 0 }, 'HinhThucTraKetQua'],
    ['postal delivery at the counter', { KenhThucHien: 1, HinhThucTraKetQua: 1 }, 'HinhThucTraKetQua'],
    ['LoaiDoiTuong 3', { LoaiDoiTuong: 3 }, 'LoaiDoiTuong'],
    ['empty MaHoSoNguon', { MaHoSoNguon: '' }, 'MaHoSoNguon'],
    ['HeThongNguon missing', { HeThongNguon: undefined }, 'HeThongNguon'],
  ];
  it.each(cases)('refuses %s with a 400 naming the field', async (_name, over, field) => {
    const { create, sim } = await setup();
    const res = await create(over);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('DU_LIEU_KHONG_HOP_LE');
    expect(res.body.chiTiet.map((e: { truong: string }) => e.truong)).toContain(field);
    expect(res.body.chiTiet.every((e: { loi: string }) => typeof e.loi === 'string' && e.loi.length > 0)).toBe(true);
    expect(sim.state.dossiers()).toHaveLength(0);
  });

  it('accepts 9-digit IDs, and tax or household-business codes for enterprises and household businesses', async () => {
    const { create } = await setup();
    expect((await create({ MaHoSoNguon: '1', ChuHoSo: { HoTen: 'A', SoDinhDanh: '172345678' } })).status).toBe(201);
    expect((await create({ MaHoSoNguon: '2', LoaiDoiTuong: 1, ChuHoSo: { HoTen: 'Công ty A', SoDinhDanh: '0101234567' } })).status).toBe(201);
    expect((await create({ MaHoSoNguon: '3', LoaiDoiTuong: 1, ChuHoSo: { HoTen: 'Chi nhánh', SoDinhDanh: '0101234567-001' } })).status).toBe(201);
    expect((await create({ MaHoSoNguon: '4', LoaiDoiTuong: 2, ChuHoSo: { HoTen: 'Hộ KD', SoDinhDanh: '38H8001234' } })).status).toBe(201);
    expect((await create({ MaHoSoNguon: '5', KenhThucHien: 3, HinhThucTraKetQua: 1 })).status).toBe(201);
    expect((await create({ MaHoSoNguon: '6', LoaiDoiTuong: 0, ChuHoSo: { HoTen: 'A', SoDinhDanh: '38H8001234' } })).status).toBe(400);
  });

  it('reports every failing field at once, and refuses a body that is not JSON', async () => {
    const { create, api } = await setup();
    const res = await create({ MaTTHC: 'x', TrangThai: 0, NgayTiepNhan: 'hôm nay' });
    expect(res.body.chiTiet.map((e: { truong: string }) => e.truong).sort()).toEqual(['MaTTHC', 'NgayTiepNhan', 'TrangThai']);
    const notJson = await api('/api/v1/hoso', { method: 'POST', body: '{"MaHoSoNguon":', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toBe('DU_LIEU_KHONG_HOP_LE');
  });
});

describe('province: progress and status', () => {
  it('appends steps as sent, duplicates included, answering the count held', async () => {
    const { create, api } = await setup();
    const { idHoSo } = (await create()).body;
    const first = await api(`/api/v1/hoso/${idHoSo}/tien-trinh`, { method: 'POST', json: [step({ TrangThai: 4 }), step()] });
    expect(first.body).toEqual({ soBuoc: 2 });
    const again = await api(`/api/v1/hoso/${idHoSo}/tien-trinh`, { method: 'POST', json: [step()] });
    expect(again.body).toEqual({ soBuoc: 3 });
    const held = (await api(`/api/v1/hoso/${idHoSo}`)).body.TienTrinh;
    expect(held).toEqual([step({ TrangThai: 4 }), step(), step()]);
  });

  it('refuses more than 20 steps, an empty list, bad steps (naming the field), and unknown dossiers', async () => {
    const { create, api } = await setup();
    const { idHoSo } = (await create()).body;
    const post = (json: unknown) => api(`/api/v1/hoso/${idHoSo}/tien-trinh`, { method: 'POST', json });
    expect((await post(Array.from({ length: 21 }, () => step()))).status).toBe(400);
    expect((await post(Array.from({ length: 20 }, () => step()))).body).toEqual({ soBuoc: 20 });
    expect((await post([])).status).toBe(400);
    const noOffset = await post([step({ ThoiDiemXuLy: '2026-03-02T10:41:00' })]);
    expect(noOffset.status).toBe(400);
    expect(noOffset.body.chiTiet[0].truong).toBe('TienTrinh[0].ThoiDiemXuLy');
    const longName = await post([step(), step({ NguoiXuLy: 'x'.repeat(101) })]);
    expect(longName.body.chiTiet[0].truong).toBe('TienTrinh[1].NguoiXuLy');
    expect((await post([step({ TrangThai: 0 })])).body.chiTiet[0].truong).toBe('TienTrinh[0].TrangThai');
    expect((await post([step({ NgayBatDau: null, NgayKetThucTheoQuyDinh: null })])).status).toBe(200);
    expect((await post([step({ ThoiDiemXuLy: '2026-03-02T03:41:00Z' })])).status).toBe(200);
    expect((await api('/api/v1/hoso/12/tien-trinh', { method: 'POST', json: [step()] })).status).toBe(404);
  });

  it('updates status, refuses any update once terminal (even the same status), allows 9 -> 10', async () => {
    const { create, api, sim } = await setup();
    const { idHoSo } = (await create()).body;
    const put = (json: unknown) => api(`/api/v1/hoso/${idHoSo}/trang-thai`, { method: 'PUT', json });
    const ready = { TrangThai: 9, ThoiDiem: '2026-03-16T15:00:00+07:00', NgayKetThucXuLy: '2026-03-16 15:00:00', NgayTra: null, KetQua: [{ TenGiayTo: 'GCN', DuongDan: 'https://x' }] };
    expect((await put(ready)).status).toBe(200);
    expect((await put(ready)).status).toBe(200);
    const delivered = { ...ready, TrangThai: 10, NgayTra: '2026-03-17 09:00:00' };
    expect((await put(delivered)).status).toBe(200);
    const again = await put(delivered);
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ error: 'TRANG_THAI_KHONG_HOP_LE' });
    const read = (await api(`/api/v1/hoso/${idHoSo}`)).body;
    expect(read).toMatchObject({ TrangThai: 10, NgayKetThucXuLy: '2026-03-16 15:00:00', NgayTra: '2026-03-17 09:00:00' });
    expect(sim.state.statusUpdates(idHoSo)).toHaveLength(3);
  });

  it('treats 3, 7 and 8 as terminal too, and validates the status body', async () => {
    const { create, api } = await setup();
    for (const status of [3, 7, 8]) {
      const { idHoSo } = (await create({ MaHoSoNguon: `T${status}`, TrangThai: status, NgayKetThucXuLy: '2026-03-02 09:00:00' })).body;
      const res = await api(`/api/v1/hoso/${idHoSo}/trang-thai`, { method: 'PUT', json: { TrangThai: 4, ThoiDiem: '2026-03-02T09:00:00+07:00' } });
      expect(res.status).toBe(409);
    }
    const { idHoSo } = (await create({ MaHoSoNguon: 'open' })).body;
    const bad = await api(`/api/v1/hoso/${idHoSo}/trang-thai`, { method: 'PUT', json: { TrangThai: 9, ThoiDiem: '2026-03-16 15:00:00' } });
    expect(bad.status).toBe(400);
    expect(bad.body.chiTiet[0].truong).toBe('ThoiDiem');
  });
});

describe('province: throughput and faults', () => {
  it('answers 429 with Retry-After beyond the per-client limit', async () => {
    const { api } = await setup({ rateLimitPerSecond: 3 });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const res = await api('/api/v1/hoso?maHoSoNguon=x&heThongNguon=y');
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it('limits at 20 per second by default', async () => {
    const { api } = await setup({ rateLimitPerSecond: undefined });
    const statuses = await Promise.all(Array.from({ length: 25 }, () => api('/api/v1/hoso?maHoSoNguon=x&heThongNguon=y').then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
  });

  it('an ambiguous create is carried out: the caller sees an error, and the retry gets 409 with the code', async () => {
    const { sim, url, create, api } = await setup();
    sim.setFaults({ rate: 1, seed: 1, kinds: ['ambiguous'], methods: ['POST'], paths: ['/api/v1/hoso'], max: 1 });
    await expect(create()).rejects.toThrow();
    expect(sim.state.dossiers()).toHaveLength(1);
    const retry = await create();
    expect(retry.status).toBe(409);
    expect(retry.body.maHoSo).toBe(sim.state.dossiers()[0]!.maHoSo);
    expect(sim.faultCounts().ambiguous).toBe(1);
    const state = await call(`${url}/__sandbox/state`);
    expect(state.body.dossiers).toHaveLength(1);
    expect((await api('/api/v1/hoso?maHoSoNguon=VPDK-260302-0042&heThongNguon=land')).body).toHaveLength(1);
  });

  it('5xx and drop faults do not carry the request out; 5xx answers carry no JSON', async () => {
    const { sim, create } = await setup();
    sim.setFaults({ rate: 1, seed: 3, kinds: ['5xx'] });
    const res = await create();
    expect([500, 502, 503]).toContain(res.status);
    expect(res.headers.get('content-type') ?? '').not.toContain('json');
    sim.setFaults({ rate: 1, seed: 3, kinds: ['drop'] });
    await expect(create()).rejects.toThrow();
    sim.setFaults(null);
    expect(sim.state.dossiers()).toHaveLength(0);
    expect(sim.faultCounts()).toMatchObject({ '5xx': 1, drop: 1 });
  });

  it('takes fault configuration and resets over the control routes', async () => {
    const { url, create, sim } = await setup();
    await create();
    const put = await call(`${url}/__sandbox/faults`, { method: 'PUT', json: { rate: 1, seed: 1, kinds: ['429'], retryAfterSeconds: 4 } });
    expect(put.status).toBe(200);
    const throttled = await create({ MaHoSoNguon: 'other' });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('4');
    expect((await call(`${url}/__sandbox/faults`, { method: 'PUT', json: { rate: 2 } })).status).toBe(400);
    expect((await call(`${url}/__sandbox/reset`, { method: 'POST' })).status).toBe(200);
    expect(sim.state.dossiers()).toHaveLength(0);
    expect(sim.faultCounts()['429']).toBe(0);
  });

  it('logs the requests that reached it, faulted ones included, and lists them over the control route', async () => {
    const { sim, url, create } = await setup();
    sim.setFaults({ rate: 1, seed: 1, kinds: ['5xx'], serverError: '503', max: 1, methods: ['POST'], paths: ['/api/v1/hoso'] });
    expect((await create()).status).toBe(503);
    expect((await create()).status).toBe(201);
    const logged = sim.requests().map((r) => [r.method, r.path, r.status, r.fault]);
    expect(logged).toEqual([
      ['POST', '/oauth/token', 200, undefined],
      ['POST', '/api/v1/hoso', 503, '5xx'],
      ['POST', '/api/v1/hoso', 201, undefined],
    ]);
    expect((await call(`${url}/__sandbox/requests`)).body.requests).toHaveLength(3);
    sim.reset();
    expect(sim.requests()).toEqual([]);
  });

  it('refuses the old client secret once rotated, keeping tokens already issued', async () => {
    const { sim, url, api } = await setup();
    sim.setClientSecret('rotated-secret');
    const token = (secret: string) =>
      call(`${url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&client_id=lienthong&client_secret=${secret}`,
      });
    expect((await token('sandbox-secret')).status).toBe(401);
    expect((await token('rotated-secret')).status).toBe(200);
    expect((await api('/api/v1/hoso?maHoSoNguon=x&heThongNguon=y')).status).toBe(200);
    sim.reset();
    expect((await token('sandbox-secret')).status).toBe(200);
  });

  it('lets a test change a dossier behind the gateway’s back', async () => {
    const { sim, create, api } = await setup();
    const { idHoSo } = (await create()).body;
    sim.state.tamper(idHoSo, (d) => {
      d.fields['TrichYeu'] = 'Sửa tay bởi cán bộ một cửa';
      d.TienTrinh.push(step({ NoiDungXuLy: 'thêm tay' }));
    });
    const read = (await api(`/api/v1/hoso/${idHoSo}`)).body;
    expect(read.TrichYeu).toBe('Sửa tay bởi cán bộ một cửa');
    expect(read.TienTrinh).toHaveLength(1);
  });
});
