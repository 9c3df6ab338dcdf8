import { describe, expect, it } from 'vitest';
import { deliveryConfig } from '../../contracts';
import { createLogger } from '../lib/log';
import type { ClaimedDelivery, DeliveryCompletion, Store } from '../store/types';
import type { DeliveryOutcome, TargetClient } from '../targets/types';
import { CLAIM_GAP_FACTOR, CLAIM_GAP_MS, createDeliveryWorker } from './deliverer';

/**
 * Outcomes are written in groups without a timer: what finishes together goes in one write, what
 * finishes while a write is under way goes in the next, and nothing waits for a slow call. The
 * store here only records what it is asked to write; the stores themselves are tested against
 * real databases elsewhere.
 */
function claimed(id: number): ClaimedDelivery {
  return {
    id,
    dossierId: id,
    target: 'province',
    version: 1,
    dossier: {} as ClaimedDelivery['dossier'],
    holdReason: null,
    attempts: 0,
    firstFailedAt: null,
    upstreamCode: null,
    progress: { remoteId: null, remoteCode: null, remoteStatus: null, remoteFieldsHash: null, remoteSteps: [], uncertain: false },
  };
}

/** Waits, turn by turn of the event loop, until `done` holds (or fails the test after 2 s). */
async function until(done: () => boolean) {
  const deadline = Date.now() + 2_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('the condition never held');
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** Records every write; a write returns only once `hold` (if given) resolves. */
function recordingStore(ids: number[], fail = false, hold?: Promise<void>) {
  const writes: { at: number; ids: number[] }[] = [];
  let claims = 0;
  const store = {
    async claimDeliveries() {
      return claims++ === 0 ? ids.map(claimed) : [];
    },
    async completeDeliveries(completions: readonly DeliveryCompletion[]) {
      writes.push({ at: Date.now(), ids: completions.map((c) => c.id) });
      await hold;
      if (fail && writes.length === 1) throw new Error('disk full');
    },
  };
  return { store: store as unknown as Store, writes };
}

/** Answers each delivery after the delay its id asks for (none unless listed). */
function client(delays: Record<number, Promise<void>> = {}): TargetClient {
  return {
    target: 'province',
    batchSize: 1,
    concurrency: 4,
    async deliver(work): Promise<DeliveryOutcome[]> {
      await delays[work[0]!.id];
      return work.map((w) => ({ id: w.id, progress: { ...w.progress, remoteCode: `C${w.id}` }, operations: ['create'] }));
    },
  };
}

const worker = (store: Store, target: TargetClient) =>
  createDeliveryWorker({
    store,
    client: target,
    config: deliveryConfig.parse({}),
    owner: 'w1',
    now: Date.now,
    logger: createLogger(() => {}),
  });

describe('delivery worker: group commit of a round', () => {
  it('writes the outcomes of calls that finish together in one store write', async () => {
    const { store, writes } = recordingStore([1, 2, 3, 4]);
    expect(await worker(store, client()).runOnce()).toBe(4);
    expect(writes.map((w) => w.ids.sort())).toEqual([[1, 2, 3, 4]]);
  });

  it('does not hold finished outcomes behind a slow call', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const { store, writes } = recordingStore([1, 2, 3, 4]);
    const round = worker(store, client({ 4: slow })).runOnce();
    await until(() => writes.length > 0);
    // The three fast ones are on record while the fourth call is still out.
    expect(writes.map((w) => w.ids.sort())).toEqual([[1, 2, 3]]);
    release();
    expect(await round).toBe(4);
    expect(writes.map((w) => w.ids)).toEqual([[1, 2, 3], [4]]);
  });

  it('outcomes that finish while a write is under way go together in the next one', async () => {
    const gates = new Map<number, () => void>();
    const delays: Record<number, Promise<void>> = {};
    for (const id of [1, 2, 3, 4]) delays[id] = new Promise<void>((r) => gates.set(id, r));
    let finishWrite!: () => void;
    const { store, writes } = recordingStore([1, 2, 3, 4], false, new Promise<void>((r) => (finishWrite = r)));
    const round = worker(store, client(delays)).runOnce();
    gates.get(1)!();
    await until(() => writes.length === 1); // the write of [1] is under way
    gates.get(2)!();
    await new Promise((r) => setTimeout(r, 1));
    gates.get(3)!();
    gates.get(4)!();
    await new Promise((r) => setTimeout(r, 1));
    expect(writes).toHaveLength(1); // nothing else starts while it is
    finishWrite();
    expect(await round).toBe(4);
    expect(writes.map((w) => w.ids.sort())).toEqual([[1], [2, 3, 4]]);
  });

  it('a failed write fails the round, and the writes after it are still made', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const { store, writes } = recordingStore([1, 2], true);
    const round = worker(store, client({ 2: slow })).runOnce();
    const settled = round.then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    await until(() => writes.length > 0);
    release();
    expect(await settled).toBe('disk full');
    expect(writes.map((w) => w.ids)).toEqual([[1], [2]]);
  });
});

