import type pg from 'pg';

/**
 * Dead rows and stale statistics on PostgreSQL. Every claim and every completion rewrites a
 * delivery row, and every accepted record its dossier, its own row and the outbox; the old versions
 * stay, in the table and its indexes, until a vacuum, and the planner's picture of the tables is
 * only what the last ANALYZE saw. Autovacuum comes to a table only once a fifth of it has changed,
 * and a server may run without it (the machines this project is tested on do): there, a drain of
 * 100,000 dossiers slowed from about 420 to 230 a second as it went. A VACUUM alone every 25,000
 * rows changed nothing (315 against 316 dossiers/s); with ANALYZE the drain held its speed to the
 * end, 482 dossiers/s. So the store does both itself: once about `every` rows have been rewritten
 * through it since the last time, one `VACUUM (ANALYZE)` runs in the background on a connection of
 * the pool (it blocks no reads or writes; SKIP_LOCKED leaves a table another instance is busy
 * with). One that fails (a role that does not own the tables) is left for the next; nothing waits
 * for one but `close`.
 */
export interface PgVacuum {
  /** Counts `rows` rewritten, and starts a vacuum when enough have been. */
  rewrote(rows: number): void;
  /** Waits for a vacuum that is running. */
  settle(): Promise<void>;
}

export const VACUUM_EVERY = 25_000;

export function pgVacuum(pool: pg.Pool, every: number = VACUUM_EVERY): PgVacuum {
  let rewritten = 0;
  let running: Promise<void> | undefined;
  return {
    rewrote(rows) {
      rewritten += rows;
      if (rewritten < every || running) return;
      rewritten = 0;
      running = pool
        .query('VACUUM (ANALYZE, SKIP_LOCKED) deliveries, dossiers, source_records')
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => (running = undefined));
    },
    async settle() {
      await running;
    },
  };
}
