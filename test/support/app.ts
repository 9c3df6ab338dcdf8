import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../contracts';
import { createApp } from '../../src/app';
import { bootstrapAccess } from '../../src/auth/bootstrap';
import { tokenHash } from '../../src/auth/credentials';
import { createGateway } from '../../src/gateway';
import { createLogger } from '../../src/lib/log';
import type { Role, Store } from '../../src/store/types';
import { openSqliteStore } from '../../src/store/sqlite/store';
import { createOperatorService } from '../../src/sync/operator';

/** The whole app in-process on a real SQLite file, with a token per role, for HTTP-level tests. */
export const TEST_CONFIG = {
  province: { code: 'H56' },
  procedures: {
    '1.001193': { name: 'Đăng ký khai sinh', sectorCode: 'G15-TP07', statutoryDays: 0 },
    '1.000656': { name: 'Đăng ký khai tử', sectorCode: 'G15-TP07', statutoryDays: 1 },
  },
  sources: {
    'civil-status': { baseUrl: 'http://127.0.0.1:9', userName: 'u', passwordEnv: 'SECRET', procedureMap: { 'KS-01': '1.001193' } },
    land: { securityCodeEnv: 'SECRET', office: { code: '000.00.20.H56', name: 'VPĐK' } },
  },
  targets: {
    province: { baseUrl: 'http://127.0.0.1:9', clientId: 'c', clientSecretEnv: 'SECRET' },
    dvcqg: { baseUrl: 'http://127.0.0.1:9', username: 'u', passwordEnv: 'SECRET', madonvi: '000.00.00.H56', dstcode: 'D' },
  },
};

export async function createTestApp(overrides: { now?: () => number; store?: Store } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'lienthong-app-'));
  const store = overrides.store ?? openSqliteStore({ file: join(dir, 'app.db') });
  const logs: string[] = [];
  const logger = createLogger((l) => logs.push(l), 'debug');
  const now = overrides.now ?? Date.now;
  const config = resolveConfig(TEST_CONFIG, { SECRET: 'test-secret-value' });
  const gateway = createGateway({ config, store, now, logger, owner: 'test' });
  const { sessionSecret } = await bootstrapAccess(store, { LIENTHONG_ADMIN_PASSWORD: 'admin-password-1' }, logger, now());
  const app = createApp({ store, config, now, logger, version: 'test', ingestor: gateway.ingestor, ops: createOperatorService({ store, gateway, config, now, logger }), sessionSecret });
  const tokens = {} as Record<Role, string>;
  for (const role of ['viewer', 'operator', 'admin'] as const) {
    tokens[role] = `lt_test_${role}`;
    await store.createToken({ name: role, role, tokenHash: await tokenHash(tokens[role]), createdBy: 'test', expiresAt: null }, now());
  }
  const as = (role: Role) => (path: string, init: RequestInit = {}) => app.request(path, { ...init, headers: { authorization: `Bearer ${tokens[role]}`, ...init.headers } });
  return {
    app,
    store,
    gateway,
    logs,
    tokens,
    as,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
