import type { HoldReason, SourceSystem, TargetSystem } from '../../contracts';
import type { Gateway } from '../gateway';
import { TARGET_ORDER } from '../gateway';
import type { Logger } from '../lib/log';
import type { GatewayConfig } from '../../contracts';
import type { Store } from '../store/types';
import { reconcileTarget, type ReconcileReport } from './reconcile';

/**
 * What operators and admins can do beyond replaying deliveries: add a mapping table entry,
 * reprocess held dossiers, run the drift check now and resync what it found.
 */
export interface OperatorService {
  mappings(): Record<string, Record<string, string>>;
  setMapping(source: SourceSystem, localCode: string, nationalCode: string): Promise<void>;
  reprocess(filter: { source?: SourceSystem; reason?: HoldReason; localCode?: string }): Promise<{ checked: number; released: number; stillHeld: number; dossiers: { source: SourceSystem; externalId: string }[] }>;
  reconcile(limitPerTarget?: number): Promise<ReconcileReport[]>;
  resync(findingIds: readonly number[] | 'all'): Promise<{ dossierId: number; target: TargetSystem; source: SourceSystem; externalId: string }[]>;
}

export class OperatorError extends Error {
  override readonly name = 'OperatorError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function createOperatorService(deps: { store: Store; gateway: Gateway; config: GatewayConfig; now: () => number; logger: Logger }): OperatorService {
  const { store, gateway, config, now } = deps;
  return {
    mappings() {
      return Object.fromEntries([...gateway.adapters.keys()].map((s) => [s, gateway.mappings.get(s)]));
    },
    async setMapping(source, localCode, nationalCode) {
      if (!gateway.adapters.has(source)) throw new OperatorError('SOURCE_NOT_ENABLED', `source ${source} is not enabled in this gateway`);
      if (!config.procedures[nationalCode]) {
        throw new OperatorError('UNKNOWN_NATIONAL_CODE', `national code ${nationalCode} is not in the configured procedure catalogue; add it to "procedures" first`);
      }
      const key = `mapping:${source}`;
      const current = JSON.parse((await store.getSetting(key)) ?? '{}') as Record<string, string>;
      await store.putSetting(key, JSON.stringify({ ...current, [localCode]: nationalCode }));
      await gateway.mappings.load();
    },
    async reprocess(filter) {
      const held = await store.heldDossiers(filter);
      let released = 0;
      const dossiers: { source: SourceSystem; externalId: string }[] = [];
      for (const h of held) {
        if (!gateway.adapters.has(h.source)) continue;
        const result = await store.redecide(h.source, h.externalId, gateway.decider(h.source), TARGET_ORDER, now());
        if (result.outcome === 'changed' && !result.hold) {
          released++;
          dossiers.push(h);
        }
      }
      return { checked: held.length, released, stillHeld: held.length - released, dossiers };
    },
    async reconcile(limitPerTarget = config.reconcile.maxPerRun) {
      const reports: ReconcileReport[] = [];
      for (const target of TARGET_ORDER) reports.push(await reconcileTarget({ store, gateway, logger: deps.logger, now }, target, limitPerTarget));
      return reports;
    },
    async resync(findingIds) {
      const open = await store.openDrift();
      const chosen = findingIds === 'all' ? open : open.filter((f) => findingIds.includes(f.id));
      const done = new Map<string, { dossierId: number; target: TargetSystem; source: SourceSystem; externalId: string }>();
      for (const f of chosen) {
        const key = `${f.dossierId}:${f.target}`;
        if (done.has(key)) continue;
        // The province comes first: resyncing the portal alone would wait behind it anyway.
        if (await store.resync(f.dossierId, f.target, now())) done.set(key, { dossierId: f.dossierId, target: f.target, source: f.source, externalId: f.externalId });
      }
      return [...done.values()];
    },
  };
}
