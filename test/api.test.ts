import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../contracts';
import { createApp } from '../src/app';
import { tokenHash } from '../src/auth/credentials';
import { silentLogger } from '../src/lib/log';
import { loadConfigFile } from '../src/runtime/config-file';
import { openSqliteStore } from '../src/store/sqlite/store';
import type { Store } from '../src/store/types';
import { makeDossier } from './support/dossier';

const dir = mkdtempSync(join(tmpdir(), 'lienthong-api-'));
const minimal = {
  province: { code: 'H56' },
  procedures: { '1.001193': { name: 'Đăng ký khai sinh', sectorCode: 'G15-TP07' } },
  sources: {
    'civil-status': { baseUrl: 'http://127.0.0.1:9103', userName: 'u', passwordEnv: 'CS_PASSWORD', procedureMap: { 'KS-01': '1.001193' } },
  },
  targets: {
    province: { baseUrl: 'http://127.0.0.1:9101', clientId: 'c', clientSecretEnv: 'PROVINCE_SECRET' },
    dvcqg: { baseUrl: 'http://127.0.0.1:9102', username: 'u', passwordEnv: 'DVCQG_PASSWORD', madonvi: '000.00.00.H56', dstcode: 'D' },
  },
};
const env = { CS_PASSWORD: 'a', PROVINCE_SECRET: 'b', DVCQG_PASSWORD: 'c' };

describe('configuration', () => {
  it('reads secrets from the environment variables it names', () => {
    const config = resolveConfig(minimal, env);
    expect(config.targets.province.clientSecret).toBe('b');
    expect(config.sources['civil-status']?.password).toBe('a');
    expect(config.delivery.retryBudgetHours).toBe(24);
    expect(config.database.file).toBe('./data/lienthong.db');
  });

  it('stops with a message naming the field', () => {
    const fail = (input: unknown, e: Record<string, string> = env) => {
      try {
        resolveConfig(input, e);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).message;
      }
      throw new Error('accepted');
    };
    expect(fail({ ...minimal, province: { code: 'Thanh Hoa' } })).toMatch(/^configuration: province\.code: /);
    expect(fail({ ...minimal, targets: { ...minimal.targets, dvcqg: { ...minimal.targets.dvcqg, baseUrl: 'ftp://x' } } })).toMatch(/targets\.dvcqg\.baseUrl/);
    expect(fail(minimal, { CS_PASSWORD: 'a', DVCQG_PASSWORD: 'c' })).toMatch(/targets\.province\.clientSecretEnv: environment variable PROVINCE_SECRET is not set/);
    expect(fail({ ...minimal, sources: { 'civil-status': { ...minimal.sources['civil-status'], procedureMap: { 'KT-01': '1.000656' } } } })).toMatch(
      /sources\.civil-status\.procedureMap: national code 1\.000656 has no entry in "procedures"/,
    );
    expect(fail({ ...minimal, targets: { ...minimal.targets, province: { ...minimal.targets.province, clientSecret: 'inline' } } })).toMatch(/targets\.province/);
  });

  it('merges a CSV mapping table next to the configuration file', () => {
    writeFileSync(join(dir, 'map.csv'), '# civil-status local codes\nma_thu_tuc_dia_phuong,ma_tthc\nKS-02,1.001193\n"KS-03",1.001193\n');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...minimal, sources: { 'civil-status': { ...minimal.sources['civil-status'], procedureMapFile: 'map.csv' } } }));
    const config = loadConfigFile(join(dir, 'config.json'), env);
    expect(config.sources['civil-status']?.procedureMap).toEqual({ 'KS-01': '1.001193', 'KS-02': '1.001193', 'KS-03': '1.001193' });
    writeFileSync(join(dir, 'bad.json'), '{ "province": ');
    expect(() => loadConfigFile(join(dir, 'bad.json'), env)).toThrow(/LIENTHONG_CONFIG: .*not valid JSON/);
  });
});

describe('read API', () => {
  let store: Store;
  let api: ReturnType<typeof createApp>;
  const app = { request: (path: string, init: RequestInit = {}) => api.request(path, { ...init, headers: { authorization: 'Bearer lt_viewer', ...init.headers } }) };
  beforeAll(async () => {
    store = openSqliteStore({ file: join(dir, 'api.db') });
    api = createApp({ store, config: resolveConfig(minimal, env), now: () => Date.now(), logger: silentLogger, version: 'test' });
    await store.createToken({ name: 'reader', role: 'viewer', tokenHash: await tokenHash('lt_viewer'), createdBy: 'test', expiresAt: null }, Date.now());
    await store.acceptSourceRecord(
      { source: 'civil-status', externalId: 'HT-1', kind: 'snapshot', sourceTime: '2026-03-02T09:00:00+07:00', sourceTimeMs: 0, contentHash: 'h', body: '{}', fragment: {}, receivedAt: Date.now() - 5_000 },
      () => ({ kind: 'dossier', dossier: makeDossier({ source: { system: 'civil-status', externalId: 'HT-1' } }), hold: null }),
      ['province', 'dvcqg'],
    );
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /healthz and /readyz without credentials, and nothing else', async () => {
    expect((await api.request('/readyz')).status).toBe(200);
    expect((await api.request('/api/v1/sync/status')).status).toBe(401);
    const res = await api.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', version: 'test' });
  });

  it('shows sync status per target with the age of the oldest pending change', async () => {
    const body = (await (await app.request('/api/v1/sync/status')).json()) as { targets: Record<string, { counts: Record<string, number>; oldestPendingSeconds: number }> };
    expect(body.targets['province']?.counts['pending']).toBe(1);
    expect(body.targets['province']?.oldestPendingSeconds).toBeGreaterThanOrEqual(4);
  });

  it('shows one dossier with its versions and deliveries', async () => {
    const res = await app.request('/api/v1/dossiers/civil-status/HT-1');
    const body = (await res.json()) as { version: number; versions: unknown[]; deliveries: { target: string; state: string }[] };
    expect(body.version).toBe(1);
    expect(body.versions).toHaveLength(1);
    expect(body.deliveries.map((d) => [d.target, d.state])).toEqual([
      ['province', 'pending'],
      ['dvcqg', 'pending'],
    ]);
  });

  it('answers unknown things with one stable error shape and a request id', async () => {
    const res = await app.request('/api/v1/dossiers/civil-status/NOPE');
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string }; requestId: string };
    expect(body.error.code).toBe('DOSSIER_NOT_FOUND');
    expect(body.requestId).toBe(res.headers.get('x-request-id'));
    expect((await app.request('/api/v1/dossiers/fax/1')).status).toBe(404);
    expect(((await (await app.request('/nowhere')).json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });
});
