import { verifyStoreAudit } from '../auth/audit';
import { openSqliteStore } from '../store/sqlite/store';
import { loadConfigFile } from './config-file';

/**
 * `npm run audit:verify`: re-computes the audit log's hash chain from the first entry and says
 * whether any entry was changed, removed or inserted behind the gateway's back. The database is
 * `LIENTHONG_DB`, else the configuration file's, else the default file. Exit 0 when the chain
 * holds, 1 when it is broken, 2 when the database cannot be read.
 */
export async function auditVerify(env: Record<string, string | undefined>, out: (line: string) => void): Promise<number> {
  const file = env['LIENTHONG_DB'] ?? (env['LIENTHONG_CONFIG'] ? loadConfigFile(env['LIENTHONG_CONFIG'], env).database.file : './data/lienthong.db');
  let store: ReturnType<typeof openSqliteStore>;
  try {
    store = openSqliteStore({ file });
  } catch (err) {
    out(`cannot open ${file}: ${(err as Error).message}`);
    return 2;
  }
  try {
    const report = await verifyStoreAudit(store);
    if (report.ok) {
      out(`audit log intact: ${report.entries} entries chained from the first (${file})`);
      return 0;
    }
    out(`audit log BROKEN at entry ${report.brokenAt}: ${report.reason} (${report.entries} entries, ${file})`);
    return 1;
  } finally {
    await store.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  auditVerify(process.env, (line) => process.stdout.write(`${line}\n`)).then((code) => process.exit(code));
}
