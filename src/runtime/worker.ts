import type { D1Database, ExecutionContext, ScheduledController } from '@cloudflare/workers-types/index.ts';
import { ConfigError, resolveConfig, type GatewayConfig } from '../../contracts';
import pkg from '../../package.json';
import { createApp } from '../app';
import { bootstrapAccess } from '../auth/bootstrap';
import { createGateway, type Gateway } from '../gateway';
import { createLogger, type LogLevel, type Logger } from '../lib/log';
import { SQLITE_MIGRATIONS_BUNDLED } from '../store/d1/migrations';
import { openD1Store } from '../store/d1/store';
import type { Store } from '../store/types';
import { createOperatorService } from '../sync/operator';

/**
 * The Workers entry: `fetch` serves the same app as Node, `scheduled` (cron, every minute) does
 * what Node's scheduler loops do: one poll of each polling source, then delivery rounds until
 * nothing is due or the time budget is spent, then the periodic jobs that are due.
 *
 * Configuration is the configuration file's JSON in the `LIENTHONG_CONFIG_JSON` variable; the
 * secrets it names are the worker's secrets (`wrangler secret put LIENTHONG_DVCQG_PASSWORD`).
 */
export interface WorkerEnv {
  DB: D1Database;
  LIENTHONG_CONFIG_JSON?: string;
  LOG_LEVEL?: string;
  /** Wall-clock seconds one cron run may spend on deliveries (default 45: the next run starts a minute later). */
  LIENTHONG_CRON_BUDGET_SECONDS?: string;
  [name: string]: unknown;
}

interface Runtime {
  config: GatewayConfig;
  store: Store;
  gateway: Gateway;
  logger: Logger;
  app: ReturnType<typeof createApp>;
  /** An operator action queued work during a request: deliver it without waiting for the cron. */
  takeNudge(): boolean;
  mappingsLoadedAt: number;
}

const MAPPINGS_FRESH_MS = 30_000;
const NUDGE_BUDGET_MS = 20_000;

/** Secrets and variables are strings; bindings (DB) are not and never reach the configuration. */
const stringsOf = (env: WorkerEnv): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));

function configFromEnv(env: WorkerEnv): GatewayConfig {
  const text = env.LIENTHONG_CONFIG_JSON;
  if (!text) throw new ConfigError('LIENTHONG_CONFIG_JSON', 'is not set: put the configuration file\'s JSON in this variable (wrangler.toml [vars] or the dashboard)');
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError('LIENTHONG_CONFIG_JSON', `is not valid JSON: ${(err as Error).message}`);
  }
  for (const [name, source] of Object.entries((json['sources'] ?? {}) as Record<string, Record<string, unknown> | undefined>)) {
    if (source && 'procedureMapFile' in source) {
      throw new ConfigError(`sources.${name}.procedureMapFile`, 'a worker has no files to read: put the mapping table in "procedureMap" instead');
    }
  }
  return resolveConfig(json, stringsOf(env));
}

async function startRuntime(env: WorkerEnv): Promise<Runtime> {
  const logger = createLogger((line) => console.log(line), (env.LOG_LEVEL as LogLevel | undefined) ?? 'info');
  const config = configFromEnv(env);
  const store = await openD1Store(env.DB, { migrations: SQLITE_MIGRATIONS_BUNDLED });
  const now = () => Date.now();
  // Isolates come and go: each is its own lease owner, and a vanished one's leases simply expire.
  // workerd refuses `fetch` called on another `this` ("Illegal invocation"), which is how ky calls a
  // fetch handed to it as an option: give the engine one that is always called on the global.
  const boundFetch: typeof fetch = (input, init) => fetch(input, init);
  const gateway = createGateway({ config, store, now, logger, owner: `worker-${crypto.randomUUID()}`, fetch: boundFetch });
  await gateway.mappings.load();
  const { sessionSecret } = await bootstrapAccess(store, stringsOf(env), logger, now());
  let nudged = false;
  const app = createApp({
    store,
    config,
    now,
    logger,
    version: pkg.version,
    ingestor: gateway.ingestor,
    ops: createOperatorService({ store, gateway, config, now, logger }),
    sessionSecret,
    onWork: () => {
      nudged = true;
    },
  });
  const takeNudge = () => {
    const was = nudged;
    nudged = false;
    return was;
  };
  return { config, store, gateway, logger, app, takeNudge, mappingsLoadedAt: now() };
}

