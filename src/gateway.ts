import type { GatewayConfig, ProcedureMap, SourceSystem, TargetSystem } from '../contracts';
import { registry } from '../adapters/registry';
import type { Adapter, AdapterEntry } from '../adapters/types';
import type { Logger } from './lib/log';
import { WorkingCalendar } from './lib/working-time';
import type { DecideFn, Store } from './store/types';
import { createDeliveryWorker, type DeliveryWorker } from './sync/deliverer';
import { createIngestor, decideFor, type Ingestor } from './sync/ingest';
import { reconcileTarget } from './sync/reconcile';
import type { NormalizeContext } from './sync/normalize';
import { createPollRunner, type PollRunner } from './sync/poll-runner';
import { createDvcqgClient } from './targets/dvcqg';
import { createProvinceClient } from './targets/province';

/**
 * Wires the engine from configuration: adapters, the ingestor, target clients, pollers and delivery
 * workers. Runtime-agnostic: the Node entry drives it with a scheduler, the Workers entry with cron.
 */
export interface Gateway {
  ingestor: Ingestor;
  /** How each source's dossiers are rebuilt from their records (with today's mapping tables). */
  decider(source: SourceSystem): DecideFn;
  /** Mapping table entries operators added at run time, on top of the configuration file's. */
  mappings: { get(source: SourceSystem): ProcedureMap; load(): Promise<void> };
  /** Periodic jobs besides polling and delivery. */
  maintenance: { name: string; intervalMs: number; run(): Promise<unknown> }[];
  adapters: ReadonlyMap<SourceSystem, Adapter>;
  workers: DeliveryWorker[];
  pollers: { runner: PollRunner; intervalMs: number }[];
  targets: { province: ReturnType<typeof createProvinceClient>; dvcqg: ReturnType<typeof createDvcqgClient> };
}

export const TARGET_ORDER: readonly TargetSystem[] = ['province', 'dvcqg'];

type SourceConfig = NonNullable<GatewayConfig['sources'][SourceSystem]>;

export function createGateway(deps: {
  config: GatewayConfig;
  store: Store;
  now: () => number;
  logger: Logger;
  owner: string;
  fetch?: typeof fetch;
  /** Told when an accepted change will be due for delivery in `inMs` (the scheduler wakes the workers then). */
  onDue?: (inMs: number) => void;
  /** Target clients made elsewhere (Node runs them on a thread of their own); else made here over `fetch`. */
  targets?: Gateway['targets'];
}): Gateway {
  const { config, store, now, logger } = deps;
  const calendar = new WorkingCalendar(config.holidays);
  const enabled = (Object.keys(registry) as SourceSystem[]).flatMap((id) => {
    const source = config.sources[id] as SourceConfig | undefined;
    return source?.enabled ? [{ id, source, entry: registry[id] as AdapterEntry<SourceConfig> }] : [];
  });
  const adapters = new Map(enabled.map(({ id, source, entry }) => [id, entry.create(source)]));
  let overrides: Partial<Record<SourceSystem, ProcedureMap>> = {};
  const mappings: Gateway['mappings'] = {
    get: (source) => ({ ...(config.sources[source] as SourceConfig | undefined)?.procedureMap, ...overrides[source] }),
    async load() {
      const next: typeof overrides = {};
      for (const { id } of enabled) {
        const stored = await store.getSetting(`mapping:${id}`);
        if (stored) next[id] = JSON.parse(stored) as ProcedureMap;
      }
      overrides = next;
    },
  };
  const context = (source: SourceSystem): NormalizeContext => {
    const c = config.sources[source] as SourceConfig | undefined;
    return {
      procedureMap: mappings.get(source),
      catalog: config.procedures,
      calendar,
      deliveryDelayMs: c && 'reorderWindowSeconds' in c ? c.reorderWindowSeconds * 1000 : 0,
    };
  };
  const ingestor = createIngestor({ store, adapters, context, targets: TARGET_ORDER, now, logger, onDue: deps.onDue });
  const { province, dvcqg } = deps.targets ?? {
    province: createProvinceClient(config.targets.province, deps.fetch),
    dvcqg: createDvcqgClient(config.targets.dvcqg, config.procedures, deps.fetch),
  };
  const workers = [province, dvcqg].map((client) =>
    createDeliveryWorker({ store, client, config: config.delivery, owner: deps.owner, now, logger }),
  );
  const pollers = enabled.flatMap(({ id, source, entry }) => {
    if (!entry.createPoller || !('pollIntervalSeconds' in source)) return [];
    const poller = entry.createPoller(source, deps.fetch);
    return [{ runner: createPollRunner({
        source: id,
        poller,
        store,
        ingestor,
        now,
        logger,
        fetch: deps.fetch,
        // The instance's name, so that freeing its leases at a stop frees its poll leases too; the
        // lease is as long as a delivery's, and at least three poll intervals.
        owner: deps.owner,
        leaseMs: Math.max(config.delivery.leaseSeconds * 1000, source.pollIntervalSeconds * 3000),
      }), intervalMs: source.pollIntervalSeconds * 1000 }];
  });
  const decider = (source: SourceSystem) => {
    const adapter = adapters.get(source);
    if (!adapter) throw new Error(`source ${source} is not enabled`);
    return decideFor(adapter, context(source));
  };
  const gateway: Gateway = { ingestor, decider, mappings, adapters, workers, pollers, targets: { province, dvcqg }, maintenance: [] };
  gateway.maintenance.push({ name: 'mappings', intervalMs: 30_000, run: () => mappings.load() });
  if (config.reconcile.intervalMinutes > 0) {
    gateway.maintenance.push({
      name: 'reconcile',
      intervalMs: config.reconcile.intervalMinutes * 60_000,
      run: async () => {
        for (const target of TARGET_ORDER) await reconcileTarget({ store, gateway, logger, now }, target, config.reconcile.maxPerRun);
      },
    });
  }
  return gateway;
}
