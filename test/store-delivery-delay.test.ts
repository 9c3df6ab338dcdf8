import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SourceDossier } from '../contracts';
import { openPgStore } from '../src/store/pg/store';
import { openSqliteStore } from '../src/store/sqlite/store';
import type { AcceptInput, DecideFn, DeliveryCompletion, Store } from '../src/store/types';
import { d1Harness } from './support/d1';
import { makeDossier } from './support/dossier';
import { TEST_PG_URL, dropSchema, uniqueSchema } from './support/postgres';

/**
 * A change's delivery delay (the land reorder window) holds however the change meets its delivery:
 * accepted while the previous version is being delivered, or while the delivery waits out a
 * backoff. Otherwise a land event resent late, still inside the window, reaches the append-only
 * province after the steps that follow it (found by the SIGKILL matrix, test/e2e/crash-points).
 * A change without a delay leaves a waiting delivery its place in the queue.
 */
const WINDOW_MS = 8_000;
const T0 = 5_000_000;

function record(status: string, at: string, receivedAt: number, externalId = 'L-1'): AcceptInput {
  return { source: 'land', externalId, kind: 'ChuyenHoSo', sourceTime: at, sourceTimeMs: Date.parse(at), contentHash: `h-${status}-${at}`, body: status, fragment: { status }, receivedAt };
}
const decideFor = (externalId: string): DecideFn => ({ fragments }) => ({
  kind: 'dossier',
  dossier: makeDossier({ source: { system: 'land', externalId }, sourceCode: externalId, status: (fragments.at(-1)!.fragment as { status: SourceDossier['status'] }).status }),
  hold: null,
});
const decide = decideFor('L-1');

