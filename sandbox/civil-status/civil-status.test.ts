import { describe, expect, it } from 'vitest';
import { CIVIL_STATUS_PROCEDURES, CIVIL_STATUS_UNMAPPED_CODES } from '../catalog';
import { cccdMatches } from '../shared/people';
import { call, manualClock, serveForTest } from '../shared/testing';
import { parseSlashed } from '../shared/time';
import { createCivilStatusSimulator, type CivilStatusDetail, type CivilStatusSimulatorOptions } from './index';

const T0 = '2026-03-02T01:05:10Z'; // 02/03/2026 08:05:10 in Vietnam
const vn = (slashed: string) => parseSlashed(slashed)!;

function detail(maHoSo: string, over: Partial<CivilStatusDetail> = {}): CivilStatusDetail {
  return {
    maHoSo,
    maHoSoLT: null,
    maDonVi: '000.00.16.H56',
    tenDonVi: 'UBND xã Quảng Phú',
    module: 'LTKS',
    maTTHC: 'KS-01',
    ngayTiepNhan: '02/03/2026 08:05:10',
    ngayHenTra: '02/03/2026 17:00:00',
    kenhNop: 2,
    trangThai: 3,
    lichSu: [],
    data: '<?xml version="1.0" encoding="UTF-8"?><hoTich><nksHoTen>Trần Gia Bảo</nksHoTen></hoTich>',
    fileDinhKem: [],
    ketQuaXuLy: null,
    ...over,
  };
}

