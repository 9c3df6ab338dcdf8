import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { HoldReason } from '../../../contracts';
import type { DeliveryState, SourceStatus, Store, SyncStatus, TargetStatus } from '../types';
import { pgAcceptBatcher } from './accept-batch';
import { pgAccess } from './access';
import { SNAPSHOT, all, locker, num, numOrNull, transact, type Db, type Q } from './db';
import { pgDeliveries } from './deliveries';
import { pgDossiers } from './dossiers';
import { pgOperations } from './operations';
import { pgPolling } from './polling';
import { pgVacuum, type PgVacuum } from './vacuum';
import * as t from './schema';

export const PG_MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

export interface PgStoreOptions {
  /** A postgres:// or postgresql:// URL. */
  url: string;
  /** The PostgreSQL schema that holds the tables and the migrations journal; created if missing. */
  schema?: string;
  /** Connections in the pool (node-postgres' default is 10). */
  poolSize?: number;
  /** Rows rewritten through the store between two vacuums of its busiest tables (`pgVacuum`). */
  vacuumEvery?: number;
}

export type PgStore = Store & { readonly db: Db; readonly pool: pg.Pool; readonly schema: string };

/** Lower case, as PostgreSQL folds unquoted names, so the name needs no quoting anywhere it appears. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Opens the store on PostgreSQL, shared by any number of gateway instances: every operation is one
 * transaction, deliveries and polls are leased, and each dossier is rebuilt by one of them at a time.
 */
export async function openPgStore(options: PgStoreOptions): Promise<PgStore> {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new Error(`PostgreSQL schema "${schema}": use lower-case letters, digits and underscores`);
  const pool = new pg.Pool({ ...connection(options.url, schema), max: options.poolSize ?? 10 });
  // An idle connection the server dropped (restart, failover) must not crash the process: the pool
  // discards it and the next operation opens a new one.
  pool.on('error', () => {});
  try {
    await migrateInto(pool, schema);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return createPgStore(drizzle(pool, { schema: t }), pool, schema, pgVacuum(pool, options.vacuumEvery));
}

/**
 * Every connection resolves the migrations' unqualified names in `schema`, and only there, and runs
 * READ COMMITTED whatever the server's default: the store's locks and its one-statement claim are
 * built on it (a stricter level would raise serialization failures there). Reads that need one
 * picture ask for REPEATABLE READ themselves (`SNAPSHOT`).
 */
function connection(url: string, schema: string): pg.PoolConfig {
  const settings = `-c search_path=${schema} -c default_transaction_isolation=read\\ committed`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { connectionString: url, options: settings };
  }
  // node-postgres lets the URL's own `options` replace the config's: merge them instead.
  const own = parsed.searchParams.get('options');
  parsed.searchParams.delete('options');
  return { connectionString: parsed.toString(), options: own ? `${own} ${settings}` : settings };
}

async function migrateInto(pool: pg.Pool, schema: string) {
  const client = await pool.connect();
  const key = `lienthong-migrations\u001f${schema}`;
  try {
    // Instances starting together would otherwise apply the same migration twice.
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await migrate(drizzle(client, { schema: t }), { migrationsFolder: PG_MIGRATIONS, migrationsSchema: schema });
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
    }
  } finally {
    client.release();
  }
}

