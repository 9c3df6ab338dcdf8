import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig, type GatewayConfig } from '../contracts';
import { createApp } from '../src/app';
import { createGateway } from '../src/gateway';
import { createLogger } from '../src/lib/log';
import { openSqliteStore } from '../src/store/sqlite/store';
import type { Store } from '../src/store/types';

/** The land callback route over the app, with a real SQLite store behind it. */
const SECRET = 'bi-mat-9f3c2a7e51';
const lines = readFileSync(new URL('../adapters/land/fixtures/land-events.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { event: string; body: Record<string, unknown> });

describe('POST /ingest/land/{securityCode}/{event}', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lienthong-land-'));
  const logs: string[] = [];
  let store: Store;
  let app: ReturnType<typeof createApp>;
  let config: GatewayConfig;
  beforeAll(() => {
    config = resolveConfig(
      {
        province: { code: 'H56' },
        procedures: { '1.012790': { name: 'Tách thửa hoặc hợp thửa đất', sectorCode: 'G13-TN02', statutoryDays: 15 } },
        sources: { land: { securityCodeEnv: 'LAND_CODE', office: { code: '000.00.20.H56', name: 'Văn phòng đăng ký đất đai' }, procedureMap: { 'TACH-THUA': '1.012790' }, maxBodyBytes: 4096 } },
        targets: {
          province: { baseUrl: 'http://127.0.0.1:1', clientId: 'c', clientSecretEnv: 'LAND_CODE' },
          dvcqg: { baseUrl: 'http://127.0.0.1:1', username: 'u', passwordEnv: 'LAND_CODE', madonvi: '000.00.00.H56', dstcode: 'D' },
        },
      },
      { LAND_CODE: SECRET },
    );
  });
  beforeEach(() => {
    store = openSqliteStore({ file: join(dir, `${Math.random().toString(36).slice(2)}.db`) });
    const logger = createLogger((l) => logs.push(l), 'debug');
    const gateway = createGateway({ config, store, now: Date.now, logger, owner: 'test' });
    app = createApp({ store, config, now: Date.now, logger, version: 't', ingestor: gateway.ingestor });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const post = (event: string, body: string, code = SECRET, type = 'application/json; charset=utf-8') =>
    app.request(`/ingest/land/${code}/${event}`, { method: 'POST', headers: { 'content-type': type }, body });
  const send = (i: number) => post(lines[i]!.event, JSON.stringify(lines[i]!.body));

  it('answers Result 1 once stored, and a resent event changes nothing', async () => {
    const res = await send(0);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ Result: 1, Message: 'Thành công' });
    const view = await store.getDossierView('land', 'VPDK-260305-0113');
    expect(view?.version).toBe(1);
    expect((await send(0)).status).toBe(200);
    const again = await store.getDossierView('land', 'VPDK-260305-0113');
    expect(again?.version).toBe(1);
    expect(again?.records).toHaveLength(1);
  });

  it('keeps events that arrive before the reception and applies everything in source-time order', async () => {
    for (const i of [4, 2]) expect((await send(i)).status).toBe(200);
    expect(await store.getDossierView('land', 'VPDK-260305-0113')).toBeNull();
    expect((await store.syncStatus(Date.now())).sources['land']?.pendingRecords).toBe(2);
    for (const i of [0, 3, 1]) expect((await send(i)).status).toBe(200);
    const view = await store.getDossierView('land', 'VPDK-260305-0113');
    expect(view?.dossier.status).toBe('RESULT_READY');
    expect(view?.dossier.events.map((e) => e.rawStatus)).toEqual(['TiepNhanHoSo', 'ChuyenHoSo', 'YeuCauBoSungHoSo', 'NhanBoSungHoSo', 'KetThucHoSo']);
    expect(view?.records.every((r) => r.status === 'applied')).toBe(true);
    // The reorder window holds the deliveries back.
    expect(view?.deliveries[0]?.nextAttemptAt).toBeGreaterThan(Date.now() + 60_000);
  });

  it('refuses a wrong security code with 401 and stores nothing', async () => {
    const res = await post('TiepNhanHoSo', JSON.stringify(lines[0]!.body), 'wrong-code');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ Result: 0, Message: 'Sai mã bảo mật' });
    const status = await store.syncStatus(Date.now());
    expect(status.sources['land']).toBeUndefined();
  });

  it.each([
    ['invalid JSON', 'TiepNhanHoSo', '{"SoBienNhan": ', 'application/json', 400, /JSON/],
    ['a missing SoBienNhan', 'ChuyenHoSo', JSON.stringify({ NgayChuyen: '2026-03-03T02:00:00' }), 'application/json', 400, /SoBienNhan/],
    ['an unknown event', 'XoaHoSo', JSON.stringify({ SoBienNhan: 'A' }), 'application/json', 400, /XoaHoSo/],
    ['wrong types', 'KetThucHoSo', JSON.stringify({ SoBienNhan: 'A', NgayKetThuc: 20260303, TrangThaiKetThuc: 'xong' }), 'application/json', 400, /Trường không hợp lệ/],
    ['a time with an offset', 'ChuyenHoSo', JSON.stringify({ SoBienNhan: 'A', NgayChuyen: '2026-03-03T09:00:00+07:00' }), 'application/json', 400, /UTC/],
    ['a body over the size limit', 'TiepNhanHoSo', JSON.stringify({ SoBienNhan: 'A', pad: 'x'.repeat(5000) }), 'application/json', 400, /quá lớn/],
    ['a wrong content type', 'TiepNhanHoSo', JSON.stringify(lines[0]!.body), 'text/plain', 415, /Content-Type/],
  ])('refuses %s with a plain-words message and keeps the body for an operator', async (_what, event, body, type, status, pattern) => {
    const res = await post(event, body, SECRET, type);
    expect(res.status).toBe(status);
    const answer = (await res.json()) as { Result: number; Message: string };
    expect(answer.Result).toBe(0);
    expect(answer.Message).toMatch(pattern);
    const s = await store.syncStatus(Date.now());
    expect(s.sources['land']?.rejected).toBe(1);
    expect(s.sources['land']?.dossiers ?? 0).toBe(0);
  });

  it('refuses a body that is not UTF-8', async () => {
    const res = await app.request(`/ingest/land/${SECRET}/TiepNhanHoSo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { Message: string }).Message).toMatch(/UTF-8/);
  });

  it('never writes the security code to a log line', async () => {
    await send(0);
    await post('TiepNhanHoSo', '{', SECRET);
    await post('TiepNhanHoSo', '{}', `${SECRET}x`);
    expect(logs.some((l) => l.includes('/ingest/land/***/TiepNhanHoSo'))).toBe(true);
    expect(logs.filter((l) => l.includes(SECRET.slice(0, 10)))).toEqual([]);
  });
});