interface Harness {
  name: string;
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

function sqlite(): Harness {
  let dir = '';
  return {
    name: 'sqlite',
    async open() {
      dir = mkdtempSync(join(tmpdir(), 'lienthong-delay-'));
      return openSqliteStore({ file: join(dir, 'delay.db') });
    },
    async cleanup() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgres(): Harness {
  let schema = '';
  return {
    name: 'postgres',
    async open() {
      schema = uniqueSchema('lt_delay');
      return openPgStore({ url: TEST_PG_URL, schema });
    },
    async cleanup() {
      if (schema) await dropSchema(TEST_PG_URL, schema);
    },
  };
}

for (const harness of [sqlite(), postgres(), d1Harness()] as Harness[]) {
  describe(`delivery delay (${harness.name})`, () => {
    let store: Store | undefined;
    afterEach(async () => {
      await store?.close();
      store = undefined;
      await harness.cleanup();
    });

    const claim = (now: number) => store!.claimDeliveries({ target: 'province', owner: 'w', now, leaseMs: 60_000, limit: 1 });
    const done = (c: { id: number; version: number; progress: DeliveryCompletion['progress'] }, startedAt: number, extra: Partial<DeliveryCompletion> = {}): DeliveryCompletion => ({
      id: c.id,
      owner: 'w',
      version: c.version,
      startedAt,
      durationMs: 5,
      operations: ['create'],
      progress: c.progress,
      ...extra,
    });

    it('holds a change accepted while the previous version is delivered for its whole delay', async () => {
      store = await harness.open();
      await store.acceptSourceRecord(record('RECEIVED', '2026-03-02T09:00:00+07:00', T0), decide, ['province'], { deliverAfterMs: 0 });
      const [first] = await claim(T0 + 10);
      expect(first?.version).toBe(1);
      await store.acceptSourceRecord(record('IN_PROGRESS', '2026-03-02T10:00:00+07:00', T0 + 20), decide, ['province'], { deliverAfterMs: WINDOW_MS });
      await store.completeDeliveries([done(first!, T0 + 10)], T0 + 30);
      expect(await claim(T0 + 40)).toEqual([]);
      expect(await claim(T0 + 20 + WINDOW_MS - 1)).toEqual([]);
      const [second] = await claim(T0 + 20 + WINDOW_MS);
      expect(second?.version).toBe(2);
    });

    it('holds it too when the attempt failed and backs off for less than the delay', async () => {
      store = await harness.open();
      await store.acceptSourceRecord(record('RECEIVED', '2026-03-02T09:00:00+07:00', T0), decide, ['province'], { deliverAfterMs: 0 });
      const [first] = await claim(T0 + 10);
      await store.acceptSourceRecord(record('IN_PROGRESS', '2026-03-02T10:00:00+07:00', T0 + 20), decide, ['province'], { deliverAfterMs: WINDOW_MS });
      const error = { errorClass: 'transient' as const, code: 'PROVINCE_503', message: 'province answered 503' };
      await store.completeDeliveries([done(first!, T0 + 10, { error, next: { state: 'retrying', at: T0 + 500 } })], T0 + 30);
      expect(await claim(T0 + 600)).toEqual([]);
      expect((await claim(T0 + 20 + WINDOW_MS))[0]?.version).toBe(2);
    });

    it('holds a change that meets a delivery waiting out its backoff', async () => {
      store = await harness.open();
      await store.acceptSourceRecord(record('RECEIVED', '2026-03-02T09:00:00+07:00', T0), decide, ['province'], { deliverAfterMs: 0 });
      const [first] = await claim(T0 + 10);
      const error = { errorClass: 'transient' as const, code: 'PROVINCE_503', message: 'province answered 503' };
      await store.completeDeliveries([done(first!, T0 + 10, { error, next: { state: 'retrying', at: T0 + 500 } })], T0 + 30);
      await store.acceptSourceRecord(record('IN_PROGRESS', '2026-03-02T10:00:00+07:00', T0 + 100), decide, ['province'], { deliverAfterMs: WINDOW_MS });
      expect(await claim(T0 + 600)).toEqual([]);
      expect((await claim(T0 + 100 + WINDOW_MS))[0]?.version).toBe(2);
    });

    it('keeps a longer backoff, and delivers at once what has no delay', async () => {
      store = await harness.open();
      await store.acceptSourceRecord(record('RECEIVED', '2026-03-02T09:00:00+07:00', T0), decide, ['province'], { deliverAfterMs: 0 });
      const [first] = await claim(T0 + 10);
      await store.acceptSourceRecord(record('IN_PROGRESS', '2026-03-02T10:00:00+07:00', T0 + 20), decide, ['province'], { deliverAfterMs: 0 });
      const error = { errorClass: 'transient' as const, code: 'PROVINCE_503', message: 'province answered 503' };
      await store.completeDeliveries([done(first!, T0 + 10, { error, next: { state: 'retrying', at: T0 + 60_000 } })], T0 + 30);
      expect(await claim(T0 + 59_999)).toEqual([]);
      const [again] = await claim(T0 + 60_000);
      expect(again?.version).toBe(2);
      await store.acceptSourceRecord(record('RESULT_READY', '2026-03-02T11:00:00+07:00', T0 + 60_010), decide, ['province'], { deliverAfterMs: 0 });
      await store.completeDeliveries([done(again!, T0 + 60_000)], T0 + 60_020);
      expect((await claim(T0 + 60_020))[0]?.version).toBe(3);
    });

    // Claims take the oldest first. A dossier moved to the end of the queue by each new change
    // would, while its source keeps changing it, wait behind the whole backlog again and again.
    it('keeps a waiting delivery its place in the queue when a change comes without delay', async () => {
      store = await harness.open();
      const a = await store.acceptSourceRecord(record('RECEIVED', '2026-03-02T09:00:00+07:00', T0), decide, ['province'], { deliverAfterMs: 0 });
      await store.acceptSourceRecord(record('RECEIVED', '2026-03-02T09:00:00+07:00', T0 + 10, 'L-2'), decideFor('L-2'), ['province'], { deliverAfterMs: 0 });
      await store.acceptSourceRecord(record('IN_PROGRESS', '2026-03-02T10:00:00+07:00', T0 + 20), decide, ['province'], { deliverAfterMs: 0 });
      const [first] = await claim(T0 + 30);
      expect([first?.dossierId, first?.version]).toEqual([a.dossierId, 2]);
    });

    it('keeps it too after delivering, for a change accepted during the attempt', async () => {
      store = await harness.open();
      const a = await store.acceptSourceRecord(record('RECEIVED', '2026-03-02T09:00:00+07:00', T0), decide, ['province'], { deliverAfterMs: 0 });
      const [first] = await claim(T0 + 10);
      await store.acceptSourceRecord(record('IN_PROGRESS', '2026-03-02T10:00:00+07:00', T0 + 20), decide, ['province'], { deliverAfterMs: 0 });
      await store.acceptSourceRecord(record('RECEIVED', '2026-03-02T09:00:00+07:00', T0 + 25, 'L-2'), decideFor('L-2'), ['province'], { deliverAfterMs: 0 });
      await store.completeDeliveries([done(first!, T0 + 10)], T0 + 30);
      const [second] = await claim(T0 + 40);
      expect([second?.dossierId, second?.version]).toEqual([a.dossierId, 2]);
    });
  });
}
