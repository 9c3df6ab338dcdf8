import type { D1Database } from '@cloudflare/workers-types/index.ts';
import { readFileSync } from 'node:fs';
import { Miniflare } from 'miniflare';
import { openD1Store } from '../../src/store/d1/store';
import type { BundledMigration } from '../../src/store/d1/migrate';
import type { Store } from '../../src/store/types';

/**
 * A real D1 (workerd's, through Miniflare) driven from the test process: the D1 store runs here in
 * Node against the binding Miniflare exposes, so the store's contract suite can cover D1 too.
 */
const MIGRATIONS = new URL('../../src/store/sqlite/migrations/', import.meta.url);

/** The SQLite migrations as the worker bundle holds them, read from disk instead. */
export function sqliteMigrationsFromDisk(): BundledMigration[] {
  const journal = JSON.parse(readFileSync(new URL('meta/_journal.json', MIGRATIONS), 'utf8')) as { entries: { tag: string; when: number }[] };
  return journal.entries.map((e) => ({ tag: e.tag, when: e.when, sql: readFileSync(new URL(`${e.tag}.sql`, MIGRATIONS), 'utf8') }));
}

export async function startD1(): Promise<{ d1: D1Database; close(): Promise<void> }> {
  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response(null, { status: 204 }); } }',
    d1Databases: ['DB'],
    compatibilityDate: '2026-04-01',
  });
  const d1 = (await mf.getD1Database('DB')) as unknown as D1Database;
  return { d1, close: () => mf.dispose() };
}

/** Same shape as test/store.test.ts's harnesses: each test gets an empty database. */
export function d1Harness() {
  let running: Awaited<ReturnType<typeof startD1>> | undefined;
  return {
    name: 'd1',
    async open(): Promise<Store> {
      running = await startD1();
      return openD1Store(running.d1, { migrations: sqliteMigrationsFromDisk() });
    },
    async reopen(): Promise<Store> {
      return openD1Store(running!.d1, { migrations: sqliteMigrationsFromDisk() });
    },
    exec: (_store: Store, sql: string) => running!.d1.prepare(sql).run(),
    async cleanup() {
      await running?.close();
      running = undefined;
    },
  };
}
