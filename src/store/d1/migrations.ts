import journal from '../sqlite/migrations/meta/_journal.json';
import init from '../sqlite/migrations/0000_init.sql';
import operations from '../sqlite/migrations/0001_operations.sql';
import deliveriesOpen from '../sqlite/migrations/0002_deliveries_open.sql';
import type { BundledMigration } from './migrate';

/**
 * The SQLite migrations as text inside the worker bundle (esbuild's `text` loader, wrangler's `Text`
 * rule): a worker has no file system to read them from. A migration added to the journal must be
 * imported here too; until it is, the worker refuses to start rather than run on an old schema.
 */
const FILES: Record<string, string> = { '0000_init': init, '0001_operations': operations, '0002_deliveries_open': deliveriesOpen };

export const SQLITE_MIGRATIONS_BUNDLED: readonly BundledMigration[] = journal.entries.map((entry) => {
  const text = FILES[entry.tag];
  if (text === undefined) throw new Error(`migration ${entry.tag} is in the journal but not in the worker bundle: import it in src/store/d1/migrations.ts`);
  return { tag: entry.tag, when: entry.when, sql: text };
});
