import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../contracts';
import { createApp } from '../src/app';
import { bootstrapAccess } from '../src/auth/bootstrap';
import { createGateway } from '../src/gateway';
import { createLogger } from '../src/lib/log';
import { describeDatabase, isPostgresUrl } from '../src/store/open';
import { openPgStore } from '../src/store/pg/store';
import { openSqliteStore } from '../src/store/sqlite/store';
import type { Store } from '../src/store/types';
import { createOperatorService } from '../src/sync/operator';
import { BENCH_SECURITY_CODE } from './ingest-code';

/**
 * The ingest benchmark's server, in a process of its own so that the load generator does not share
 * its event loop: the real app on a fresh store (nothing delivered: only ingest is measured), and on
 * the same server a ceiling route that parses the callback and answers without storing. The store
 * is chosen as the gateway chooses it: DATABASE_URL (with LIENTHONG_PG_SCHEMA) for PostgreSQL, else
 * SQLite in LIENTHONG_DB or a fresh temporary file (BENCH_SYNC sets its synchronous mode).
 * Prints `{"url": ...}` on stderr once listening; logs go to stdout at info level, as in production.
 */
export { BENCH_SECURITY_CODE };

const databaseUrl = process.env['DATABASE_URL'];
const pgSchema = process.env['LIENTHONG_PG_SCHEMA'] || undefined;
const postgres = isPostgresUrl(databaseUrl);
const file = postgres ? '' : process.env['LIENTHONG_DB'] || join(mkdtempSync(join(tmpdir(), 'lienthong-bench-ingest-')), 'bench.db');
const store: Store = postgres
  ? await openPgStore({ url: databaseUrl, schema: pgSchema })
  : openSqliteStore({ file, ...(process.env['BENCH_SYNC'] ? { synchronous: process.env['BENCH_SYNC'] as 'NORMAL' } : {}) });
const logger = createLogger((line) => process.stdout.write(`${line}\n`), 'info');
const config = resolveConfig(
  {
    province: { code: 'H56' },
    procedures: { '1.012765': { name: 'Đăng ký biến động quyền sử dụng đất', sectorCode: 'G13-TN02', statutoryDays: 10 } },
    sources: { land: { securityCodeEnv: 'CODE', office: { code: '000.00.20.H56', name: 'VPĐK' }, procedureMap: { 'DKBD-CN': '1.012765' } } },
    targets: {
      province: { baseUrl: 'http://127.0.0.1:9', clientId: 'c', clientSecretEnv: 'CODE' },
      dvcqg: { baseUrl: 'http://127.0.0.1:9', username: 'u', passwordEnv: 'CODE', madonvi: '000.00.00.H56', dstcode: 'D' },
    },
  },
  { CODE: BENCH_SECURITY_CODE },
);
const now = Date.now;
const gateway = createGateway({ config, store, now, logger, owner: 'bench' });
const { sessionSecret } = await bootstrapAccess(store, { LIENTHONG_ADMIN_PASSWORD: 'bench-admin-password' }, logger, now());
const app = createApp({ store, config, now, logger, version: 'bench', ingestor: gateway.ingestor, ops: createOperatorService({ store, gateway, config, now, logger }), sessionSecret });

const outer = new Hono();
outer.post('/ceiling/land/:code/:event', async (c) => {
  await c.req.json();
  return c.json({ Result: 1, Message: 'Thành công' });
});
outer.route('/', app);

const server = serve({ fetch: outer.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stderr.write(`${JSON.stringify({ url: `http://127.0.0.1:${info.port}`, db: describeDatabase({ databaseUrl, file, pgSchema }) })}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  void store.close().then(() => process.exit(0));
});