let running: Promise<Runtime> | undefined;

/** One runtime per isolate; a failed start is not kept, so the next event tries again. */
function runtimeFor(env: WorkerEnv): Promise<Runtime> {
  running ??= startRuntime(env).catch((err: unknown) => {
    running = undefined;
    throw err;
  });
  return running;
}

/** Mapping entries added by an operator on another isolate reach this one within half a minute. */
async function freshMappings(rt: Runtime) {
  if (Date.now() - rt.mappingsLoadedAt < MAPPINGS_FRESH_MS) return;
  rt.mappingsLoadedAt = Date.now();
  // The mappings already loaded still hold: a database hiccup here must not fail the request.
  await rt.gateway.mappings.load().catch((err: unknown) => rt.logger.warn('mapping refresh failed', { error: (err as Error).name }));
}

/** Delivery rounds over every target until none handled anything or the deadline passed. */
async function deliverUntilIdle(rt: Pick<Runtime, 'gateway' | 'logger'>, deadline: number): Promise<number> {
  let total = 0;
  while (Date.now() < deadline) {
    const handled = await Promise.all(
      rt.gateway.workers.map((w) =>
        w.runOnce().catch((err: unknown) => {
          rt.logger.error('delivery round failed', { error: (err as Error).name, message: (err as Error).message.slice(0, 200) });
          return 0;
        }),
      ),
    );
    const round = handled.reduce((a, b) => a + b, 0);
    total += round;
    // The national portal waits for the province: a round that delivered to one may have made work for the other.
    if (round === 0) break;
  }
  return total;
}

/** Periodic jobs (the drift check) run when their interval has passed since their last run, as on Node. */
async function dueMaintenance(rt: Runtime, now: number) {
  for (const task of rt.gateway.maintenance) {
    if (task.name === 'mappings') continue;
    const key = `cron:last-run:${task.name}`;
    const last = await rt.store.getSetting(key);
    // The first sighting only starts the clock: Node too runs these after their first interval.
    if (last === null) {
      await rt.store.putSetting(key, String(now));
      continue;
    }
    if (now - Number(last) < task.intervalMs) continue;
    await rt.store.putSetting(key, String(now));
    try {
      await task.run();
    } catch (err) {
      rt.logger.error('periodic job failed', { job: task.name, error: (err as Error).name });
    }
  }
}

async function runScheduled(rt: Runtime, budgetMs: number): Promise<{ polled: number; delivered: number }> {
  const started = Date.now();
  rt.mappingsLoadedAt = started;
  await rt.gateway.mappings.load();
  // Each poll lease is given back at once, so the next minute's run polls even from another isolate.
  await Promise.all(
    rt.gateway.pollers.map(async ({ runner }) => {
      try {
        await runner.runOnce();
      } finally {
        await runner.release().catch(() => {});
      }
    }),
  );
  const delivered = await deliverUntilIdle(rt, started + budgetMs);
  await dueMaintenance(rt, Date.now());
  return { polled: rt.gateway.pollers.length, delivered };
}

const startFailure = (err: unknown): Response => {
  const configuration = err instanceof ConfigError;
  console.error(JSON.stringify({ level: 'error', msg: 'lienthong cannot start', error: (err as Error).name, ...(configuration ? { message: (err as Error).message } : {}) }));
  const message = configuration ? (err as Error).message : 'the gateway could not start; the worker log says why';
  return Response.json({ error: { code: configuration ? 'CONFIGURATION' : 'UNAVAILABLE', message } }, { status: 503 });
};

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    let rt: Runtime;
    try {
      rt = await runtimeFor(env);
    } catch (err) {
      return startFailure(err);
    }
    await freshMappings(rt);
    const response = await rt.app.fetch(request, {}, ctx);
    if (rt.takeNudge()) ctx.waitUntil(deliverUntilIdle(rt, Date.now() + NUDGE_BUDGET_MS));
    return response;
  },

  async scheduled(_controller: ScheduledController, env: WorkerEnv, _ctx: ExecutionContext): Promise<void> {
    const rt = await runtimeFor(env);
    const budget = Number(env.LIENTHONG_CRON_BUDGET_SECONDS ?? 45) * 1000;
    const report = await runScheduled(rt, Number.isFinite(budget) && budget > 0 ? budget : 45_000);
    rt.logger.info('cron run done', report);
  },
};
