import { serve } from '@hono/node-server';
import { randomUUID } from 'node:crypto';
import { ConfigError, type GatewayConfig } from '../../contracts';
import { createApp } from '../app';
import { createGateway } from '../gateway';
import { createLogger, type LogLevel, type Logger } from '../lib/log';
import { describeDatabase, isPostgresUrl, openStore } from '../store/open';
import { bootstrapAccess } from '../auth/bootstrap';
import { createOperatorService } from '../sync/operator';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createScheduler } from '../sync/scheduler';
import { loadConfigFile } from './config-file';
import { startTargetThread } from './target-calls';
import { createUndiciFetch } from './undici-fetch';

/**
 * The Node entry: configuration -> store -> HTTP server + scheduler. With no LIENTHONG_CONFIG it
 * starts the sandbox simulators on loopback and talks to them, so a newcomer sees dossiers flow.
 */
const VERSION = '0.1.0';

export interface RunningGateway {
  url: string;
  /** The simulators' addresses, in zero-configuration mode. */
  sandbox: string[];
  stop(): Promise<void>;
}

export async function startNodeGateway(env: Record<string, string | undefined>, logger: Logger): Promise<RunningGateway> {
  let config: GatewayConfig;
  let sandbox: { close(): Promise<void>; describe(): string[]; attach(gatewayUrl: string): void } | undefined;
  if (env['LIENTHONG_CONFIG']) {
    config = loadConfigFile(env['LIENTHONG_CONFIG'], env);
  } else {
    const { startSandboxGateway, SANDBOX_ADMIN } = await import('./sandbox-mode');
    const started = await startSandboxGateway(env);
    config = started.config;
    sandbox = started;
    // A known console login for the sandbox only; a configured gateway never has one.
    env = { LIENTHONG_ADMIN_USER: SANDBOX_ADMIN.username, LIENTHONG_ADMIN_PASSWORD: SANDBOX_ADMIN.password, ...env };
  }
  const port = env['PORT'] !== undefined ? Number(env['PORT']) : (config.port ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('PORT', `"${env['PORT']}" is not a port number`);

  const database = { databaseUrl: env['DATABASE_URL'], file: env['LIENTHONG_DB'] ?? config.database.file, pgSchema: env['LIENTHONG_PG_SCHEMA'] };
  const shared = isPostgresUrl(database.databaseUrl);
  const store = await openStore(database);
  const owner = `node-${randomUUID()}`;
  if (!shared) {
    // This process is the only one on this file: whatever was in flight when it last stopped is unknown.
    const released = await store.releaseLeases();
    if (released > 0) logger.warn('deliveries in flight at the last stop will be checked against their targets', { count: released });
  }
  // On a shared database a dead instance's leases simply expire and the others take its work over.

  const now = () => Date.now();
  // The scheduler is made from the gateway's workers; until then, a change due has no one to wake.
  let wakeIn = (_ms: number) => {};
  const transport = createUndiciFetch();
  // The target clients' calls run on a thread of their own; the pollers' stay here.
  const targetThread = await startTargetThread({ province: config.targets.province, dvcqg: config.targets.dvcqg, procedures: config.procedures }, logger);
  const gateway = createGateway({ config, store, now, logger, owner, fetch: transport, targets: targetThread.targets, onDue: (ms) => wakeIn(ms) });
  await gateway.mappings.load();
  const { sessionSecret } = await bootstrapAccess(store, env, logger, now());
  const scheduler = createScheduler({ workers: gateway.workers, pollers: gateway.pollers, tasks: gateway.maintenance, idleMs: config.delivery.idlePollMs, logger });
  wakeIn = scheduler.wakeIn;
  const app = createApp({
    store,
    config,
    now,
    logger,
    version: VERSION,
    ingestor: gateway.ingestor,
    ops: createOperatorService({ store, gateway, config, now, logger }),
    sessionSecret,
    onWork: () => scheduler.nudge(),
    docsAsset: swaggerAssets(),
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: env['HOST'] ?? '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const url = `http://${env['HOST'] ?? '127.0.0.1'}:${typeof address === 'object' && address ? address.port : port}`;
  scheduler.start();
  sandbox?.attach(url);

  logger.info('lienthong started', { url, database: describeDatabase(database), instance: owner, sandbox: Boolean(sandbox) });
  return {
    url,
    sandbox: sandbox?.describe() ?? [],
    async stop() {
      await scheduler.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Whatever this instance still held becomes another's at once (and is checked at its target).
      if (shared) await store.releaseLeases(owner);
      await store.close();
      await targetThread.close();
      await transport.close();
      await sandbox?.close();
    },
  };
}

/** The API documentation page's files, from the installed swagger-ui-dist package. */
function swaggerAssets() {
  const dir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const types: Record<string, string> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8' };
  return async (name: string) => {
    const body = await readFile(join(dir, name)).catch(() => null);
    return body ? new Response(body, { headers: { 'content-type': types[name.split('.').pop()!] ?? 'application/octet-stream', 'cache-control': 'max-age=86400' } }) : null;
  };
}

async function main() {
  const logger = createLogger((line) => process.stdout.write(`${line}\n`), (process.env['LOG_LEVEL'] as LogLevel) ?? 'info');
  let running: RunningGateway;
  try {
    running = await startNodeGateway(process.env, logger);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`lienthong: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  process.stderr.write(
    [
      '',
      `lienthong is running at ${running.url}`,
      `  sync health:     ${running.url}/api/v1/sync/status`,
      `  console:         ${running.url}/console${running.sandbox.length ? '   (sandbox login: admin / sandbox-admin)' : ''}`,
      `  API docs:        ${running.url}/docs`,
      `  one dossier:     ${running.url}/api/v1/dossiers/{source}/{externalId}`,
      ...(running.sandbox.length
        ? ['', 'No LIENTHONG_CONFIG: talking to the sandbox simulators, which generate land, civil-status and business-registration dossiers:', ...running.sandbox.map((l) => `  ${l}`)]
        : []),
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    await running.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  void main();
}
