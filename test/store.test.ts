import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SourceDossier } from '../contracts';
import { appendAudit, verifyStoreAudit } from '../src/auth/audit';
import { openPgStore, type PgStore } from '../src/store/pg/store';
import { openSqliteStore } from '../src/store/sqlite/store';
import type { AcceptInput, ClaimedDelivery, DecideFn, Store } from '../src/store/types';
import { d1Harness } from './support/d1';
import { makeDossier } from './support/dossier';

/**
 * The store's contract, on a real SQLite file, a real PostgreSQL and a real D1 (workerd's, through
 * Miniflare). Every driver must pass the same suite; what only matters with several instances on
 * one database is tested on PostgreSQL (and D1's own races in store-d1.test.ts).
 */
interface Harness {
  name: string;
  open(): Promise<Store>;
  reopen(): Promise<Store>;
  /** Runs SQL on the database behind the store, around the store's own code (to prove what the schema forbids). */
  exec(store: Store, sql: string): Promise<unknown>;
  cleanup(): Promise<void>;
}

const PG_URL = process.env['LIENTHONG_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

async function dropSchema(schema: string) {
  const pool = new pg.Pool({ connectionString: PG_URL });
  try {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await pool.end();
  }
}

/** A fresh schema per test, so tests neither see each other's rows nor need to clean tables. */
function pgHarness(): Harness & { another(): Promise<PgStore> } {
  let schema = '';
  return {
    name: 'postgres',
    async open() {
      schema = `lt_test_${randomBytes(6).toString('hex')}`;
      return openPgStore({ url: PG_URL, schema });
    },
    async reopen() {
      return openPgStore({ url: PG_URL, schema });
    },
    /** A second instance: its own pool on the same schema. */
    async another() {
      return openPgStore({ url: PG_URL, schema });
    },
    exec: (store, sql) => (store as PgStore).pool.query(sql),
    async cleanup() {
      if (schema) await dropSchema(schema);
    },
  };
}

function sqliteHarness(): Harness {
  let dir = '';
  return {
    name: 'sqlite',
    async open() {
      dir = mkdtempSync(join(tmpdir(), 'lienthong-store-'));
      return openSqliteStore({ file: join(dir, 'test.db') });
    },
    async reopen() {
      return openSqliteStore({ file: join(dir, 'test.db') });
    },
    exec: async (store, sql) => (store as ReturnType<typeof openSqliteStore>).raw.exec(sql),
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const TARGETS = ['province', 'dvcqg'] as const;
let seq = 0;
function record(externalId: string, body: string, at = '2026-03-02T09:00:00+07:00'): AcceptInput {
  return {
    source: 'civil-status',
    externalId,
    kind: 'snapshot',
    sourceTime: at,
    sourceTimeMs: Date.parse(at),
    contentHash: `hash-${body}`,
    body,
    fragment: { body },
    receivedAt: 1_000_000 + seq++,
  };
}
/** Decides the dossier from the newest fragment's body: `status:hold`. */
const decideWith =
  (make: (body: string) => SourceDossier | null, hold?: 'UNMAPPED_PROCEDURE'): DecideFn =>
  ({ fragments }) => {
    const d = make((fragments.at(-1)!.fragment as { body: string }).body);
    if (!d) return { kind: 'pending' };
    return { kind: 'dossier', dossier: d, hold: hold ? { reason: hold, detail: 'no mapping' } : null };
  };
const byStatus = decideWith((body) => makeDossier({ source: { system: 'civil-status', externalId: 'X' }, status: body as SourceDossier['status'] }));

for (const harness of [sqliteHarness(), pgHarness(), d1Harness()] as Harness[]) {
  describe(`store (${harness.name})`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await harness.open();
    });
    afterEach(async () => {
      await store.close();
      await harness.cleanup();
    });

    it('accepts a record, creates the dossier at version 1 and queues one delivery per target in the same write', async () => {
      const r = await store.acceptSourceRecord(record('X', 'IN_PROGRESS'), byStatus, TARGETS);
      expect(r).toMatchObject({ outcome: 'changed', version: 1, hold: null });
      const view = await store.getDossierView('civil-status', 'X');
      expect(view?.version).toBe(1);
      expect(view?.records).toHaveLength(1);
      expect(view?.deliveries.map((d) => [d.target, d.state, d.wantVersion])).toEqual([
        ['province', 'pending', 1],
        ['dvcqg', 'pending', 1],
      ]);
    });

    it('accepts records arriving together, each on its own: one that fails stores nothing and harms no other', async () => {
      const failing: DecideFn = () => {
        throw new Error('this record cannot be decided');
      };
      const ids = Array.from({ length: 20 }, (_, i) => `C-${i}`);
      const results = await Promise.allSettled(
        ids.map((id, i) => store.acceptSourceRecord({ ...record(id, 'IN_PROGRESS'), externalId: id }, i === 7 ? failing : byStatus, TARGETS)),
      );
      // The reasons, not a count: a failure then says what refused the others.
      const refused = results.flatMap((r, i) => (r.status === 'rejected' ? [`${i}: ${(r.reason as Error).message}`] : []));
      expect(refused).toEqual(['7: this record cannot be decided']);
      for (const [i, id] of ids.entries()) {
        const view = await store.getDossierView('civil-status', id);
        if (i === 7) expect(view).toBeNull();
        else expect(view?.records, id).toHaveLength(1);
      }
      // The failed record was not kept half-written: sent again, it is accepted.
      expect((await store.acceptSourceRecord({ ...record('C-7', 'IN_PROGRESS'), externalId: 'C-7' }, byStatus, TARGETS)).outcome).toBe('changed');
    });

    it('accepts records of one dossier arriving together: each stored once, a repeat recognized, one that fails refused alone', async () => {
      const bodies = ['ACCEPTED', 'IN_PROGRESS', 'IN_PROGRESS', 'RESULT_READY'];
      // Source times in the bodies' order: the fold's order whichever record a store writes first.
      const at = (i: number) => `2026-03-02T09:0${i}:00+07:00`;
      const minutes = [0, 1, 1, 2];
      const together = await Promise.all(bodies.map((b, i) => store.acceptSourceRecord(record('G', b, at(minutes[i]!)), byStatus, TARGETS)));
      // The two equal records: one stored, the other recognized (which one, a concurrent store decides).
      expect([together[1]!.outcome, together[2]!.outcome].filter((o) => o === 'duplicate')).toHaveLength(1);
      expect(together.filter((r) => r.outcome === 'changed').length).toBeGreaterThan(0);
      const view = await store.getDossierView('civil-status', 'G');
      expect(view?.records).toHaveLength(3);
      expect(view?.dossier.status).toBe('RESULT_READY');
      expect(view?.deliveries.map((d) => d.wantVersion)).toEqual([view?.version, view?.version]);
      // SQLite and PostgreSQL write a batch's records of one dossier first and rebuild it once.
      if (harness.name !== 'd1') expect(view?.versions).toHaveLength(1);

      const failsOnBad: DecideFn = (input) => {
        if (input.fragments.some((f) => (f.fragment as { body: string }).body === 'BAD')) throw new Error('this record cannot be decided');
        return byStatus(input);
      };
      const mixed = await Promise.allSettled(['ACCEPTED', 'BAD', 'IN_PROGRESS'].map((b, i) => store.acceptSourceRecord(record('H', b, at(i)), failsOnBad, TARGETS)));
      expect(mixed.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const h = await store.getDossierView('civil-status', 'H');
      expect(h?.records.map((r) => r.contentHash)).toEqual(['hash-ACCEPTED', 'hash-IN_PROGRESS']);
      expect(h?.dossier.status).toBe('IN_PROGRESS');
    });

    it('recognizes a repeated record and content that changes nothing', async () => {
      await store.acceptSourceRecord(record('X', 'IN_PROGRESS'), byStatus, TARGETS);
      expect((await store.acceptSourceRecord(record('X', 'IN_PROGRESS'), byStatus, TARGETS)).outcome).toBe('duplicate');
      const other = { ...record('X', 'IN_PROGRESS'), contentHash: 'another-hash' };
      expect(await store.acceptSourceRecord(other, byStatus, TARGETS)).toMatchObject({ outcome: 'unchanged', version: 1 });
      const view = await store.getDossierView('civil-status', 'X');
      expect(view?.versions).toHaveLength(1);
      expect(view?.records).toHaveLength(2);
    });

    it('keeps every version and requeues delivered deliveries for a change', async () => {
      await store.acceptSourceRecord(record('X', 'IN_PROGRESS'), byStatus, TARGETS);
      const [claimed] = await store.claimDeliveries({ target: 'province', owner: 'w', now: 2_000_000, leaseMs: 60_000, limit: 10 });
      await store.completeDeliveries(
        [{ id: claimed!.id, owner: 'w', version: 1, startedAt: 2_000_000, durationMs: 5, operations: ['create'], progress: { ...claimed!.progress, remoteId: '1', remoteCode: '000.00.16.H56-260302-0001' } }],
        2_000_010,
      );
      await store.acceptSourceRecord(record('X', 'RESULT_READY', '2026-03-02T10:00:00+07:00'), byStatus, TARGETS);
      const view = await store.getDossierView('civil-status', 'X');
      expect(view?.versions.map((v) => v.dossier.status)).toEqual(['IN_PROGRESS', 'RESULT_READY']);
      const province = view!.deliveries.find((d) => d.target === 'province')!;
      expect(province).toMatchObject({ state: 'pending', wantVersion: 2, sentVersion: 1, remoteCode: '000.00.16.H56-260302-0001' });
      expect(province.history).toHaveLength(1);
    });

    it('keeps held dossiers out of the outbox and counts them per reason', async () => {
      const held = decideWith((body) => makeDossier({ source: { system: 'civil-status', externalId: 'H' }, status: body as SourceDossier['status'] }), 'UNMAPPED_PROCEDURE');
      expect(await store.acceptSourceRecord(record('H', 'IN_PROGRESS'), held, TARGETS)).toMatchObject({ outcome: 'changed', hold: 'UNMAPPED_PROCEDURE' });
      const view = await store.getDossierView('civil-status', 'H');
      expect(view?.deliveries).toEqual([]);
      expect(view?.holdReason).toBe('UNMAPPED_PROCEDURE');
      const status = await store.syncStatus(3_000_000);
      expect(status.sources['civil-status']?.held).toEqual({ UNMAPPED_PROCEDURE: 1 });
    });

    it('keeps records that do not make a dossier yet and applies them when the opening record arrives', async () => {
      const opening = decideWith((body) => (body === 'open' ? makeDossier({ source: { system: 'civil-status', externalId: 'P' } }) : null));
      expect((await store.acceptSourceRecord(record('P', 'step', '2026-03-02T10:00:00+07:00'), opening, TARGETS)).outcome).toBe('pending');
      expect(await store.getDossierView('civil-status', 'P')).toBeNull();
      // The decision sees both records, oldest source time first.
      let seen: number[] = [];
      const spy: DecideFn = (input) => {
        seen = input.fragments.map((f) => f.sourceTimeMs);
        return { kind: 'dossier', dossier: makeDossier({ source: { system: 'civil-status', externalId: 'P' } }), hold: null };
      };
      await store.acceptSourceRecord(record('P', 'open', '2026-03-02T09:00:00+07:00'), spy, TARGETS);
      expect(seen).toEqual([Date.parse('2026-03-02T09:00:00+07:00'), Date.parse('2026-03-02T10:00:00+07:00')]);
      const view = await store.getDossierView('civil-status', 'P');
      expect(view?.records.map((r) => r.status)).toEqual(['applied', 'applied']);
    });

    it('leases claims, keeps the national portal behind the province, and marks taken-over work uncertain', async () => {
      await store.acceptSourceRecord(record('X', 'IN_PROGRESS'), byStatus, TARGETS);
      const base = { owner: 'a', now: 2_000_000, leaseMs: 1_000, limit: 10 };
      expect(await store.claimDeliveries({ ...base, target: 'dvcqg', after: 'province' })).toEqual([]);
      const [p] = await store.claimDeliveries({ ...base, target: 'province' });
      expect(p?.progress.uncertain).toBe(false);
      expect(await store.claimDeliveries({ ...base, target: 'province', owner: 'b' })).toEqual([]);
      // The lease runs out: another worker takes over and must read the target first.
      const [again] = await store.claimDeliveries({ ...base, target: 'province', owner: 'b', now: 2_001_001 });
      expect(again?.id).toBe(p!.id);
      expect(again?.progress.uncertain).toBe(true);
      // The first worker's late completion does not overwrite the new owner's state.
      await store.completeDeliveries([{ id: p!.id, owner: 'a', version: 1, startedAt: 2_000_000, durationMs: 1, operations: [], progress: { ...p!.progress, remoteCode: 'stale' } }], 2_001_002);
      let view = await store.getDossierView('civil-status', 'X');
      expect(view?.deliveries[0]?.remoteCode).toBeNull();
      await store.completeDeliveries(
        [{ id: p!.id, owner: 'b', version: 1, startedAt: 2_001_001, durationMs: 1, operations: ['read', 'create'], progress: { ...again!.progress, uncertain: false, remoteId: '7', remoteCode: '000.00.16.H56-260302-0001' } }],
        2_001_003,
      );
      const [n] = await store.claimDeliveries({ ...base, target: 'dvcqg', after: 'province', now: 2_001_004 });
      expect(n?.upstreamCode).toBe('000.00.16.H56-260302-0001');
      view = await store.getDossierView('civil-status', 'X');
      expect(view?.deliveries[0]?.history.map((h) => h.operations)).toEqual([[], ['read', 'create']]);
    });

    it('records retries, operator waits and dead deliveries with their reasons', async () => {
      await store.acceptSourceRecord(record('X', 'IN_PROGRESS'), byStatus, TARGETS);
      const claim = async (now: number) => (await store.claimDeliveries({ target: 'province', owner: 'w', now, leaseMs: 1000, limit: 1 }))[0]!;
      let c = await claim(2_000_000);
      const error = { errorClass: 'transient' as const, code: 'PROVINCE_HTTP_503', message: 'province is unavailable (503)', httpStatus: 503 };
      await store.completeDeliveries([{ id: c.id, owner: 'w', version: 1, startedAt: 2_000_000, durationMs: 3, operations: ['create'], progress: c.progress, error, next: { state: 'retrying', at: 2_005_000 } }], 2_000_003);
      expect(await store.claimDeliveries({ target: 'province', owner: 'w', now: 2_004_999, leaseMs: 1000, limit: 1 })).toEqual([]);
      c = await claim(2_005_000);
      expect(c.attempts).toBe(1);
      expect(c.firstFailedAt).toBe(2_000_000);
      const invalid = { errorClass: 'invalid_content' as const, code: 'PROVINCE_DU_LIEU_KHONG_HOP_LE', message: 'NgayTiepNhan: sai định dạng', httpStatus: 400 };
      await store.completeDeliveries([{ id: c.id, owner: 'w', version: 1, startedAt: 2_005_000, durationMs: 3, operations: ['create'], progress: c.progress, error: invalid, next: { state: 'failed' } }], 2_005_003);
      let d = (await store.getDossierView('civil-status', 'X'))!.deliveries[0]!;
      expect(d).toMatchObject({ state: 'failed', attempts: 2, lastErrorClass: 'invalid_content', lastErrorCode: 'PROVINCE_DU_LIEU_KHONG_HOP_LE' });
      expect(await store.claimDeliveries({ target: 'province', owner: 'w', now: 9_000_000, leaseMs: 1000, limit: 1 })).toEqual([]);
      // A new version gives a failed delivery a fresh start.
      await store.acceptSourceRecord(record('X', 'RESULT_READY', '2026-03-02T10:00:00+07:00'), byStatus, TARGETS);
      c = await claim(9_000_000);
      expect(c.version).toBe(2);
      await store.completeDeliveries([{ id: c.id, owner: 'w', version: 2, startedAt: 9_000_000, durationMs: 3, operations: [], progress: c.progress, error, next: { state: 'dead' } }], 9_000_003);
      d = (await store.getDossierView('civil-status', 'X'))!.deliveries[0]!;
      expect(d.state).toBe('dead');
      expect(d.history.map((h) => h.outcome)).toEqual(['failed', 'failed', 'failed']);
      const status = await store.syncStatus(9_000_010);
      expect(status.targets['province']?.counts).toMatchObject({ dead: 1 });
      expect(status.targets['dvcqg']?.counts).toMatchObject({ pending: 1 });
    });

    it('sends the newest version after a delivery that raced a change', async () => {
      await store.acceptSourceRecord(record('X', 'IN_PROGRESS'), byStatus, TARGETS);
      const [c] = await store.claimDeliveries({ target: 'province', owner: 'w', now: 2_000_000, leaseMs: 60_000, limit: 1 });
      await store.acceptSourceRecord(record('X', 'RESULT_READY', '2026-03-02T10:00:00+07:00'), byStatus, TARGETS);
      await store.completeDeliveries([{ id: c!.id, owner: 'w', version: 1, startedAt: 2_000_000, durationMs: 3, operations: ['create'], progress: c!.progress }], 2_000_010);
      const [next] = await store.claimDeliveries({ target: 'province', owner: 'w', now: 2_000_020, leaseMs: 60_000, limit: 1 });
      expect(next?.version).toBe(2);
      expect(next?.dossier.status).toBe('RESULT_READY');
    });

    it('keeps rejected bodies once, cursors and poll health, across a reopen', async () => {
      const reject = { source: 'civil-status', reasonCode: 'BAD_JSON', reason: 'not valid JSON', contentHash: 'h1', body: '{', receivedAt: 1 };
      await store.rejectRecord(reject);
      await store.rejectRecord(reject);
      await store.saveCursor('civil-status', { windowEnd: '2026-03-02T09:00:00+07:00' }, 5);
      await store.notePoll('civil-status', { ok: false, error: 'CIVIL_STATUS_HTTP_503' }, 6);
      await store.acceptSourceRecord({ ...record('X', 'IN_PROGRESS'), marker: '02/03/2026 09:00:00' }, byStatus, TARGETS);
      await store.close();
      store = await harness.reopen();
      expect(await store.getCursor('civil-status')).toEqual({ windowEnd: '2026-03-02T09:00:00+07:00' });
      expect(await store.lastMarker('civil-status', 'X')).toBe('02/03/2026 09:00:00');
      const status = await store.syncStatus(5_000_000);
      expect(status.sources['civil-status']).toMatchObject({ rejected: 1, lastPollAt: 6, lastError: 'CIVIL_STATUS_HTTP_503', dossiers: 1, records: 1 });
      expect(status.targets['province']?.oldestPendingMs).toBeGreaterThan(0);
    });

    it('groups problems by reason, replays a group, and searches by any code', async () => {
      for (const id of ['A', 'B', 'C']) {
        await store.acceptSourceRecord(record(id, 'IN_PROGRESS'), decideWith((body) => makeDossier({ source: { system: 'civil-status', externalId: id }, sourceCode: id, status: body as SourceDossier['status'] })), TARGETS);
      }
      const claimed = await store.claimDeliveries({ target: 'province', owner: 'w', now: 5_000_000, leaseMs: 1000, limit: 10 });
      const invalid = { errorClass: 'invalid_content' as const, code: 'PROVINCE_DU_LIEU_KHONG_HOP_LE', message: 'TrichYeu: quá dài' };
      await store.completeDeliveries(
        claimed.map((c, i) =>
          i < 2
            ? { id: c.id, owner: 'w', version: 1, startedAt: 5_000_000, durationMs: 1, operations: ['create'], progress: c.progress, error: invalid, next: { state: 'failed' as const } }
            : { id: c.id, owner: 'w', version: 1, startedAt: 5_000_000, durationMs: 1, operations: ['create'], progress: { ...c.progress, remoteId: '9', remoteCode: '000.00.16.H56-260302-0009' } },
        ),
        5_000_010,
      );
      await store.rejectRecord({ source: 'land', reasonCode: 'BAD_JSON', reason: 'not JSON', contentHash: 'x', body: '{', receivedAt: 5 });
      const groups = await store.problemGroups(5);
      expect(groups.deliveries).toEqual([
        expect.objectContaining({ target: 'province', state: 'failed', errorClass: 'invalid_content', errorCode: 'PROVINCE_DU_LIEU_KHONG_HOP_LE', count: 2 }),
      ]);
      expect(groups.deliveries[0]!.samples.map((x) => x.externalId).sort()).toEqual(['A', 'B']);
      expect(groups.rejected).toEqual([expect.objectContaining({ source: 'land', reasonCode: 'BAD_JSON', count: 1 })]);

      expect((await store.searchDossiers('000.00.16.H56-260302-0009', 10)).map((d) => d.externalId)).toEqual(['C']);
      expect((await store.searchDossiers('038088009876', 10)).length).toBe(3);

      const replayed = await store.replay({ target: 'province', errorCode: 'PROVINCE_DU_LIEU_KHONG_HOP_LE' }, 6_000_000);
      expect(replayed.map((r) => r.externalId).sort()).toEqual(['A', 'B']);
      const again = await store.claimDeliveries({ target: 'province', owner: 'w', now: 6_000_000, leaseMs: 1000, limit: 10 });
      expect(again.map((c) => [c.dossier.source.externalId, c.progress.uncertain, c.attempts])).toEqual([
        ['A', true, 0],
        ['B', true, 0],
      ]);
      expect((await store.problemGroups(5)).deliveries).toEqual([]);
    });

    it('rebuilds a held dossier after its mapping is added, and records and resolves drift', async () => {
      const held = decideWith((body) => makeDossier({ source: { system: 'civil-status', externalId: 'H' }, status: body as SourceDossier['status'] }), 'UNMAPPED_PROCEDURE');
      await store.acceptSourceRecord(record('H', 'IN_PROGRESS'), held, TARGETS);
      expect(await store.heldDossiers({ reason: 'UNMAPPED_PROCEDURE' })).toEqual([{ source: 'civil-status', externalId: 'H' }]);
      const mapped = decideWith((body) => makeDossier({ source: { system: 'civil-status', externalId: 'H' }, status: body as SourceDossier['status'] }));
      expect(await store.redecide('civil-status', 'H', mapped, TARGETS, 7_000_000)).toMatchObject({ outcome: 'changed', version: 2, hold: null });
      const view = await store.getDossierView('civil-status', 'H');
      expect(view?.deliveries.map((d) => d.state)).toEqual(['pending', 'pending']);

      await store.saveDrift({ dossierId: view!.id, target: 'dvcqg', findings: [{ kind: 'wrong_status', detail: 'portal holds 4, gateway 9' }], now: 8 });
      expect((await store.openDrift()).map((f) => [f.externalId, f.target, f.kind])).toEqual([['H', 'dvcqg', 'wrong_status']]);
      expect(await store.resync(view!.id, 'dvcqg', 9)).toBe(true);
      await store.saveDrift({ dossierId: view!.id, target: 'dvcqg', findings: [], now: 10 });
      expect(await store.openDrift()).toEqual([]);
      expect((await store.ping()).migrations).toBeGreaterThanOrEqual(2);
    });

    it('keeps users, hashed tokens, settings and an append-only audit log', async () => {
      expect(await store.initSetting('session-key', 'a')).toBe('a');
      expect(await store.initSetting('session-key', 'b')).toBe('a');
      await store.putUser({ username: 'admin', passwordHash: 'h', role: 'admin' }, 1);
      expect(await store.countUsers()).toBe(1);
      const id = await store.createToken({ name: 'monitoring', tokenHash: 'th', role: 'viewer', createdBy: 'admin', expiresAt: null }, 2);
      expect(await store.findToken('th')).toMatchObject({ id, name: 'monitoring', role: 'viewer', revokedAt: null });
      expect(await store.revokeToken(id, 3)).toBe(true);
      expect(await store.revokeToken(id, 4)).toBe(false);
      const entry = { seq: 1, at: 5, actor: 'admin', action: 'token.create', subject: '{}', prevHash: '0', hash: 'h1' };
      expect(await store.appendAudit(entry)).toBe(true);
      expect(await store.appendAudit({ ...entry, hash: 'other' })).toBe(false);
      expect(await store.lastAudit()).toEqual(entry);
      await expect(harness.exec(store, "UPDATE audit_log SET actor = 'x'")).rejects.toThrow(/append-only/);
      await expect(harness.exec(store, 'DELETE FROM audit_log')).rejects.toThrow(/append-only/);
      if (store.dialect === 'postgres') await expect(harness.exec(store, 'TRUNCATE audit_log')).rejects.toThrow(/append-only/);
      expect(await store.listAudit({ limit: 10 })).toEqual([entry]);
    });

    it('chains audit entries so that the whole log verifies after a reopen', async () => {
      const appended = [];
      for (let i = 0; i < 3; i++) appended.push(await appendAudit(store, { at: 1_770_000_000_000 + i, actor: 'user:admin', action: 'deliveries.replay', subject: { ids: [i] } }));
      await store.close();
      store = await harness.reopen();
      expect(await store.listAudit({ limit: 10 })).toEqual([...appended].reverse());
      expect(await verifyStoreAudit(store)).toEqual({ ok: true, entries: 3 });
      expect(await store.listAudit({ limit: 1, beforeSeq: 3 })).toEqual([appended[1]]);
    });

    it('leases a source to one poller at a time, renews it for its holder, and frees it', async () => {
      await store.saveCursor('civil-status', { windowEnd: 'w1' }, 1);
      expect(await store.claimPollLease('civil-status', 'a', 1_000, 10)).toBe(true);
      expect(await store.claimPollLease('civil-status', 'b', 1_000, 500)).toBe(false);
      // Another source is leased on its own.
      expect(await store.claimPollLease('land', 'b', 1_000, 500)).toBe(true);
      // The holder renews: until 900 + 1000.
      expect(await store.claimPollLease('civil-status', 'a', 1_000, 900)).toBe(true);
      expect(await store.claimPollLease('civil-status', 'b', 1_000, 1_900)).toBe(false);
      // Expired: taken over, and the old holder is out.
      expect(await store.claimPollLease('civil-status', 'b', 1_000, 1_901)).toBe(true);
      expect(await store.claimPollLease('civil-status', 'a', 1_000, 1_950)).toBe(false);
      // Only the holder can give it up.
      await store.releasePollLease('civil-status', 'a');
      expect(await store.claimPollLease('civil-status', 'a', 1_000, 1_960)).toBe(false);
      await store.releasePollLease('civil-status', 'b');
      expect(await store.claimPollLease('civil-status', 'a', 1_000, 1_970)).toBe(true);
      // The lease leaves the cursor and the poll health alone, and they leave the lease alone.
      await store.notePoll('civil-status', { ok: true }, 1_980);
      await store.saveCursor('civil-status', { windowEnd: 'w2' }, 1_990);
      expect(await store.claimPollLease('civil-status', 'b', 1_000, 2_000)).toBe(false);
      expect(await store.getCursor('civil-status')).toEqual({ windowEnd: 'w2' });
      expect((await store.syncStatus(2_000)).sources['civil-status']).toMatchObject({ lastPollAt: 1_980, lastSuccessAt: 1_980 });
      // A source first seen through its lease has no cursor yet.
      expect(await store.getCursor('land')).toBeNull();
      // Freeing one owner's leases frees its poll leases too; freeing all frees everyone's.
      expect(await store.releaseLeases('a')).toBe(0);
      expect(await store.claimPollLease('civil-status', 'b', 1_000, 2_010)).toBe(true);
      await store.releaseLeases();
      expect(await store.claimPollLease('land', 'c', 1_000, 2_020)).toBe(true);
      expect(await store.claimPollLease('civil-status', 'c', 1_000, 2_020)).toBe(true);
    });

    it('keeps a delivery resynced while in flight away from other workers until its owner finishes', async () => {
      await store.acceptSourceRecord(record('X', 'IN_PROGRESS'), byStatus, TARGETS);
      const base = { target: 'province' as const, now: 2_000_000, leaseMs: 60_000, limit: 10 };
      const [c] = await store.claimDeliveries({ ...base, owner: 'a' });
      const dossierId = c!.dossierId;
      expect(await store.resync(dossierId, 'province', 2_000_010)).toBe(true);
      expect(await store.claimDeliveries({ ...base, owner: 'b', now: 2_000_020 })).toEqual([]);
      expect((await store.getDossierView('civil-status', 'X'))!.deliveries[0]).toMatchObject({ state: 'pending' });
      // The owner's answer predates the resync: only the attempt is kept, and the row is free at once.
      await store.completeDeliveries([{ id: c!.id, owner: 'a', version: 1, startedAt: 2_000_000, durationMs: 30, operations: ['create'], progress: { ...c!.progress, remoteCode: 'before-resync' } }], 2_000_030);
      const [again] = await store.claimDeliveries({ ...base, owner: 'b', now: 2_000_040 });
      expect(again).toMatchObject({ id: c!.id, progress: { uncertain: true, remoteCode: null } });
      // A resync of a delivery whose owner died frees it once the lease runs out.
      expect(await store.resync(dossierId, 'province', 2_000_050)).toBe(true);
      expect(await store.claimDeliveries({ ...base, owner: 'c', now: 2_060_040 })).toEqual([]);
      expect(await store.claimDeliveries({ ...base, owner: 'c', now: 2_060_041 })).toHaveLength(1);
    });
  });
}

describe('store (postgres, several instances on one schema)', () => {
  const harness = pgHarness();
  let a: PgStore;
  let b: PgStore;
  beforeEach(async () => {
    a = (await harness.open()) as PgStore;
    b = await harness.another();
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    await harness.cleanup();
  });
  const decideFor = (id: string) => decideWith((body) => makeDossier({ source: { system: 'civil-status', externalId: id }, status: body as SourceDossier['status'] }));

  it('applies the migrations once when instances start together on an empty schema', async () => {
    const schema = `lt_test_${randomBytes(6).toString('hex')}`;
    try {
      const stores = await Promise.all([1, 2, 3].map(() => openPgStore({ url: PG_URL, schema })));
      for (const s of stores) expect(await s.ping()).toEqual({ migrations: 3 });
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await dropSchema(schema);
    }
  });

  it('never hands one delivery, or one dossier at one target, to two claimers at once', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `D${i}`);
    for (const id of ids) await a.acceptSourceRecord(record(id, 'IN_PROGRESS'), decideFor(id), TARGETS);
    const claimed: ClaimedDelivery[] = [];
    const claimer = async (store: PgStore, owner: string, target: 'province' | 'dvcqg') => {
      for (;;) {
        const got = await store.claimDeliveries({ target, owner, now: 2_000_000, leaseMs: 60_000, limit: 3 });
        if (got.length === 0) return;
        claimed.push(...got);
      }
    };
    await Promise.all(
      [a, b].flatMap((store, s) => [0, 1, 2, 3].flatMap((w) => (['province', 'dvcqg'] as const).map((target) => claimer(store, `s${s}-w${w}`, target)))),
    );
    // A claimer stops at its first empty answer, which SKIP LOCKED may give while rows are still
    // being claimed elsewhere: what is left must be left unclaimed, not lost.
    for (const target of TARGETS) await claimer(a, 'sweeper', target);
    expect(claimed).toHaveLength(ids.length * TARGETS.length);
    expect(new Set(claimed.map((c) => c.id)).size).toBe(claimed.length);
    expect(new Set(claimed.map((c) => `${c.dossierId}:${c.target}`)).size).toBe(claimed.length);
    expect(claimed.every((c) => !c.progress.uncertain)).toBe(true);
    expect(await b.claimDeliveries({ target: 'province', owner: 'late', now: 2_000_001, leaseMs: 60_000, limit: 100 })).toEqual([]);
  });

  it('rebuilds one dossier one record at a time when records arrive at both instances at once', async () => {
    const statuses = ['IN_PROGRESS', 'RESULT_READY', 'IN_PROGRESS', 'RESULT_READY', 'ACCEPTED'] as const;
    const records = Array.from({ length: 10 }, (_, i) => ({
      ...record('S', statuses[i % statuses.length]!, new Date(Date.parse('2026-03-02T02:00:00Z') + i * 60_000).toISOString()),
      contentHash: `h${i}`,
    }));
    const results = await Promise.all(records.map((r, i) => (i % 2 ? a : b).acceptSourceRecord(r, decideFor('S'), TARGETS)));
    expect(results.every((r) => r.outcome === 'changed' || r.outcome === 'unchanged')).toBe(true);
    const view = (await a.getDossierView('civil-status', 'S'))!;
    expect(view.records).toHaveLength(10);
    expect(view.records.every((r) => r.status === 'applied')).toBe(true);
    expect(view.versions.map((v) => v.version)).toEqual(Array.from({ length: view.version }, (_, i) => i + 1));
    // Whatever the order of arrival, the dossier ends as its newest record says.
    expect(view.dossier.status).toBe(statuses[9 % statuses.length]);
    expect(view.deliveries.map((d) => [d.target, d.wantVersion])).toEqual(TARGETS.map((t) => [t, view.version]));
  });

  it('accepts batches sharing dossiers at both instances at once, in opposite orders, without a deadlock or a lost record', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `B${i}`);
    const at = (n: number) => new Date(Date.parse('2026-03-02T02:00:00Z') + n * 60_000).toISOString();
    // Each instance gets three records of every dossier, one instance in the opposite dossier order.
    const batch = (store: PgStore, order: string[], offset: number) =>
      order.flatMap((id) => [0, 1, 2].map((n) => store.acceptSourceRecord({ ...record(id, 'IN_PROGRESS', at(offset + n)), externalId: id, contentHash: `${id}-${offset + n}` }, decideFor(id), TARGETS)));
    const results = await Promise.all([...batch(a, ids, 0), ...batch(b, [...ids].reverse(), 3)]);
    expect(results.every((r) => r.outcome === 'changed' || r.outcome === 'unchanged')).toBe(true);
    for (const id of ids) {
      const view = (await b.getDossierView('civil-status', id))!;
      expect(view.records.map((r) => r.status)).toEqual(Array(6).fill('applied'));
      expect(view.versions.map((v) => v.version)).toEqual(Array.from({ length: view.version }, (_, i) => i + 1));
    }
  });

  it('lets another instance take over a delivery whose lease expired, and ignores the first owner afterwards', async () => {
    await a.acceptSourceRecord(record('X', 'IN_PROGRESS'), byStatus, TARGETS);
    const base = { target: 'province' as const, leaseMs: 1_000, limit: 10 };
    const [first] = await a.claimDeliveries({ ...base, owner: 'instance-a', now: 2_000_000 });
    expect(await b.claimDeliveries({ ...base, owner: 'instance-b', now: 2_000_500 })).toEqual([]);
    expect(await b.claimDeliveries({ ...base, owner: 'instance-b', now: 2_001_000 })).toEqual([]);
    const [taken] = await b.claimDeliveries({ ...base, owner: 'instance-b', now: 2_001_001 });
    expect(taken).toMatchObject({ id: first!.id, progress: { uncertain: true } });
    await a.completeDeliveries([{ id: first!.id, owner: 'instance-a', version: 1, startedAt: 2_000_000, durationMs: 1_500, operations: ['create'], progress: { ...first!.progress, remoteCode: 'stale' } }], 2_001_500);
    await b.completeDeliveries(
      [{ id: taken!.id, owner: 'instance-b', version: 1, startedAt: 2_001_001, durationMs: 5, operations: ['read', 'create'], progress: { ...taken!.progress, uncertain: false, remoteId: '7', remoteCode: '000.00.16.H56-260302-0001' } }],
      2_001_600,
    );
    const province = (await a.getDossierView('civil-status', 'X'))!.deliveries.find((d) => d.target === 'province')!;
    expect(province).toMatchObject({ state: 'delivered', remoteCode: '000.00.16.H56-260302-0001', inFlight: false });
    expect(province.history.map((h) => h.operations)).toEqual([['create'], ['read', 'create']]);
    // A graceful stop frees only the stopping instance's leases.
    await a.acceptSourceRecord(record('Y', 'IN_PROGRESS'), byStatus, TARGETS);
    await a.claimDeliveries({ ...base, target: 'dvcqg', owner: 'instance-a', now: 2_002_000 });
    expect(await b.releaseLeases('instance-b')).toBe(0);
    expect(await b.releaseLeases('instance-a')).toBe(2);
    expect(await b.claimDeliveries({ ...base, target: 'dvcqg', owner: 'instance-b', now: 2_002_001 })).toHaveLength(2);
  });

  it('hands out the version a change accepted while the claim ran queued, not the one the claim began with', async () => {
    await a.acceptSourceRecord(record('R', 'IN_PROGRESS'), byStatus, TARGETS);
    // The change lands inside the claim's own statement, between its start (when the dossier was
    // read) and its lease: what a commit from another instance at that moment looks like.
    await a.pool.query(`
      CREATE FUNCTION race() RETURNS trigger AS $$
      BEGIN
        UPDATE dossiers SET version = version + 1, canonical = (canonical::jsonb || '{"raced": true}')::text WHERE id = NEW.dossier_id;
        NEW.want_version := NEW.want_version + 1;
        RETURN NEW;
      END $$ LANGUAGE plpgsql;
      CREATE TRIGGER race BEFORE UPDATE ON deliveries FOR EACH ROW WHEN (NEW.lease_owner = 'racer' AND OLD.lease_owner IS NULL) EXECUTE FUNCTION race();`);
    const [claimed] = await a.claimDeliveries({ target: 'province', owner: 'racer', now: 2_000_000, leaseMs: 60_000, limit: 10 });
    expect(claimed).toMatchObject({ version: 2, dossier: { raced: true } });
  });

  it('runs READ COMMITTED whatever the server or the URL asks for, and keeps the URL\'s other settings', async () => {
    // As a server configured with a stricter default would have it.
    const stricter = new URL(PG_URL);
    stricter.searchParams.set('options', '-c default_transaction_isolation=serializable -c application_name=lt-test');
    const store = await openPgStore({ url: stricter.toString(), schema: a.schema });
    try {
      const settings = await store.pool.query<{ iso: string; app: string }>(`SELECT current_setting('transaction_isolation') AS iso, current_setting('application_name') AS app`);
      expect(settings.rows[0]).toEqual({ iso: 'read committed', app: 'lt-test' });
    } finally {
      await store.close();
    }
  });

  it('gives a source to exactly one of many pollers claiming at once', async () => {
    const round = (now: number, tag: string) =>
      Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).claimPollLease('civil-status', `${tag}-${i}`, 1_000, now)));
    expect((await round(10, 'first')).filter(Boolean)).toHaveLength(1);
    expect((await round(500, 'second')).filter(Boolean)).toHaveLength(0);
    expect((await round(1_011, 'third')).filter(Boolean)).toHaveLength(1);
  });

  it('keeps one audit chain when both instances append at once', async () => {
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => appendAudit(i % 2 ? a : b, { at: 1_770_000_000_000 + i, actor: `user:u${i}`, action: 'token.create', subject: { i } })),
    );
    expect(await verifyStoreAudit(b)).toEqual({ ok: true, entries: 10 });
    const values = await Promise.all([a.initSetting('session-key', 'from-a'), b.initSetting('session-key', 'from-b')]);
    expect(values[0]).toBe(values[1]);
  });
});
