import type { DeliveryConfig } from '../../contracts';
import { crashPoint } from '../lib/crash-point';
import type { Logger } from '../lib/log';
import type { ClaimedDelivery, DeliveryCompletion, Store } from '../store/types';
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
  /**
   * How long a finished batch's outcome may wait for the round's other batches, to be written with
   * them in one transaction (one fsync) rather than alone. The round's last batch writes at once.
   */
  commitHoldMs?: number;
}

/** Above this a slow call (a timeout) would keep the others' outcomes from the status for too long. */
export const COMMIT_HOLD_MS = 100;

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

/**
 * Group commit of a round's outcomes: each batch adds its completions; they are written together
 * when `commitHoldMs` has passed since the first one waiting, or when the round closes. Writes run
 * one after another; `close` writes what is left and rejects if any write failed (those deliveries
 * keep their lease, which then expires and is taken over as uncertain, as after a crash).
 */
function completionGroup(store: Store, now: () => number, holdMs: number) {
  let waiting: DeliveryCompletion[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last: Promise<void> = Promise.resolve();
  const writes: Promise<void>[] = [];
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (waiting.length === 0) return;
    const batch = waiting;
    waiting = [];
    const write = last.then(() => store.completeDeliveries(batch, now()));
    last = write.catch(() => undefined);
    writes.push(write);
  };
  return {
    add(completions: DeliveryCompletion[]) {
      waiting.push(...completions);
      timer ??= setTimeout(flush, holdMs);
    },
    async close() {
      flush();
      await Promise.all(writes);
    },
  };
}

export function createDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const { store, client, config, owner, now, logger } = deps;
  const log = logger.child({ target: client.target });
  /** One call to the target with one batch, and each delivery's outcome as the store records it. */
  const attempt = async (batch: readonly ClaimedDelivery[]): Promise<DeliveryCompletion[]> => {
    crashPoint('after-claim');
    const startedAt = now();
    const outcomes = await client.deliver(batch);
    const finishedAt = now();
    return outcomes.map((o): DeliveryCompletion => {
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
  };

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
      const group = completionGroup(store, now, deps.commitHoldMs ?? COMMIT_HOLD_MS);
      const batches: (typeof claimed)[] = [];
      for (let i = 0; i < claimed.length; i += client.batchSize) batches.push(claimed.slice(i, i + client.batchSize));
      try {
        await pool(batches, client.concurrency, async (batch) => group.add(await attempt(batch)));
      } finally {
        await group.close();
      }
      return claimed.length;
    },
  };
}
