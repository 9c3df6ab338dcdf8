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
  /** The long-running way to drive it (the Node scheduler), where rounds would leave call slots idle. */
  pipeline?: DeliveryPipeline;
}

/**
 * Keeps the target's call slots busy: a slot that frees is claimed for again without waiting for
 * the others, so one slow call no longer holds back a round's worth of deliveries. Claims are made
 * when a quarter of the slots are free (or all of them), so a claim still serves several calls.
 */
export interface DeliveryPipeline {
  /** Claims for the free slots and starts the calls; resolves with how many it claimed, not waiting for them. */
  fill(): Promise<number>;
  /** When the last fill held back for the claim gap (CLAIM_GAP_MS): how long until it ends; else 0. */
  nextClaimIn(): number;
  /** Resolves when every call under way has finished and its outcome is written. */
  drain(): Promise<void>;
  /** Called each time a call's outcome has been written (what another target may be waiting for); returns how to stop. */
  onSettled(listener: () => void): () => void;
}

/**
 * After a claim found fewer due deliveries than it asked for, the next waits at least this long,
 * and at least CLAIM_GAP_FACTOR times as long as that claim took. The wake-ups that finished calls
 * and new changes bring would otherwise each cost a claim for one delivery or none; and a claim
 * that comes back short has read every open row it could not take (the portal's, waiting for the
 * province, in a backlog of 100,000: milliseconds each). So claiming stays under a fifth of the
 * time whatever the backlog. While claims come back full there is no gap.
 */
export const CLAIM_GAP_MS = 5;
export const CLAIM_GAP_FACTOR = 4;

export interface DeliveryWorkerDeps {
  store: Store;
  client: TargetClient;
  config: DeliveryConfig;
  owner: string;
  now: () => number;
  logger: Logger;
  random?: () => number;
}

/**
 * Group commit of outcomes without a timer: the first outcome is written at once (with whatever
 * finished in the same turn of the event loop); outcomes that finish while a write is under way
 * wait for it and then go together in the next. At low load nothing waits; under load a write
 * carries what finished during the one before it. Writes run one after another; each caller
 * learns whether its own write failed (those deliveries keep their lease, which then expires and
 * is taken over as uncertain, as after a crash).
 */
function completionGroup(store: Store, now: () => number) {
  type Waiting = { completions: DeliveryCompletion[]; done: Promise<void>; resolve(): void; reject(e: unknown): void };
  let waiting: Waiting | undefined;
  let writing = false;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (!waiting || writing) return;
    const batch = waiting;
    waiting = undefined;
    writing = true;
    const write = store.completeDeliveries(batch.completions, now());
    write.then(batch.resolve, batch.reject);
    void write
      .catch(() => undefined)
      .then(() => {
        writing = false;
        flush();
      });
  };
  return {
    /** Resolves once these outcomes are written. */
    add(completions: DeliveryCompletion[]): Promise<void> {
      if (!waiting) {
        let resolve!: () => void;
        let reject!: (e: unknown) => void;
        const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
        done.catch(() => undefined);
        waiting = { completions: [], done, resolve, reject };
      }
      waiting.completions.push(...completions);
      if (!writing && !scheduled) {
        scheduled = true;
        setTimeout(flush, 0); // not setImmediate: workerd has none
      }
      return waiting.done;
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

  const group = completionGroup(store, now);
  let inFlight = 0;
  /** When a claim last found less than it asked for: the queue was empty then. */
  let shortAt = -Infinity;
  let gap = CLAIM_GAP_MS;
  /** Whether the last fill held back because of that gap. */
  let gapped = false;
  const underWay = new Set<Promise<unknown>>();
  const listeners: (() => void)[] = [];

  const claim = (slots: number) =>
    store.claimDeliveries({
      target: client.target,
      after: client.after,
      owner,
      now: now(),
      leaseMs: config.leaseSeconds * 1000,
      limit: client.batchSize * slots,
    });

  /** Starts one call per batch of what was claimed; resolves when all of them are written. */
  const start = (claimed: readonly ClaimedDelivery[]): Promise<PromiseSettledResult<void>[]> => {
    const calls: Promise<void>[] = [];
    for (let i = 0; i < claimed.length; i += client.batchSize) {
      const batch = claimed.slice(i, i + client.batchSize);
      inFlight++;
      const call = attempt(batch)
        .finally(() => inFlight--)
        .then((completions) => group.add(completions))
        .then(() => listeners.forEach((l) => l()));
      underWay.add(call);
      void call.catch(() => undefined).finally(() => underWay.delete(call));
      calls.push(call);
    }
    return Promise.allSettled(calls);
  };

  return {
    async runOnce() {
      const claimed = await claim(Math.max(1, client.concurrency - inFlight));
      if (claimed.length === 0) return 0;
      const failed = (await start(claimed)).find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      return claimed.length;
    },
    pipeline: {
      async fill() {
        gapped = false;
        const free = client.concurrency - inFlight;
        if (free <= 0 || (inFlight > 0 && free < Math.ceil(client.concurrency / 4))) return 0;
        gapped = now() < shortAt + gap;
        if (gapped) return 0;
        const asked = now();
        const claimed = await claim(free);
        if (claimed.length < free * client.batchSize) {
          shortAt = now();
          gap = Math.max(CLAIM_GAP_MS, CLAIM_GAP_FACTOR * (shortAt - asked));
        }
        if (claimed.length === 0) return 0;
        void start(claimed).then((results) => {
          for (const r of results) {
            if (r.status === 'rejected') log.error('delivery outcome not written', { error: (r.reason as Error).name, message: String((r.reason as Error).message).slice(0, 200) });
          }
        });
        return claimed.length;
      },
      nextClaimIn() {
        return gapped ? Math.max(1, shortAt + gap - now()) : 0;
      },
      async drain() {
        while (underWay.size) await Promise.allSettled([...underWay]);
      },
      onSettled(listener) {
        listeners.push(listener);
        return () => listeners.splice(listeners.indexOf(listener) >>> 0, 1);
      },
    },
  };
}
