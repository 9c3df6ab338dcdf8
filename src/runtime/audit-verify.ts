import { verifyStoreAudit } from '../auth/audit';
import { describeDatabase, openStore } from '../store/open';
import type { Store } from '../store/types';
import { loadConfigFile } from './config-file';

/**
 * `npm run audit:verify`: re-computes the audit log's hash chain from the first entry and says
 * whether any entry was changed, removed or inserted behind the gateway's back. The database is
 * PostgreSQL when `DATABASE_URL` is a postgres:// URL, else the SQLite file `LIENTHONG_DB`, else the
 * configuration file's, else the default file. Exit 0 when the chain holds, 1 when it is broken, 2
 * when the database cannot be read.
 */
export async function auditVerify(env: Record<string, string | undefined>, out: (line: string) => void): Promise<number> {
  const file = env['LIENTHONG_DB'] ?? (env['LIENTHONG_CONFIG'] ? loadConfigFile(env['LIENTHONG_CONFIG'], env).database.file : './data/lienthong.db');
  const options = { databaseUrl: env['DATABASE_URL'], file, pgSchema: env['LIENTHONG_PG_SCHEMA'] };
  const where = describeDatabase(options);
  let store: Store;
  try {
    store = await openStore(options);
  } catch (err) {
    out(`cannot open ${where}: ${(err as Error).message}`);
    return 2;
  }
  try {
    const report = await verifyStoreAudit(store);
    if (report.ok) {
      out(`audit log intact: ${report.entries} entries chained from the first (${where})`);
      return 0;
    }
    out(`audit log BROKEN at entry ${report.brokenAt}: ${report.reason} (${report.entries} entries, ${where})`);
    return 1;
  } finally {
    await store.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  auditVerify(process.env, (line) => process.stdout.write(`${line}\n`)).then((code) => process.exit(code));
}
