import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and } from 'drizzle-orm';
import { getTableConfig as pgTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteTableConfig, SQLiteSyncDialect, SQLiteTable } from 'drizzle-orm/sqlite-core';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import * as pgSchema from '../src/store/pg/schema';
import { openPgStore } from '../src/store/pg/store';
import { replayConditions } from '../src/store/sqlite/operations';
import { claimStatement } from '../src/store/sqlite/rows';
import * as sqliteSchema from '../src/store/sqlite/schema';
import { openSqliteStore } from '../src/store/sqlite/store';

/**
 * One schema per dialect (STYLE.md habit 3), kept alike: the same tables, columns, keys and indexes,
 * by name, in the drizzle definitions and in what each dialect's migrations actually create.
 */
const PG_URL = process.env['LIENTHONG_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Shape {
  columns: Record<string, { notNull: boolean; primary: boolean }>;
  indexes: Record<string, { unique: boolean; columns: string[] }>;
  primaryKey: string[];
}

function shapes<T>(module: Record<string, unknown>, isTable: (v: unknown) => v is T, config: (t: T) => ReturnType<typeof sqliteTableConfig> | ReturnType<typeof pgTableConfig>) {
  const out: Record<string, Shape> = {};
  for (const table of Object.values(module).filter(isTable)) {
    const c = config(table);
    const composite = c.primaryKeys.flatMap((k) => k.columns.map((col) => col.name));
    out[c.name] = {
      columns: Object.fromEntries(c.columns.map((col) => [col.name, { notNull: col.notNull, primary: col.primary }])),
      indexes: Object.fromEntries(
        c.indexes.map((i) => [i.config.name!, { unique: i.config.unique, columns: i.config.columns.map((col) => (col as { name: string }).name) }]),
      ),
      primaryKey: composite.length ? composite : c.columns.filter((col) => col.primary).map((col) => col.name),
    };
  }
  return out;
}

const sqlite = shapes(sqliteSchema, (v): v is SQLiteTable => v instanceof SQLiteTable, sqliteTableConfig);
const postgres = shapes(pgSchema, (v): v is PgTable => v instanceof PgTable, pgTableConfig);

describe('the SQLite and PostgreSQL schemas', () => {
  it('define the same tables, columns, keys and indexes', () => {
    expect(Object.keys(postgres).sort()).toEqual(Object.keys(sqlite).sort());
    expect(Object.keys(sqlite).length).toBeGreaterThanOrEqual(12);
    for (const name of Object.keys(sqlite)) {
      expect({ table: name, ...postgres[name] }).toEqual({ table: name, ...sqlite[name] });
    }
  });

  describe('as their migrations create them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lienthong-schema-'));
    const schema = `lt_test_${randomBytes(6).toString('hex')}`;
    afterAll(async () => {
      rmSync(dir, { recursive: true, force: true });
      const pool = new pg.Pool({ connectionString: PG_URL });
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pool.end();
    });

    it('on SQLite', async () => {
      const store = openSqliteStore({ file: join(dir, 'schema.db') });
      try {
        for (const [name, shape] of Object.entries(sqlite)) {
          const columns = store.raw.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as { name: string }[];
          expect({ name, columns: columns.map((c) => c.name).sort() }).toEqual({ name, columns: Object.keys(shape.columns).sort() });
          const indexes = store.raw.prepare(`SELECT name FROM pragma_index_list(?) WHERE origin = 'c'`).all(name) as { name: string }[];
          expect({ name, indexes: indexes.map((i) => i.name).sort() }).toEqual({ name, indexes: Object.keys(shape.indexes).sort() });
        }
      } finally {
        await store.close();
      }
    });

    it('on PostgreSQL', async () => {
      const store = await openPgStore({ url: PG_URL, schema });
      try {
        for (const [name, shape] of Object.entries(postgres)) {
          const columns = await store.pool.query<{ name: string }>(
            'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
            [schema, name],
          );
          expect({ name, columns: columns.rows.map((c) => c.name).sort() }).toEqual({ name, columns: Object.keys(shape.columns).sort() });
          // A primary key is a constraint with an index of its own, which the schema does not name.
          const indexes = await store.pool.query<{ name: string }>(
            `SELECT i.relname AS name FROM pg_index x
               JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class r ON r.oid = x.indrelid JOIN pg_namespace n ON n.oid = r.relnamespace
              WHERE n.nspname = $1 AND r.relname = $2 AND NOT x.indisprimary`,
            [schema, name],
          );
          expect({ name, indexes: indexes.rows.map((i) => i.name).sort() }).toEqual({ name, indexes: Object.keys(shape.indexes).sort() });
        }
      } finally {
        await store.close();
      }
    });
  });
});

describe('the SQLite indexes serve the queries written for them', () => {
  const plan = (store: ReturnType<typeof openSqliteStore>, query: { sql: string; params: unknown[] }) =>
    (store.raw.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...query.params) as { detail: string }[]).map((r) => r.detail).join(' | ');

  it('the claim, a replay of a target and the counts by target and state each read an index, not the whole table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lienthong-plan-'));
    const store = openSqliteStore({ file: join(dir, 'plan.db') });
    try {
      const claim = new SQLiteSyncDialect().sqlToQuery(claimStatement({ target: 'province', owner: 'o', now: 1, leaseMs: 1, limit: 10 }));
      expect(plan(store, claim)).toContain('USING INDEX deliveries_open');
      for (const filter of [{ target: 'province' as const }, { target: 'dvcqg' as const, state: 'dead' as const }, { target: 'province' as const, errorCode: 'X' }]) {
        const update = store.db.update(sqliteSchema.deliveries).set({ updatedAt: 1 }).where(and(...replayConditions(filter)));
        expect({ filter, plan: plan(store, update.toSQL()) }).toEqual({ filter, plan: expect.stringContaining('USING INDEX deliveries_due') });
      }
      // The sync status's own counts, caught as the store prepares them, and a monitoring probe's:
      // without an index led by (target, state) each is a scan of every delivery and a sort, which
      // slowed a 100,000 drain by a sixth.
      const prepared: string[] = [];
      const prepare = store.raw.prepare;
      store.raw.prepare = ((source: string) => (prepared.push(source), prepare.call(store.raw, source))) as typeof prepare;
      try {
        await store.syncStatus(1);
      } finally {
        store.raw.prepare = prepare;
      }
      const status = prepared.find((q) => /FROM deliveries GROUP BY target, state/.test(q));
      expect(status).toBeDefined();
      const statusPlan = plan(store, { sql: status!, params: [1] });
      expect(statusPlan).toContain('USING INDEX deliveries_due');
      expect(statusPlan).not.toContain('TEMP B-TREE');
      const probe = plan(store, { sql: 'SELECT target, state, COUNT(*) AS n FROM deliveries GROUP BY target, state', params: [] });
      expect(probe).toContain('USING COVERING INDEX deliveries_due');
      expect(probe).not.toContain('TEMP B-TREE');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
