import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceDossier } from '../contracts';
import { appendAudit } from '../src/auth/audit';
import { openPgStore } from '../src/store/pg/store';
import { openSqliteStore } from '../src/store/sqlite/store';
import type { DecideFn, Store } from '../src/store/types';
import { makeDossier } from './support/dossier';

/**
 * The same history written through both drivers reads back the same through every query: the
 * figures behind metrics, problem groups, search, drift and the dossier pages.
 */
const PG_URL = process.env['LIENTHONG_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const TARGETS = ['province', 'dvcqg'] as const;
const T0 = 1_770_000_000_000;

const decide =
  (id: string, hold = false): DecideFn =>
  ({ fragments }) => ({
    kind: 'dossier',
    dossier: makeDossier({
      source: { system: 'civil-status', externalId: id },
      sourceCode: `SC-${id}`,
      status: (fragments.at(-1)!.fragment as { status: SourceDossier['status'] }).status,
    }),
    hold: hold ? { reason: 'UNMAPPED_PROCEDURE', detail: 'no mapping' } : null,
  });

async function writeHistory(store: Store) {
  let n = 0;
  const accept = (id: string, status: string, hold = false, minutes = 0) =>
    store.acceptSourceRecord(
      {
        source: 'civil-status',
        externalId: id,
        kind: 'snapshot',
        sourceTime: new Date(T0 + minutes * 60_000).toISOString(),
        sourceTimeMs: T0 + minutes * 60_000,
        contentHash: `${id}-${status}-${minutes}`,
        body: JSON.stringify({ id, status }),
        fragment: { status },
        receivedAt: T0 + 1_000 * n++,
      },
      decide(id, hold),
      TARGETS,
    );
  for (const id of ['A', 'B', 'C', 'D']) await accept(id, 'IN_PROGRESS');
  await accept('H', 'IN_PROGRESS', true);
  await accept('A', 'RESULT_READY', false, 5);

  const claimed = await store.claimDeliveries({ target: 'province', owner: 'w', now: T0 + 60_000, leaseMs: 30_000, limit: 10 });
  const transient = { errorClass: 'transient' as const, code: 'PROVINCE_HTTP_503', message: 'unavailable', httpStatus: 503 };
  const invalid = { errorClass: 'invalid_content' as const, code: 'PROVINCE_DU_LIEU_KHONG_HOP_LE', message: 'TrichYeu' };
  await store.completeDeliveries(
    claimed.map((c, i) => {
      const base = { id: c.id, owner: 'w', version: c.version, startedAt: T0 + 60_000 + i * 1_000, durationMs: 120 + i, operations: ['lookup', 'create'] };
      if (i === 0) return { ...base, progress: { ...c.progress, remoteId: '1', remoteCode: 'MHS-1' } };
      if (i === 1) return { ...base, progress: { ...c.progress, remoteSteps: ['s1'] }, error: transient, next: { state: 'retrying' as const, at: T0 + 120_000 } };
      if (i === 2) return { ...base, progress: c.progress, error: invalid, next: { state: 'failed' as const } };
      return { ...base, progress: c.progress, error: transient, next: { state: 'dead' as const } };
    }),
    T0 + 70_000,
  );
  const [n1] = await store.claimDeliveries({ target: 'dvcqg', after: 'province', owner: 'w', now: T0 + 80_000, leaseMs: 30_000, limit: 10 });
  await store.completeDeliveries([{ id: n1!.id, owner: 'w', version: n1!.version, startedAt: T0 + 80_000, durationMs: 50, operations: ['send'], progress: n1!.progress }], T0 + 81_000);

  await store.rejectRecord({ source: 'land', reasonCode: 'BAD_JSON', reason: 'not JSON', contentHash: 'r1', body: '{', receivedAt: T0 + 2 });
  await store.rejectRecord({ source: 'land', reasonCode: 'BAD_JSON', reason: 'not JSON', contentHash: 'r2', body: '[', receivedAt: T0 + 3 });
  await store.rejectRecord({ source: 'civil-status', externalId: 'Z', kind: 'snapshot', reasonCode: 'SCHEMA', reason: 'missing field', contentHash: 'r3', body: '{}', receivedAt: T0 + 4 });
  await store.resolveRejected([2], T0 + 5);
  await store.saveCursor('civil-status', { windowEnd: 'w' }, T0 + 6);
  await store.notePoll('civil-status', { ok: false, error: 'CIVIL_STATUS_HTTP_503: down' }, T0 + 7);
  await store.saveDrift({ dossierId: 1, target: 'province', findings: [{ kind: 'wrong_status', detail: 'held 4' }, { kind: 'missing_steps', detail: '1 step' }], now: T0 + 8 });
  await store.putUser({ username: 'admin', passwordHash: 'h', role: 'admin' }, T0);
  await store.createToken({ name: 'monitoring', tokenHash: 'th', role: 'viewer', createdBy: 'admin', expiresAt: T0 + 86_400_000 }, T0);
  for (let i = 0; i < 3; i++) await appendAudit(store, { at: T0 + i, actor: 'user:admin', action: 'replay', subject: { i } });
}

async function readEverything(store: Store) {
  const now = T0 + 3_600_000;
  const sortGroups = <T extends { count: number }>(groups: T[]) => [...groups].sort((x, y) => y.count - x.count || JSON.stringify(x).localeCompare(JSON.stringify(y)));
  const groups = await store.problemGroups(5);
  const stats = await store.deliveryStats({ now, since: T0 - 3_600_000, bucketMs: 60_000, latencyBucketsMs: [100, 60_000, 600_000] });
  // Groups come in no particular order from either database.
  stats.attempts.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
  return {
    status: await store.syncStatus(now),
    stats,
    groups: { deliveries: sortGroups(groups.deliveries), rejected: sortGroups(groups.rejected), held: groups.held },
    search: {
      all: await store.searchDossiers('', 10),
      byCode: await store.searchDossiers('MHS-1', 10),
      bySourceCode: await store.searchDossiers('SC-B', 10),
      byPart: await store.searchDossiers('SC-', 10),
      byPersonalId: await store.searchDossiers('038088009876', 10),
      literalPercent: await store.searchDossiers('%', 10),
    },
    held: await store.heldDossiers({}),
    heldByReason: await store.heldDossiers({ source: 'civil-status', reason: 'UNMAPPED_PROCEDURE', localCode: 'KS-01' }),
    drift: await store.openDrift(),
    reconcile: await store.reconcileBatch({ target: 'province', afterDossierId: 0, limit: 10 }),
    views: await Promise.all(['A', 'B', 'C', 'D', 'H'].map((id) => store.getDossierView('civil-status', id))),
    rejected: await Promise.all([1, 2, 3].map((id) => store.getRejected(id))),
    marker: await store.lastMarker('civil-status', 'A'),
    cursor: await store.getCursor('civil-status'),
    tokens: await store.listTokens(),
    user: await store.getUser('admin'),
    users: await store.countUsers(),
    audit: await store.listAudit({ limit: 10 }),
    migrations: await store.ping(),
  };
}

describe('the SQLite and PostgreSQL drivers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lienthong-parity-'));
  const schema = `lt_test_${randomBytes(6).toString('hex')}`;
  const stores: Store[] = [];
  beforeAll(async () => {
    stores.push(openSqliteStore({ file: join(dir, 'parity.db') }), await openPgStore({ url: PG_URL, schema }));
    for (const s of stores) await writeHistory(s);
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    rmSync(dir, { recursive: true, force: true });
    const pool = new pg.Pool({ connectionString: PG_URL });
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  it('read the same history back the same way', async () => {
    const [sqlite, postgres] = await Promise.all(stores.map(readEverything));
    expect(sqlite!.stats.attempts.length).toBeGreaterThan(0);
    expect(sqlite!.groups.deliveries.length).toBeGreaterThan(1);
    expect(sqlite!.search.byCode).toHaveLength(1);
    expect(postgres).toEqual(sqlite);
  });
});
