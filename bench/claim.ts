import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { openPgStore, type PgStore } from '../src/store/pg/store';
import { openSqliteStore } from '../src/store/sqlite/store';
import type { Store } from '../src/store/types';
import { benchStorage, type BenchDatabase } from './database';
import { median, percentile, round } from './lib';
import { thousands as n, type BenchRow } from './report';

/**
 * Growth: the cost of claiming the next deliveries when the deliveries table holds `rows` rows,
 * nearly all of them delivered long ago (a gateway after months of work), with a few thousand
 * waiting. Measured for both targets (the national portal's claim joins the province's row).
 * The history is written straight into the tables (the store's own operations would take hours
 * for a million rows); the claims go through the store's interface, on SQLite or PostgreSQL.
 */
export interface ClaimFigures {
  rows: number;
  database: BenchDatabase;
  provinceMedianUs: number;
  provinceP99Us: number;
  dvcqgMedianUs: number;
  dbMb: number;
  /** PostgreSQL, when asked: the plans of both claims at this size (EXPLAIN ANALYZE, rolled back). */
  plans?: { province: string; dvcqg: string };
}

const WAITING = 4_000;
const CLAIMS = 150;
const LIMIT = 10;
/** The shape of a dossier does not matter to a claim, only that it is parsed like a real one. */
const CANONICAL = JSON.stringify({ summary: 'x', events: [] });

interface Filled {
  store: Store;
  sizeMb(): Promise<number>;
  explain?(now: number): Promise<{ province: string; dvcqg: string }>;
  close(): Promise<void>;
}

export interface ClaimOptions {
  database?: BenchDatabase;
  /** PostgreSQL: keep the plans of both claims. */
  explain?: boolean;
  /** Statements run on the filled store before measuring: to measure a proposed migration (an index). */
  trySql?: readonly string[];
}

export async function claimRound(rows: number, options: ClaimOptions = {}): Promise<ClaimFigures> {
  const database = options.database ?? 'sqlite';
  const now = Date.now();
  const filled = database === 'postgres' ? await fillPostgres(rows, now, options.trySql ?? []) : fillSqlite(rows, now, options.trySql ?? []);
  try {
    const time = async (target: 'province' | 'dvcqg') => {
      const samples: number[] = [];
      for (let i = 0; i < CLAIMS; i++) {
        const t0 = performance.now();
        const claimed = await filled.store.claimDeliveries({ target, ...(target === 'dvcqg' ? { after: 'province' as const } : {}), owner: 'bench', now: now + 1000, leaseMs: 3_600_000, limit: LIMIT });
        samples.push((performance.now() - t0) * 1000);
        if (claimed.length === 0) throw new Error(`nothing left to claim for ${target} after ${i} claims`);
      }
      return samples.sort((a, b) => a - b);
    };
    const plans = options.explain && filled.explain ? await filled.explain(now + 1000) : undefined;
    const province = await time('province');
    const dvcqg = await time('dvcqg');
    return {
      rows,
      database,
      provinceMedianUs: median(province),
      provinceP99Us: percentile(province, 99),
      dvcqgMedianUs: median(dvcqg),
      dbMb: await filled.sizeMb(),
      ...(plans ? { plans } : {}),
    };
  } finally {
    await filled.close();
  }
}

/** Which rows wait: the last WAITING dossiers; the province has delivered every other one of them. */
const waitingFrom = (dossiers: number) => dossiers - WAITING + 1;