function createPgStore(db: Db, pool: pg.Pool, schema: string, vacuum: PgVacuum): PgStore {
  const lock = locker(schema);
  const { apply, lockDossier, ...dossiers } = pgDossiers(db, lock);
  const acceptOne = dossiers.acceptSourceRecord;
  const acceptBatched = pgAcceptBatcher(pool, schema, (j) => acceptOne(j.input, j.decide, j.targets, { deliverAfterMs: j.delayMs }));
  const deliveries = pgDeliveries(db);
  let closed = false;
  return {
    dialect: 'postgres' as const,
    db,
    pool,
    schema,
    ...dossiers,
    async acceptSourceRecord(input, decide, targets, options = {}) {
      const result = await acceptBatched({ input, decide, targets, delayMs: options.deliverAfterMs ?? 0 });
      // The record's row, and when it changed the dossier, the dossier's row and its outbox rows.
      vacuum.rewrote(result.outcome === 'changed' ? 2 + targets.length : 1);
      return result;
    },
    ...deliveries,
    async claimDeliveries(input) {
      const claimed = await deliveries.claimDeliveries(input);
      vacuum.rewrote(claimed.length);
      return claimed;
    },
    async completeDeliveries(completions, now) {
      await deliveries.completeDeliveries(completions, now);
      vacuum.rewrote(completions.length);
    },
    ...pgPolling(db),
    ...pgOperations(db, lock, lockDossier, apply),
    ...pgAccess(db),

    async syncStatus(now) {
      return transact(db, (tx) => syncStatus(tx, now), SNAPSHOT);
    },

    async close() {
      if (closed) return;
      closed = true;
      await vacuum.settle();
      await pool.end();
    },
  };
}

async function syncStatus(tx: Q, now: number): Promise<SyncStatus> {
  const targets: Record<string, TargetStatus> = {};
  for (const row of await all<{ target: string; state: DeliveryState; n: number; in_flight: number; oldest: string | null }>(
    tx,
    sql`
      SELECT target, state, COUNT(*)::int AS n,
             SUM(CASE WHEN lease_until > ${now} THEN 1 ELSE 0 END)::int AS in_flight,
             MIN(pending_since) AS oldest
        FROM deliveries GROUP BY target, state`,
  )) {
    const entry = (targets[row.target] ??= {
      counts: { pending: 0, retrying: 0, delivered: 0, failed: 0, dead: 0, inFlight: 0 },
      oldestPendingMs: null,
    });
    entry.counts[row.state] = row.n;
    entry.counts.inFlight += row.in_flight ?? 0;
    const oldest = numOrNull(row.oldest);
    if (oldest !== null) entry.oldestPendingMs = Math.max(entry.oldestPendingMs ?? 0, now - oldest);
  }
  const sources: Record<string, SourceStatus> = {};
  const blank = (): SourceStatus => ({
    dossiers: 0,
    records: 0,
    pendingRecords: 0,
    rejected: 0,
    held: {},
    lastPollAt: null,
    lastSuccessAt: null,
    lastError: null,
    lastReceivedAt: null,
  });
  for (const r of await all<{ source: string; hold: string | null; n: number }>(
    tx,
    sql`SELECT source, hold_reason AS hold, COUNT(*)::int AS n FROM dossiers GROUP BY source, hold_reason`,
  )) {
    const s = (sources[r.source] ??= blank());
    s.dossiers += r.n;
    if (r.hold) s.held[r.hold as HoldReason] = r.n;
  }
  for (const r of await all<{ source: string; status: string; n: number; latest: string }>(
    tx,
    sql`SELECT source, status, COUNT(*)::int AS n, MAX(received_at) AS latest FROM source_records GROUP BY source, status`,
  )) {
    const s = (sources[r.source] ??= blank());
    s.records += r.n;
    if (r.status === 'pending') s.pendingRecords += r.n;
    s.lastReceivedAt = Math.max(s.lastReceivedAt ?? 0, num(r.latest));
  }
  for (const r of await all<{ source: string; n: number }>(
    tx,
    sql`SELECT source, COUNT(*)::int AS n FROM rejected_records WHERE resolved_at IS NULL GROUP BY source`,
  )) {
    (sources[r.source] ??= blank()).rejected = r.n;
  }
  for (const r of await tx.select().from(t.pollCursors)) {
    const s = (sources[r.source] ??= blank());
    s.lastPollAt = r.lastPollAt;
    s.lastSuccessAt = r.lastSuccessAt;
    s.lastError = r.lastError;
  }
  return { targets, sources };
}
