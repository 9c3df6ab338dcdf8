import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import type { SourceDossier } from '../contracts';
import { openPgStore, type PgStore } from '../src/store/pg/store';
import type { AcceptInput, DecideFn } from '../src/store/types';
import { makeDossier } from './support/dossier';
import { TEST_PG_URL, dropSchema, uniqueSchema } from './support/postgres';

/**
 * PostgreSQL keeps a rewritten row's old version until a vacuum, and its statistics are what the last
 * ANALYZE saw; a server may run without autovacuum (the machines this project is tested on do). The
 * store vacuums and analyzes the tables it rewrites once enough rows have been rewritten through it
 * (`pgVacuum`).
 */
const schemas: string[] = [];
let store: PgStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
  for (const s of schemas.splice(0)) await dropSchema(TEST_PG_URL, s);
});

function record(externalId: string, status: string): AcceptInput {
  const at = '2026-03-02T09:00:00+07:00';
  return { source: 'land', externalId, kind: 'TiepNhanHoSo', sourceTime: at, sourceTimeMs: Date.parse(at), contentHash: `h-${externalId}-${status}`, body: status, fragment: { status }, receivedAt: 1_000 };
}
const decide: DecideFn = ({ fragments }) => ({
  kind: 'dossier',
  dossier: makeDossier({ source: { system: 'land', externalId: 'L' }, sourceCode: 'L', status: (fragments.at(-1)!.fragment as { status: SourceDossier['status'] }).status }),
  hold: null,
});

/** How many times each table was vacuumed and analyzed by hand (by the store), not by autovacuum. */
async function vacuums(schema: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ relname: string; n: string }>(
      'SELECT relname, LEAST(vacuum_count, analyze_count) AS n FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = ANY($2)',
      [schema, ['deliveries', 'dossiers', 'source_records']],
    );
    return Object.fromEntries(rows.map((r) => [r.relname, Number(r.n)]));
  } finally {
    await client.end();
  }
}

async function churn(s: PgStore, dossiers: number) {
  for (let i = 0; i < dossiers; i++) await s.acceptSourceRecord(record(`L-${i}`, 'RECEIVED'), decide, ['province']);
  const claimed = await s.claimDeliveries({ target: 'province', owner: 'w', now: 2_000, leaseMs: 60_000, limit: dossiers });
  expect(claimed).toHaveLength(dossiers);
  await s.completeDeliveries(
    claimed.map((c) => ({ id: c.id, owner: 'w', version: c.version, startedAt: 2_000, durationMs: 1, operations: ['create'], progress: { ...c.progress, remoteId: `R-${c.id}`, remoteCode: `C-${c.id}` } })),
    2_001,
  );
}

it('vacuums the tables it rewrites once enough rows have been rewritten, and not before', async () => {
  const quiet = uniqueSchema('vacuum_quiet');
  const busy = uniqueSchema('vacuum_busy');
  schemas.push(quiet, busy);

  store = await openPgStore({ url: TEST_PG_URL, schema: quiet, vacuumEvery: 1_000 });
  await churn(store, 10);
  await store.close();
  store = undefined;
  expect(await vacuums(quiet)).toEqual({ deliveries: 0, dossiers: 0, source_records: 0 });

  // Ten accepts (three rows each), ten claims and ten completions: sixty rows, two vacuums at 25.
  store = await openPgStore({ url: TEST_PG_URL, schema: busy, vacuumEvery: 25 });
  await churn(store, 10);
  await store.close();
  store = undefined;
  const counts = await vacuums(busy);
  expect(counts['deliveries']).toBeGreaterThanOrEqual(1);
  expect(counts).toEqual({ deliveries: counts['deliveries'], dossiers: counts['deliveries'], source_records: counts['deliveries'] });
});