async function setup(options: CivilStatusSimulatorOptions = {}) {
  const clock = manualClock(T0);
  const sim = createCivilStatusSimulator({ now: clock.now, rateLimitPerSecond: 0, ...options });
  const { url } = await serveForTest(sim);
  const login = async () => (await call(`${url}/api/auth/login`, { method: 'POST', json: { userName: 'lienthong', password: 'sandbox-password' } })).body.token as string;
  let token = await login();
  const api = (path: string) => call(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const list = (tuNgay: string, denNgay: string, trang = 1, soLuong = 200) =>
    api(`/api/hoso?tuNgay=${encodeURIComponent(tuNgay)}&denNgay=${encodeURIComponent(denNgay)}&trang=${trang}&soLuong=${soLuong}`);
  return { sim, url, clock, api, list, relogin: async () => (token = await login()) };
}

const codesOf = (res: { body: { value: { maHoSo: string }[] } }) => res.body.value.map((v) => v.maHoSo);

describe('civil-status: login', () => {
  it('issues a token for 1800 s and refuses a wrong password with 401 AUTH_FAILED', async () => {
    const { url } = await setup();
    const ok = await call(`${url}/api/auth/login`, { method: 'POST', json: { userName: 'lienthong', password: 'sandbox-password' } });
    expect(ok.status).toBe(200);
    expect(ok.body.expiresIn).toBe(1800);
    const bad = await call(`${url}/api/auth/login`, { method: 'POST', json: { userName: 'lienthong', password: 'x' } });
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({ errorCode: 'AUTH_FAILED' });
  });

  it('answers 401 once the token expired or was revoked', async () => {
    const { api, clock, relogin, sim } = await setup();
    const path = `/api/hoso/dem?tuNgay=${encodeURIComponent('01/03/2026 00:00:00')}&denNgay=${encodeURIComponent('03/03/2026 00:00:00')}`;
    expect((await api(path)).status).toBe(200);
    clock.advance(1800_000);
    expect((await api(path)).status).toBe(401);
    await relogin();
    expect((await api(path)).status).toBe(200);
    sim.state.revokeTokens();
    expect((await api(path)).status).toBe(401);
  });
});

describe('civil-status: change list', () => {
  it('orders by ngayCapNhat then maHoSo, several sharing one second', async () => {
    const { sim, list } = await setup();
    sim.state.put(detail('HT-380-2603-000003'), vn('02/03/2026 09:00:00'));
    sim.state.put(detail('HT-380-2603-000001'), vn('02/03/2026 09:00:01'));
    sim.state.put(detail('HT-380-2603-000002'), vn('02/03/2026 09:00:00'));
    const res = await list('02/03/2026 00:00:00', '02/03/2026 23:59:59');
    expect(res.body.value).toEqual([
      { maHoSo: 'HT-380-2603-000002', module: 'LTKS', ngayCapNhat: '02/03/2026 09:00:00' },
      { maHoSo: 'HT-380-2603-000003', module: 'LTKS', ngayCapNhat: '02/03/2026 09:00:00' },
      { maHoSo: 'HT-380-2603-000001', module: 'LTKS', ngayCapNhat: '02/03/2026 09:00:01' },
    ]);
    expect(res.body).toMatchObject({ tongSo: 3, trang: 1, soLuong: 200 });
  });

  it('includes both ends of the window, to the second', async () => {
    const { sim, list, api } = await setup();
    sim.state.put(detail('A'), vn('02/03/2026 09:00:00'));
    sim.state.put(detail('B'), vn('02/03/2026 09:00:05'));
    sim.state.put(detail('C'), vn('02/03/2026 09:00:06'));
    sim.state.put(detail('Z'), vn('02/03/2026 08:59:59') + 999); // stored at second precision
    expect(codesOf(await list('02/03/2026 09:00:00', '02/03/2026 09:00:05'))).toEqual(['A', 'B']);
    expect(codesOf(await list('02/03/2026 09:00:05', '02/03/2026 09:00:05'))).toEqual(['B']);
    expect(codesOf(await list('02/03/2026 09:00:01', '02/03/2026 09:00:04'))).toEqual([]);
    const count = await api(`/api/hoso/dem?tuNgay=${encodeURIComponent('02/03/2026 08:59:59')}&denNgay=${encodeURIComponent('02/03/2026 09:00:05')}`);
    expect(count.body).toEqual({ tongSo: 3 });
  });

  it('pages with trang and soLuong, and moves a dossier changed during paging', async () => {
    const { sim, list, clock } = await setup();
    for (const [code, at] of [['A', '08:10:00'], ['B', '08:10:01'], ['C', '08:10:02'], ['D', '08:10:03'], ['E', '08:10:04']] as const)
      sim.state.put(detail(code), vn(`02/03/2026 ${at}`));
    const page1 = await list('02/03/2026 00:00:00', '02/03/2026 23:59:59', 1, 2);
    expect(codesOf(page1)).toEqual(['A', 'B']);
    expect(page1.body.tongSo).toBe(5);
    // A clerk edits A while the gateway pages: A moves to the end, C slides onto page 1.
    clock.set('2026-03-02T01:20:00Z');
    sim.state.update('A', (d) => {
      d.trangThai = 4;
    });
    expect(codesOf(await list('02/03/2026 00:00:00', '02/03/2026 23:59:59', 2, 2))).toEqual(['D', 'E']);
    expect(codesOf(await list('02/03/2026 00:00:00', '02/03/2026 23:59:59', 3, 2))).toEqual(['A']);
    expect(codesOf(await list('02/03/2026 00:00:00', '02/03/2026 23:59:59', 4, 2))).toEqual([]);
    expect((await list('02/03/2026 00:00:00', '02/03/2026 23:59:59', 1, 200)).body.value.at(-1)).toEqual({ maHoSo: 'A', module: 'LTKS', ngayCapNhat: '02/03/2026 08:20:00' });
  });

  it('refuses soLuong outside 1..200, trang 0 and malformed times with 400', async () => {
    const { list, api } = await setup();
    expect((await list('02/03/2026 00:00:00', '02/03/2026 23:59:59', 1, 201)).status).toBe(400);
    expect((await list('02/03/2026 00:00:00', '02/03/2026 23:59:59', 1, 0)).status).toBe(400);
    expect((await list('02/03/2026 00:00:00', '02/03/2026 23:59:59', 0, 10)).status).toBe(400);
    expect((await list('2026-03-02 00:00:00', '02/03/2026 23:59:59')).status).toBe(400);
    expect((await list('31/02/2026 00:00:00', '02/03/2026 23:59:59')).status).toBe(400);
    expect((await list('03/03/2026 00:00:00', '02/03/2026 23:59:59')).status).toBe(400);
    expect((await api('/api/hoso/dem')).status).toBe(400);
    expect((await list('02/03/2026 00:00:00', '02/03/2026 23:59:59', 1, 200)).status).toBe(200);
  });
});

describe('civil-status: detail', () => {
  it('answers the detail in the spec’s shape, 404 when unknown, and never takes dem for a code', async () => {
    const { sim, api } = await setup();
    const code = sim.generator.create({ changes: [1, 1], pendingShare: 0 });
    const res = await api(`/api/hoso/${code}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(
      ['maHoSo', 'maHoSoLT', 'maDonVi', 'tenDonVi', 'module', 'maTTHC', 'ngayTiepNhan', 'ngayHenTra', 'kenhNop', 'trangThai', 'lichSu', 'data', 'fileDinhKem', 'ketQuaXuLy'].sort(),
    );
    expect(res.body.maHoSo).toMatch(/^HT-380-2603-\d{6}$/);
    expect(res.body.data.startsWith('<?xml version="1.0" encoding="UTF-8"?><hoTich>')).toBe(true);
    expect((await api('/api/hoso/HT-380-2603-999999')).status).toBe(404);
    const dem = await api('/api/hoso/dem');
    expect(dem.status).toBe(400); // the count route's own validation, not a 404 for a dossier "dem"
  });
});

describe('civil-status: generator', () => {
  const snapshot = async (seed: number) => {
    const clock = manualClock(T0);
    const sim = createCivilStatusSimulator({ now: clock.now, seed: 99 });
    await sim.generator.run({ count: 60, durationMs: 0, seed });
    return sim.state.dossiers();
  };

  it('is deterministic by seed', async () => {
    const a = await snapshot(7);
    expect(await snapshot(7)).toEqual(a);
    expect(await snapshot(8)).not.toEqual(a);
  });

  it('ends every dossier in 4 or 6, with lichSu and ngayCapNhat consistent', async () => {
    const { sim } = await setup();
    await sim.generator.run({ count: 80, durationMs: 0, seed: 1 });
    const all = sim.state.dossiers();
    expect(all).toHaveLength(80);
    const changes = new Map(sim.state.changes().map((c) => [c.maHoSo, c.ngayCapNhat]));
    for (const d of all) {
      expect([4, 6]).toContain(d.trangThai);
      expect(d.lichSu.at(-1)?.trangThai).toBe(d.trangThai);
      expect(d.lichSu.at(-1)?.thoiGianThucHien).toBe(changes.get(d.maHoSo));
      if (d.trangThai === 4) expect(d.ketQuaXuLy?.soGiayTo).toMatch(/^\d+\/2026$/);
      else expect(d.ketQuaXuLy).toBeNull();
      if (d.ngayTiepNhan === null) expect(d.lichSu.map((h) => h.trangThai)).toEqual([6]); // refused before reception
      else expect(d.lichSu[0]).toMatchObject({ noiDungXuLy: 'Tiếp nhận hồ sơ', trangThai: 3 });
    }
    expect(all.some((d) => d.lichSu.some((h) => h.trangThai === 2))).toBe(true);
  });

  it('leaves dossiers open when asked, including online ones not yet received', async () => {
    const { sim } = await setup();
    await sim.generator.run({ count: 40, durationMs: 0, seed: 2, changes: [0, 0], pendingShare: 1 });
    const all = sim.state.dossiers();
    const pending = all.filter((d) => d.trangThai === 1);
    expect(pending.length).toBeGreaterThan(0);
    for (const d of pending) expect(d).toMatchObject({ kenhNop: 2, ngayTiepNhan: null, ngayHenTra: null, lichSu: [] });
    expect(all.every((d) => d.trangThai === 1 || d.trangThai === 3)).toBe(true);
  });

  it('writes identifiers with leading zeros, consistent with birth dates and sex', async () => {
    const { sim } = await setup();
    await sim.generator.run({ count: 80, durationMs: 0, seed: 3, unmappedShare: 0, quirks: { ncr: 0, nfd: 0 } });
    const ids = sim.state.dossiers().flatMap((d) => [...d.data.matchAll(/<(\w+)SoDinhDanh>([^<]*)</g)].map((m) => m[2]!));
    expect(ids.length).toBeGreaterThan(100);
    expect(ids.every((id) => /^(\d{12}|\d{9})$/.test(id))).toBe(true);
    expect(ids.filter((id) => id.startsWith('0')).length).toBeGreaterThan(ids.length / 2);
    for (const d of sim.state.dossiers().filter((x) => x.module === 'LTKH')) {
      const get = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(d.data)![1]!;
      expect(cccdMatches(get('chongSoDinhDanh'), Number(get('chongNgaySinh').slice(0, 4)), 'M')).toBe(true);
      expect(cccdMatches(get('voSoDinhDanh'), Number(get('voNgaySinh').slice(0, 4)), 'F')).toBe(true);
    }
    expect(sim.state.dossiers().some((d) => /<nktSoDinhDanh>\d{9}</.test(d.data))).toBe(true); // an old CMND
  });

  it('writes the XML quirks: numeric character references, NFD names, unknown elements, escaped specials', async () => {
    const { sim } = await setup();
    await sim.generator.run({ count: 30, durationMs: 0, seed: 4, quirks: { ncr: 1, nfd: 0, unknownElements: 1, specialChars: 1 } });
    for (const d of sim.state.dossiers()) {
      expect(d.data).toMatch(/&#\d+;/);
      expect(d.data).toMatch(/&amp;/);
      expect(d.data).toMatch(/<(ghiChuKhac\/|soQuyen|truongMoi)>?/);
      expect(d.data).not.toMatch(/&(?!amp;|lt;|gt;|#\d+;)/);
    }
    const decoded = sim.state.dossiers()[0]!.data.replace(/&#(\d+);/g, (_m, n: string) => String.fromCodePoint(Number(n)));
    expect(decoded).toMatch(/[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/i);

    const { sim: nfd } = await setup();
    await nfd.generator.run({ count: 10, durationMs: 0, seed: 4, quirks: { ncr: 0, nfd: 1, unknownElements: 0, specialChars: 0 } });
    for (const d of nfd.state.dossiers()) {
      const names = [...d.data.matchAll(/HoTen>([^<]*)</g)].map((m) => m[1]!);
      expect(names.some((n) => n !== n.normalize('NFC'))).toBe(true);
    }
  });

  it('uses mapped local codes and, on the configured share, unmapped ones', async () => {
    const { sim } = await setup();
    await sim.generator.run({ count: 200, durationMs: 0, seed: 5 });
    const codes = sim.state.dossiers().map((d) => d.maTTHC);
    const unmapped = codes.filter((c) => !sim.state.isMapped(c));
    expect(unmapped.every((c) => CIVIL_STATUS_UNMAPPED_CODES.includes(c))).toBe(true);
    expect(codes.filter((c) => sim.state.isMapped(c)).every((c) => c in CIVIL_STATUS_PROCEDURES)).toBe(true);
    expect(unmapped.length).toBeGreaterThan(5);
    expect(unmapped.length).toBeLessThan(45);
    const { sim: all } = await setup();
    await all.generator.run({ count: 20, durationMs: 0, seed: 5, unmappedShare: 1 });
    expect(all.state.dossiers().every((d) => !all.state.isMapped(d.maTTHC))).toBe(true);
    expect(new Set(sim.state.dossiers().map((d) => d.module))).toEqual(new Set(['LTKS', 'LTKT', 'LTKH']));
  });

  it('spreads changes over real time, each stamped with the clock of its moment', async () => {
    const sim = createCivilStatusSimulator({ seed: 6 });
    const started = Date.now();
    await sim.generator.run({ count: 5, durationMs: 1200, seed: 6, changes: [2, 2] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    const stamps = new Set(sim.state.dossiers().flatMap((d) => d.lichSu.map((h) => h.thoiGianThucHien)));
    expect(stamps.size).toBeGreaterThan(1);
  });

  it('sets due dates: births same day 17:00 before 15:00, others the next working day', async () => {
    const { sim, clock } = await setup();
    const birth = sim.generator.create({ unmappedShare: 0, pendingShare: 0, seed: 12 });
    const kinds = new Map<string, string | null>();
    for (let seed = 0; seed < 40 && kinds.size < 2; seed++) {
      const code = sim.generator.create({ unmappedShare: 0, pendingShare: 0, seed });
      const d = sim.state.dossier(code)!;
      kinds.set(d.module === 'LTKS' ? 'birth' : 'other', d.ngayHenTra);
    }
    expect(kinds.get('birth')).toBe('02/03/2026 17:00:00');
    expect(kinds.get('other')).toBe('03/03/2026 17:00:00');
    clock.set('2026-03-06T09:00:00Z'); // Friday 16:00 in Vietnam
    for (let seed = 0; seed < 40; seed++) {
      const d = sim.state.dossier(sim.generator.create({ unmappedShare: 0, pendingShare: 0, seed }))!;
      expect(d.ngayHenTra).toBe('09/03/2026 17:00:00'); // Monday, births included (after 15:00)
    }
    expect(birth).toMatch(/^HT-380-2603-/);
  });

  it('advances a dossier one planned change at a time, stamping ngayCapNhat', async () => {
    const { sim, clock } = await setup();
    const code = sim.generator.create({ changes: [3, 3], pendingShare: 0 });
    expect(sim.generator.pendingSteps(code)).toHaveLength(3);
    clock.advance(65_000);
    sim.generator.advance(code);
    expect(sim.state.changes().find((c) => c.maHoSo === code)?.ngayCapNhat).toBe('02/03/2026 08:06:15');
    sim.generator.advance(code);
    const final = sim.generator.advance(code);
    expect([4, 6]).toContain(final);
    expect(sim.generator.advance(code)).toBeUndefined();
  });
});

describe('civil-status: limits and maintenance', () => {
  it('answers 429 with Retry-After beyond the per-account limit', async () => {
    const { api } = await setup({ rateLimitPerSecond: 2 });
    const path = `/api/hoso/dem?tuNgay=${encodeURIComponent('01/03/2026 00:00:00')}&denNgay=${encodeURIComponent('03/03/2026 00:00:00')}`;
    const statuses = [(await api(path)).status, (await api(path)).status];
    const third = await api(path);
    expect(statuses).toEqual([200, 200]);
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('answers 503 during maintenance and through the 5xx fault', async () => {
    const { sim, api } = await setup();
    const path = `/api/hoso/dem?tuNgay=${encodeURIComponent('01/03/2026 00:00:00')}&denNgay=${encodeURIComponent('03/03/2026 00:00:00')}`;
    sim.setMaintenance(true);
    expect((await api(path)).status).toBe(503);
    sim.setMaintenance(false);
    expect((await api(path)).status).toBe(200);
    sim.setFaults({ rate: 1, seed: 1, kinds: ['5xx'] });
    expect((await api(path)).status).toBe(503);
    sim.setFaults({ rate: 1, seed: 1, kinds: ['drop'] });
    await expect(api(path)).rejects.toThrow();
    expect(sim.faultCounts()).toMatchObject({ '5xx': 1, drop: 1 });
  });

  it('keeps running in continuous mode until stopped', async () => {
    const sim = createCivilStatusSimulator({ seed: 8 });
    sim.generator.start({ newPerMinute: 6000, lifetimeMs: 50 });
    await new Promise((r) => setTimeout(r, 150));
    sim.generator.stop();
    const made = sim.state.dossiers().length;
    expect(made).toBeGreaterThan(2);
    await new Promise((r) => setTimeout(r, 60));
    expect(sim.state.dossiers().length).toBe(made);
    expect(sim.generator.isRunning()).toBe(false);
  });
});
