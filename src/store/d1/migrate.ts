import { sql } from 'drizzle-orm';
import { sha256Hex } from '../../lib/hash';
import type { D1Db, Statement } from './batch';

/**
 * Applies the SQLite migrations (the same files better-sqlite3 applies) to D1 when the worker first
 * touches its database, and records them in `__drizzle_migrations` exactly as drizzle's migrator
 * does (the file's SHA-256 and its journal time), so a database moved between the two drivers, or
 * inspected with drizzle-kit, shows the same history.
 *
 * Why not `wrangler d1 migrations apply`: that keeps its own table, and a deploy that forgets the
 * step runs new code on an old schema. Applying at start ties the schema to the code that needs it,
 * and the readiness check (`ping`) counts the same table on every driver.
 */
export interface BundledMigration {
  /** The journal's tag, which is the file's name: 0000_init. */
  tag: string;
  /** The journal's `when`: drizzle applies every migration newer than the last one recorded. */
  when: number;
  sql: string;
}

const MIGRATIONS_TABLE = sql`CREATE TABLE IF NOT EXISTS __drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`;

const lastApplied = async (db: D1Db): Promise<number | null> => {
  const row = await db.get<{ created_at: number | string } | undefined>(sql`SELECT created_at FROM __drizzle_migrations ORDER BY created_at DESC LIMIT 1`);
  return row ? Number(row.created_at) : null;
};

export async function migrateD1(db: D1Db, migrations: readonly BundledMigration[]): Promise<void> {
  await db.run(MIGRATIONS_TABLE);
  const last = await lastApplied(db);
  const pending = migrations.filter((m) => last === null || last < m.when);
  if (pending.length === 0) return;
  const statements: Statement[] = [];
  for (const m of pending) {
    for (const part of m.sql.split('--> statement-breakpoint')) {
      if (part.trim()) statements.push(db.run(sql.raw(part)));
    }
    // Inlined, as drizzle's own migrator does: its D1 batch cannot bind a raw statement's parameters.
    const hash = await sha256Hex(m.sql);
    statements.push(db.run(sql.raw(`INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('${hash}', ${Number(m.when)})`)));
  }
  try {
    // One batch: a migration is applied whole or not at all.
    await db.batch(statements as unknown as [Statement, ...Statement[]]);
  } catch (err) {
    // Two isolates starting at once both try; the one that lost finds the work done.
    const now = await lastApplied(db);
    if (now !== null && now >= pending.at(-1)!.when) return;
    throw err;
  }
}