function fillSqlite(rows: number, now: number, trySql: readonly string[]): Filled {
  const storage = benchStorage('sqlite', 'claim');
  const file = storage.sqlite!.file;
  const store = openSqliteStore({ file });
  const dossier = store.raw.prepare(
    `INSERT INTO dossiers (id, source, external_id, source_code, version, status, canonical, created_at, updated_at)
     VALUES (?, 'land', ?, ?, 1, 'IN_PROGRESS', ?, ?, ?)`,
  );
  const delivery = store.raw.prepare(
    `INSERT INTO deliveries (dossier_id, target, state, want_version, sent_version, next_attempt_at, remote_code, delivered_at, created_at, updated_at)
     VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?)`,
  );
  const dossiers = rows / 2;
  store.raw.transaction(() => {
    for (let id = 1; id <= dossiers; id++) {
      const code = `B-${id}`;
      const waiting = id >= waitingFrom(dossiers);
      const at = now - (dossiers - id) * 1000;
      dossier.run(id, code, code, CANONICAL, at, at);
      // Waiting: neither target has it yet; below, the province gets half of them (both claims have work).
      delivery.run(id, 'province', waiting ? 'pending' : 'delivered', waiting ? null : 1, at, waiting ? null : `000.00.20.H56-260302-${String(id % 10_000).padStart(4, '0')}`, waiting ? null : at, at, at);
      delivery.run(id, 'dvcqg', waiting ? 'pending' : 'delivered', waiting ? null : 1, at, waiting ? null : code, waiting ? null : at, at, at);
    }
  })();
  store.raw
    .prepare(`UPDATE deliveries SET state = 'delivered', sent_version = 1, remote_code = 'C-' || dossier_id WHERE target = 'province' AND state = 'pending' AND dossier_id % 2 = 0`)
    .run();
  for (const statement of trySql) store.raw.exec(statement);
  store.raw.pragma('optimize');
  return {
    store,
    sizeMb: async () => statSync(file).size / 1e6,
    async close() {
      await store.close();
      await storage.dispose();
    },
  };
}

/**
 * The same history on PostgreSQL, generated by the server itself (generate_series), then vacuumed
 * and analysed as autovacuum would have left a table that grew over months.
 */
async function fillPostgres(rows: number, now: number, trySql: readonly string[]): Promise<Filled> {
  const storage = benchStorage('postgres', 'claim');
  let store: PgStore | undefined;
  try {
    store = await openPgStore({ url: storage.postgres!.url, schema: storage.postgres!.schema });
    const q = (text: string, values: unknown[] = []) => store!.pool.query(text, values);
    const dossiers = rows / 2;
    const from = waitingFrom(dossiers);
    await q(
      `INSERT INTO dossiers (id, source, external_id, source_code, version, status, canonical, created_at, updated_at)
       SELECT g, 'land', 'B-' || g, 'B-' || g, 1, 'IN_PROGRESS', $1, $2::bigint - ($3::bigint - g) * 1000, $2::bigint - ($3::bigint - g) * 1000
         FROM generate_series(1, $3::int) g`,
      [CANONICAL, now, dossiers],
    );
    await q(
      `INSERT INTO deliveries (dossier_id, target, state, want_version, sent_version, next_attempt_at, remote_code, delivered_at, created_at, updated_at)
       SELECT g, t.target,
              CASE WHEN g >= $3 THEN 'pending' ELSE 'delivered' END,
              1,
              CASE WHEN g >= $3 THEN NULL ELSE 1 END,
              at,
              CASE WHEN g >= $3 THEN NULL WHEN t.target = 'province' THEN '000.00.20.H56-260302-' || lpad((g % 10000)::text, 4, '0') ELSE 'B-' || g END,
              CASE WHEN g >= $3 THEN NULL ELSE at END,
              at, at
         FROM generate_series(1, $2::int) g
        CROSS JOIN (VALUES ('province'), ('dvcqg')) AS t(target)
        CROSS JOIN LATERAL (SELECT $1::bigint - ($2::bigint - g) * 1000 AS at) a
        ORDER BY g, t.target DESC`,
      [now, dossiers, from],
    );
    await q(`UPDATE deliveries SET state = 'delivered', sent_version = 1, remote_code = 'C-' || dossier_id WHERE target = 'province' AND state = 'pending' AND dossier_id % 2 = 0`);
    await q(`SELECT setval(pg_get_serial_sequence('dossiers', 'id'), $1)`, [dossiers]);
    for (const statement of trySql) await q(statement);
    await q('VACUUM ANALYZE dossiers');
    await q('VACUUM ANALYZE deliveries');
    const pgStore = store;
    return {
      store: pgStore,
      sizeMb: async () => {
        const { rows: r } = await pgStore.pool.query<{ bytes: string }>(
          `SELECT (pg_total_relation_size('deliveries') + pg_total_relation_size('dossiers'))::text AS bytes`,
        );
        return Number(r[0]!.bytes) / 1e6;
      },
      explain: (at) => explainClaims(pgStore, at),
      async close() {
        await pgStore.close();
        await storage.dispose();
      },
    };
  } catch (err) {
    await store?.close();
    await storage.dispose();
    throw err;
  }
}

