import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { appendAudit } from '../src/auth/audit';
import { openSqliteStore } from '../src/store/sqlite/store';

/** `npm run audit:verify` as an operator runs it: a separate process over the database file. */
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'lienthong-audit-'));
const file = join(dir, 'audit.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function verify(): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run('npx', ['tsx', 'src/runtime/audit-verify.ts'], { env: { ...process.env, LIENTHONG_DB: file } });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, out: e.stdout };
  }
}

describe('audit:verify', () => {
  it('reports an intact chain, then an entry changed behind the gateway', async () => {
    const store = openSqliteStore({ file });
    for (let i = 0; i < 4; i++) await appendAudit(store, { at: 1_770_000_000_000 + i, actor: 'user:admin', action: 'deliveries.replay', subject: { ids: [i] } });
    await store.close();

    const intact = await verify();
    expect(intact).toEqual({ code: 0, out: expect.stringContaining('audit log intact: 4 entries') });

    const again = openSqliteStore({ file });
    again.raw.exec('DROP TRIGGER audit_log_no_update');
    again.raw.exec(`UPDATE audit_log SET action = 'nothing' WHERE seq = 3`);
    await again.close();
    const broken = await verify();
    expect(broken.code).toBe(1);
    expect(broken.out).toContain('BROKEN at entry 3');
  });
});
