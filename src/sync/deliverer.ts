import type { DeliveryConfig } from '../../contracts';
import { crashPoint } from '../lib/crash-point';
import type { Logger } from '../lib/log';
import type { DeliveryCompletion, Store } from '../store/types';
import type { TargetClient } from '../targets/types';
import { nextAfterFailure } from './retry-policy';

/**
 * Claims due deliveries for one target, hands them to the target client, and records every
 * attempt. Claims carry a lease: a worker that dies leaves its deliveries to be taken over, marked
 * uncertain, once the lease runs out.
 */
export interface DeliveryWorker {
  /** One claim-deliver-record round; returns how many deliveries it handled. */
  runOnce(): Promise<number>;
}

export interface DeliveryWorkerDeps {
  store: Store;
  client: TargetClient;
  config: DeliveryConfig;
  owner: string;
  now: () => number;
  logger: Logger;
  random?: () => number;
}

async function pool<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return results;
}

export function createDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const { store, client, config, owner, now, logger } = deps;
  const log = logger.child({ target: client.target });
  return {
    async runOnce() {
      const claimed = await store.claimDeliveries({
        target: client.target,
        after: client.after,
        owner,
        now: now(),
        leaseMs: config.leaseSeconds * 1000,
        limit: client.batchSize * client.concurrency,
      });
      if (claimed.length === 0) return 0;
      const batches: (typeof claimed)[] = [];
      for (let i = 0; i < claimed.length; i += client.batchSize) batches.push(claimed.slice(i, i + client.batchSize));
      await pool(batches, client.concurrency, async (batch) => {
        crashPoint('after-claim');
        const startedAt = now();
        const outcomes = await client.deliver(batch);
        const finishedAt = now();
        const completions: DeliveryCompletion[] = outcomes.map((o) => {
          const work = batch.find((w) => w.id === o.id)!;
          const base = {
            id: o.id,
            owner,
            version: work.version,
            startedAt,
            durationMs: finishedAt - startedAt,
            progress: o.progress,
            operations: o.operations,
          };
          if (!o.error) {
            crashPoint('after-target-answer');
            return base;
          }
          const e = o.error;
          const next = nextAfterFailure(e, work.attempts + 1, work.firstFailedAt, finishedAt, config, deps.random);
          log[e.retryable ? 'debug' : 'warn']('delivery failed', {
            dossierId: work.dossierId,
            version: work.version,
            errorClass: e.errorClass,
            code: e.code,
            next: next.state,
          });
          return {
            ...base,
            error: { errorClass: e.errorClass, code: e.code, message: e.message, ...(e.httpStatus ? { httpStatus: e.httpStatus } : {}) },
            next,
          };
        });
        await store.completeDeliveries(completions, now());
      });
      return claimed.length;
    },
  };
}
