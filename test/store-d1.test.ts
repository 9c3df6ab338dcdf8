import type { D1Database } from '@cloudflare/workers-types/index.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openD1Store } from '../src/store/d1/store';
import type { AcceptInput, DecideFn, Store } from '../src/store/types';
import { sqliteMigrationsFromDisk, startD1 } from './support/d1';
import { makeDossier } from './support/dossier';

/**
 * What only D1 needs proving: each whole operation is a read and then one guarded batch, so a
 * writer that slips in between must make the batch abort and the operation start over from a new
 * read. These tests put that writer there on purpose. (The store's contract suite in
 * store.test.ts can run on D1 too, with `d1Harness()` from ./support/d1.)
 */
const TARGETS = ['province', 'dvcqg'] as const;

/** The dossier's summary lists every record's body, so a decision that missed a record shows. */
const decide: DecideFn = ({ fragments }) => ({
  kind: 'dossier',
  dossier: makeDossier({
    source: { system: 'civil-status', externalId: 'X' },
    summary: fragments.map((f) => (f.fragment as { body: string }).body).join(' + '),
  }),
  hold: null,
});

let seq = 0;
function record(body: string, minute: number): AcceptInput {
  const at = `2026-03-02T09:${String(minute).padStart(2, '0')}:00+07:00`;
  return { source: 'civil-status', externalId: 'X', kind: 'snapshot', sourceTime: at, sourceTimeMs: Date.parse(at), contentHash: `hash-${body}`, body, fragment: { body }, receivedAt: 1_000_000 + seq++ };
}

/** The binding, with a hook that runs once just before a chosen later `batch` (after its reads, before its writes). */
function interceptable(d1: D1Database) {
  let pending: { skip: number; run: () => Promise<void> } | null = null;
  const wrapped = {
    prepare: (query: string) => d1.prepare(query),
    exec: (query: string) => d1.exec(query),
    async batch(statements: Parameters<D1Database['batch']>[0]) {
      if (pending && pending.skip-- === 0) {
        const run = pending.run;
        pending = null;
        await run();
      }
      return d1.batch(statements);
    },
  };
  return {
    d1: wrapped as unknown as D1Database,
    /** Runs `fn` before the batch after the next `skip` ones. */
    before(skip: number, fn: () => Promise<void>) {
      pending = { skip, run: fn };
    },
  };
}

describe('store (d1): whole operations against a concurrent writer', () => {
  let running: Awaited<ReturnType<typeof startD1>>;
  let racy: ReturnType<typeof interceptable>;
  let a: Store;
  let b: Store;
  beforeEach(async () => {
    running = await startD1();
    racy = interceptable(running.d1);
    a = await openD1Store(racy.d1, { migrations: sqliteMigrationsFromDisk() });
    // A second isolate on the same database.
    b = await openD1Store(running.d1, { migrations: sqliteMigrationsFromDisk() });
  });
  afterEach(async () => {
    await running.close();
  });

  it('applies the migrations once, records them as drizzle does, and keeps the audit log append-only', async () => {
    const rows = await running.d1.prepare('SELECT hash, created_at FROM __drizzle_migrations ORDER BY created_at').all<{ hash: string }>();
    expect(rows.results.map((r) => r.hash.length)).toEqual([64, 64, 64]);
    expect(await a.ping()).toEqual({ migrations: 3 });
    await a.appendAudit({ seq: 1, at: 1, actor: 'admin', action: 'x', subject: '{}', prevHash: '', hash: 'h' });
    await expect(running.d1.prepare("UPDATE audit_log SET actor = 'x'").run()).rejects.toThrow(/append-only/);
  });

  it('accepts a record again from a fresh read when another writer changed the dossier in between', async () => {
    // A has read (no dossier, no records) when B stores a later record and creates the dossier.
    racy.before(1, async () => {
      expect(await b.acceptSourceRecord(record('second', 10), decide, TARGETS)).toMatchObject({ outcome: 'changed', version: 1 });
    });
    const result = await a.acceptSourceRecord(record('first', 5), decide, TARGETS);
    expect(result).toMatchObject({ outcome: 'changed', version: 2 });
    const view = await a.getDossierView('civil-status', 'X');
    expect(view?.dossier.summary).toBe('first + second');
    expect(view?.versions.map((v) => [v.version, v.dossier.summary])).toEqual([
      [1, 'second'],
      [2, 'first + second'],
    ]);
    expect(view?.records.map((r) => r.status)).toEqual(['applied', 'applied']);
    expect(view?.deliveries.map((d) => [d.target, d.wantVersion])).toEqual([
      ['province', 2],
      ['dvcqg', 2],
    ]);
  });

  it('keeps every record and one version per change when two instances accept at once', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).acceptSourceRecord(record(`r${String(i).padStart(2, '0')}`, i), decide, TARGETS)));
    const view = await b.getDossierView('civil-status', 'X');
    expect(view?.records).toHaveLength(8);
    expect(view?.records.every((r) => r.status === 'applied')).toBe(true);
    expect(view?.dossier.summary).toBe(Array.from({ length: 8 }, (_, i) => `r${String(i).padStart(2, '0')}`).join(' + '));
    expect(view?.versions.map((v) => v.version)).toEqual(Array.from({ length: view!.version }, (_, i) => i + 1));
    // Every round trip crosses to workerd and back: on a loaded machine the retries take a while.
  }, 60_000);

  it('completes a delivery from a fresh read when a new version was queued in between', async () => {
    await a.acceptSourceRecord(record('first', 1), decide, TARGETS);
    const [claimed] = await a.claimDeliveries({ target: 'province', owner: 'w', now: 2_000_000, leaseMs: 60_000, limit: 1 });
    expect(claimed?.version).toBe(1);
    racy.before(1, async () => {
      await b.acceptSourceRecord(record('second', 2), decide, TARGETS);
    });
    await a.completeDeliveries(
      [
        {
          id: claimed!.id,
          owner: 'w',
          version: 1,
          startedAt: 2_000_000,
          durationMs: 5,
          progress: { ...claimed!.progress, remoteId: '1', remoteCode: 'C1', remoteSteps: ['s1'] },
          operations: ['create'],
        },
      ],
      2_000_010,
    );
    const province = (await a.getDossierView('civil-status', 'X'))!.deliveries.find((d) => d.target === 'province')!;
    // Version 1 arrived; version 2 is still to send, so the delivery is pending again, not delivered.
    expect(province).toMatchObject({ state: 'pending', sentVersion: 1, wantVersion: 2, inFlight: false, remoteCode: 'C1' });
    expect(province.history.map((h) => h.outcome)).toEqual(['delivered']);
  });

  it('never hands one delivery to two instances claiming at once', async () => {
    for (let i = 0; i < 6; i++) await a.acceptSourceRecord({ ...record(`d${i}`, i), externalId: `D${i}` }, decide, ['province']);
    const claims = await Promise.all([a, b, a, b].map((s, i) => s.claimDeliveries({ target: 'province', owner: `w${i}`, now: 2_000_000, leaseMs: 60_000, limit: 3 })));
    const ids = claims.flat().map((c) => c.id);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
  });
});
