import { sql, type SQL } from 'drizzle-orm';
import type { NodePgDatabase, NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgTransactionConfig } from 'drizzle-orm/pg-core';
import type { QueryConfig } from 'pg';
import type * as t from './schema';

/** What the PostgreSQL driver's modules share: the database types, raw queries and row locks. */
export type Db = NodePgDatabase<typeof t>;
/** The database or a transaction on it. */
export type Q = PgDatabase<NodePgQueryResultHKT, typeof t>;

/**
 * Rows of a raw query. node-postgres returns `bigint` (epoch ms) and `numeric` (SUM) values as
 * strings and COUNT as `bigint`: callers pass them through `num`, or cast COUNT to `int` in SQL.
 */
export async function all<T extends Record<string, unknown>>(q: Q, query: SQL): Promise<T[]> {
  return (await q.execute<T>(query)).rows as T[];
}

export const num = (v: unknown): number => Number(v);
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Rows as one array per column, for statements that read their rows from `unnest($1::type[], ...)`. */
export function columns<T>(rows: readonly T[], pick: (row: T) => unknown[]): unknown[][] {
  const out: unknown[][] = [];
  for (const row of rows) pick(row).forEach((v, i) => (out[i] ??= []).push(v));
  return out;
}

/** `columns` of no rows is no arrays: an empty batch still binds one empty array per column. */
export const arrays = (out: unknown[][], width: number) => Array.from({ length: width }, (_, i) => out[i] ?? []);

/** Row counts a statement with long texts is padded to, so it takes a few shapes, each prepared once per connection. */
const LONG_TEXT_ROWS = [4, 16, 64, 256];

/**
 * A batch statement whose long texts (JSON bodies, fragments, canonical dossiers) travel one
 * parameter each. node-postgres writes an array parameter by escaping every element with regular
 * expressions, and on JSON full of quotes and Vietnamese letters that cost more than the rest of
 * the statement (measured: 21 ms against 1.5 ms of client CPU for 14 texts of 24 kB); a parameter
 * of its own is sent as it is. `text` names the long columns `:long1`, `:long2`, ... after its
 * array parameters `$1..$n` (`arrays`); each becomes `ARRAY[$k, ...]::text[]`, padded with NULLs to
 * the next of LONG_TEXT_ROWS. `unnest` pads the shorter arrays with NULLs too, so `text` must skip
 * the padding rows (a NOT NULL column that is NULL).
 */
export function withLongTexts(name: string, text: string, arrays: readonly unknown[][], long: readonly (readonly (string | null)[])[]): QueryConfig {
  const rows = long[0]?.length ?? 0;
  const size = LONG_TEXT_ROWS.find((n) => n >= rows) ?? rows;
  const values: unknown[] = [...arrays];
  const expressions = long.map((column) => {
    const first = values.length + 1;
    for (let i = 0; i < size; i++) values.push(column[i] ?? null);
    return `ARRAY[${Array.from({ length: size }, (_, i) => `$${first + i}`).join(',')}]::text[]`;
  });
  return { name: `${name}_${size}`, text: text.replace(/:long(\d+)/g, (_, k: string) => expressions[Number(k) - 1]!), values };
}

/** A statement written with $1, $2, ... placeholders (shared with the raw driver) as drizzle SQL. */
export function withParams(text: string, values: readonly unknown[]): SQL {
  const parts = text.split(/\$(\d+)/);
  return sql.join(parts.map((part, i) => (i % 2 ? sql`${sql.param(values[Number(part) - 1])}` : sql.raw(part))));
}

export function parseJson<T>(text: string | null): T {
  return (text === null ? null : JSON.parse(text)) as T;
}

/**
 * Serializes the transactions that take the same key (e.g. one dossier) until they end, as SQLite's
 * single writer does: under READ COMMITTED each statement after the lock sees what the previous
 * holder committed. Keys are database-wide, so `schema` is part of them.
 */
export function locker(schema: string) {
  return async (q: Q, ...key: (string | number)[]) => {
    await q.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${[schema, ...key].join('\u001f')}, 0))`);
  };
}
export type Lock = ReturnType<typeof locker>;

/** serialization_failure, deadlock_detected: PostgreSQL undid the whole transaction, so it may simply run again. */
const RETRYABLE = new Set(['40001', '40P01']);
export const isRetryable = (err: unknown) => RETRYABLE.has(sqlState(err) ?? '');

function sqlState(err: unknown): string | undefined {
  for (let e = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * One whole store operation as one transaction. Operations are pure apart from the database (the
 * `decide` functions too), so running one again after PostgreSQL aborted it changes nothing else.
 */
export async function transact<T>(db: Db, work: (tx: Q) => Promise<T>, config?: PgTransactionConfig): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work, config);
    } catch (err) {
      if (attempt >= 5 || !isRetryable(err)) throw err;
    }
  }
}

/** A consistent picture across several reads (a dossier's page, the status overview). */
export const SNAPSHOT: PgTransactionConfig = { isolationLevel: 'repeatable read', accessMode: 'read only' };