/** A store with `due` deliveries waiting; each claim takes what it may, oldest first. */
function queueStore(due: number) {
  const waiting = Array.from({ length: due }, (_, i) => i + 1);
  const claims: number[] = [];
  const written: number[] = [];
  const store = {
    async claimDeliveries({ limit }: { limit: number }) {
      const ids = waiting.splice(0, limit);
      claims.push(ids.length);
      return ids.map(claimed);
    },
    async completeDeliveries(completions: readonly DeliveryCompletion[]) {
      written.push(...completions.map((c) => c.id));
    },
  };
  return { store: store as unknown as Store, claims, written };
}

describe('delivery worker: the pipeline keeps call slots busy', () => {
  it('refills freed slots while a slow call is still out, claiming once a quarter of the slots is free', async () => {
    const held = new Map<number, () => void>();
    const slow: Record<number, Promise<void>> = {};
    for (const id of [1, 2, 3, 4, 5, 6, 7, 8]) slow[id] = new Promise<void>((r) => held.set(id, r));
    const target = { ...client(slow), concurrency: 4 };
    const { store, claims, written } = queueStore(8);
    const w = worker(store, target);
    const settled: number[] = [];
    w.pipeline!.onSettled(() => settled.push(written.length));

    expect(await w.pipeline!.fill()).toBe(4); // 1..4 out
    expect(await w.pipeline!.fill()).toBe(0); // no slot free: no claim made
    expect(claims).toEqual([4]);
    held.get(1)!();
    await new Promise((r) => setTimeout(r, 20));
    expect(written).toEqual([1]);
    // One slot of four is a quarter: it is claimed for at once, while 2, 3 and 4 are still out.
    expect(await w.pipeline!.fill()).toBe(1);
    expect(claims).toEqual([4, 1]);
    for (const id of [2, 3, 4, 5]) held.get(id)!();
    await new Promise((r) => setTimeout(r, 20));
    expect(await w.pipeline!.fill()).toBe(3); // 6, 7, 8
    for (const id of [6, 7, 8]) held.get(id)!();
    await w.pipeline!.drain();
    expect(written.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(settled).toHaveLength(8);
  });

  it('with eight slots it waits for two to free before claiming again', async () => {
    const held = new Map<number, () => void>();
    const slow: Record<number, Promise<void>> = {};
    for (let id = 1; id <= 10; id++) slow[id] = new Promise<void>((r) => held.set(id, r));
    const { store, claims } = queueStore(10);
    const w = worker(store, { ...client(slow), concurrency: 8 });
    expect(await w.pipeline!.fill()).toBe(8);
    held.get(1)!();
    await new Promise((r) => setTimeout(r, 20));
    expect(await w.pipeline!.fill()).toBe(0);
    held.get(2)!();
    await new Promise((r) => setTimeout(r, 20));
    expect(await w.pipeline!.fill()).toBe(2);
    expect(claims).toEqual([8, 2]);
    for (let id = 3; id <= 10; id++) held.get(id)!();
    await w.pipeline!.drain();
  });
});

describe('delivery worker: a claim that found the queue empty', () => {
  it('spaces the next claim by CLAIM_GAP_MS, or CLAIM_GAP_FACTOR times as long as it took, and says how long is left only when it held one back', async () => {
    let clock = 1_000_000;
    let claimTakes = 0;
    const { store: inner, claims } = queueStore(1);
    const store = {
      ...inner,
      claimDeliveries: async (input: Parameters<Store['claimDeliveries']>[0]) => {
        clock += claimTakes;
        return inner.claimDeliveries(input);
      },
      completeDeliveries: inner.completeDeliveries,
    } as unknown as Store;
    const w = createDeliveryWorker({
      store,
      client: { ...client(), concurrency: 4 },
      config: deliveryConfig.parse({}),
      owner: 'w1',
      now: () => clock,
      logger: createLogger(() => {}),
    });
    expect(await w.pipeline!.fill()).toBe(1); // asked for 4, found 1: the queue is empty now
    await w.pipeline!.drain();
    expect(w.pipeline!.nextClaimIn()).toBe(0); // nothing held back: sleep until woken
    clock += 2;
    expect(await w.pipeline!.fill()).toBe(0);
    expect(claims).toEqual([1]); // no claim made within the gap
    expect(w.pipeline!.nextClaimIn()).toBe(CLAIM_GAP_MS - 2);
    clock += CLAIM_GAP_MS;
    claimTakes = 10; // a slow claim: the next gap is four times as long
    expect(await w.pipeline!.fill()).toBe(0);
    expect(claims).toEqual([1, 0]);
    expect(w.pipeline!.nextClaimIn()).toBe(0);
    clock += CLAIM_GAP_FACTOR * 10 - 1;
    expect(await w.pipeline!.fill()).toBe(0);
    expect(claims).toEqual([1, 0]);
    expect(w.pipeline!.nextClaimIn()).toBe(1);
    clock += 1;
    await w.pipeline!.fill();
    expect(claims).toEqual([1, 0, 0]);
  });
});
