import { sql, type SQL } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { GatewayError } from '../../lib/errors';
import * as t from '../sqlite/schema';

/**
 * How a whole operation is atomic on D1, which has no interactive transaction (BEGIN is refused and
 * nothing can be held open across awaits): the operation reads what it needs, decides in
 * TypeScript, then sends every write in one `batch`, which D1 runs as a single SQL transaction:
 * all of it commits or none of it does.
 *
 * What the batch cannot see is whether the rows it was computed from changed between the read and
 * the write. So guards go before the writes they protect: each asserts that something read is still
 * as it was (a dossier's version, how many records it has, a delivery row's columns). A guard that holds
 * writes nothing; one that fails inserts a NULL into a NOT NULL column, which aborts the batch and
 * rolls back everything before it. (SQLite has no RAISE outside triggers, and D1 offers no other way
 * to abort a batch on a condition.) The operation then reads again and recomputes: optimistic
 * concurrency, which suits a gateway where two writers rarely touch the same dossier at once.
 */
export type D1Db = DrizzleD1Database<typeof t>;
export type Statement = BatchItem<'sqlite'>;

const GUARD_FAILED = /NOT NULL constraint failed: settings\.value/;
/** A unique index refusing a row another writer inserted first is the same race, seen by SQLite itself. */
const CONSTRAINT_RACE = /UNIQUE constraint failed|PRIMARY KEY constraint failed/;

/**
 * A statement that aborts the batch unless `condition` holds when the batch runs. Built with the
 * query builder: drizzle's D1 batch cannot bind parameters of a raw `db.run(sql)` item.
 */
export const guard = (db: D1Db, condition: SQL): Statement => db.insert(t.settings).select(sql`SELECT 'd1-guard', NULL WHERE NOT (${condition})`);

export class ConcurrentWrite extends Error {
  override readonly name = 'ConcurrentWrite';
}

const isConflict = (err: unknown): boolean => {
  const text = `${(err as Error)?.message ?? ''} ${((err as Error)?.cause as Error | undefined)?.message ?? ''}`;
  return GUARD_FAILED.test(text) || CONSTRAINT_RACE.test(text);
};

/** Runs the statements as one atomic batch; a failed guard or a lost unique race throws `ConcurrentWrite`. */
export async function runBatch(db: D1Db, statements: readonly Statement[]): Promise<unknown[]> {
  if (statements.length === 0) return [];
  try {
    return (await db.batch(statements as unknown as [Statement, ...Statement[]])) as unknown[];
  } catch (err) {
    if (isConflict(err)) throw new ConcurrentWrite('a concurrent writer changed what this operation read', { cause: err });
    throw err;
  }
}

const ATTEMPTS = 10;
const MAX_PAUSE_MS = 250;

/**
 * Reads, decides and writes again until the write finds what it read. Each round starts from a
 * fresh read, so the result is the one a serial execution would give.
 */
export async function optimistic<T>(operation: string, round: () => Promise<T>, random: () => number = Math.random): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await round();
    } catch (err) {
      if (!(err instanceof ConcurrentWrite)) throw err;
      if (attempt >= ATTEMPTS) {
        throw new GatewayError('transient', 'STORE_CONTENDED', `${operation}: other writers kept changing the same rows; try again`, { cause: err });
      }
      // Jittered, growing pauses so two writers that collided do not collide again in step; capped,
      // because a land callback waits only 10 s for its answer.
      await new Promise((resolve) => setTimeout(resolve, Math.round(random() * Math.min(MAX_PAUSE_MS, 10 * 2 ** attempt))));
    }
  }
}

/** D1 binds at most 100 parameters per statement: long id lists go in slices. */
export function slices<T>(items: readonly T[], size = 90): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