/**
 * The plans of both claims' row selection, as the store runs it (see src/store/pg/deliveries.ts),
 * inside a transaction that is rolled back so that nothing is leased.
 */
async function explainClaims(store: PgStore, now: number): Promise<{ province: string; dvcqg: string }> {
  const plan = async (target: string, after: string | null) => {
    const gate = after
      ? `JOIN deliveries p ON p.dossier_id = d.dossier_id AND p.target = '${after}' AND p.sent_version >= d.want_version AND p.remote_code IS NOT NULL`
      : '';
    const client = await store.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
         SELECT d.id FROM deliveries d ${gate}
          WHERE d.target = $1 AND d.state IN ('pending', 'retrying') AND d.next_attempt_at <= $2
            AND (d.lease_until IS NULL OR d.lease_until < $2)
          ORDER BY d.next_attempt_at, d.id
          LIMIT ${LIMIT}
          FOR UPDATE OF d SKIP LOCKED`,
        [target, now],
      );
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  };
  return { province: await plan('province', null), dvcqg: await plan('dvcqg', 'province') };
}

/**
 * Every round measures both sizes back to back, so each ratio compares figures taken under the
 * same load on the machine; the table shows the medians of the rounds' figures and of their ratios.
 */
export async function claimBenchmark(opts: {
  rounds: number;
  log: (m: string) => void;
  database?: BenchDatabase;
  sizes?: readonly [number, number];
  explain?: boolean;
  trySql?: readonly string[];
}) {
  const database = opts.database ?? 'sqlite';
  const [small, big] = opts.sizes ?? [10_000, 1_000_000];
  const bySize: Record<number, ClaimFigures[]> = { [small]: [], [big]: [] };
  for (let i = 0; i < opts.rounds; i++) {
    for (const size of [small, big]) {
      const r = await claimRound(size, { database, explain: Boolean(opts.explain) && i === 0, ...(opts.trySql ? { trySql: opts.trySql } : {}) });
      opts.log(`claim (${database}) round ${i + 1}, ${size} rows: ${round(r.provinceMedianUs)} µs province, ${round(r.dvcqgMedianUs)} µs portal`);
      bySize[size]!.push(r);
    }
  }
  const m = (size: number, f: (r: ClaimFigures) => number) => median(bySize[size]!.map(f));
  const ratio = (f: (r: ClaimFigures) => number) => median(bySize[big]!.map((r, i) => f(r) / f(bySize[small]![i]!)));
  const label = database === 'postgres' ? 'PostgreSQL' : 'SQLite';
  const rows: BenchRow[] = [
    { benchmark: `Claim the next ${LIMIT} deliveries (${label}${opts.trySql?.length ? ', with the SQL tried' : ''})`, figure: `province, ${n(small)} / ${n(big)} rows`, value: `${round(m(small, (r) => r.provinceMedianUs), 0)} / ${round(m(big, (r) => r.provinceMedianUs), 0)} µs` },
    { benchmark: '', figure: `national portal (joins the province row), ${n(small)} / ${n(big)} rows`, value: `${round(m(small, (r) => r.dvcqgMedianUs), 0)} / ${round(m(big, (r) => r.dvcqgMedianUs), 0)} µs` },
    {
      benchmark: '',
      figure: `ratio ${n(big)} / ${n(small)} (province / portal)`,
      value: `${round(ratio((r) => r.provinceMedianUs), 2)} / ${round(ratio((r) => r.dvcqgMedianUs), 2)}`,
      goal: '≤ 2',
    },
  ];
  return { rows, results: { database, trySql: opts.trySql ?? [], bySize } };
}
