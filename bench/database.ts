import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_PG_URL, dropSchema, uniqueSchema } from '../test/support/postgres';

/**
 * Where one benchmark run keeps its data: a fresh SQLite file in a folder of its own, or a fresh
 * schema on the test PostgreSQL (LIENTHONG_TEST_PG_URL overrides the address). `env` is what a child
 * process (the gateway, the ingest server) needs to open the same store; `dispose` removes it all.
 */
export type BenchDatabase = 'sqlite' | 'postgres';

export interface BenchStorage {
  kind: BenchDatabase;
  /** For the benchmark table: never the URL, which may carry a password. */
  label: 'SQLite' | 'PostgreSQL';
  env: Record<string, string>;
  sqlite?: { file: string };
  postgres?: { url: string; schema: string };
  dispose(): Promise<void>;
}

export function benchStorage(kind: BenchDatabase, name: string): BenchStorage {
  if (kind === 'postgres') {
    const schema = uniqueSchema(`bench_${name}`);
    return {
      kind,
      label: 'PostgreSQL',
      env: { DATABASE_URL: TEST_PG_URL, LIENTHONG_PG_SCHEMA: schema },
      postgres: { url: TEST_PG_URL, schema },
      dispose: async () => {
        await dropSchema(TEST_PG_URL, schema);
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), `lienthong-bench-${name}-`));
  const file = join(dir, `${name}.db`);
  return {
    kind,
    label: 'SQLite',
    // An empty DATABASE_URL overrides one the benchmark's own environment may carry.
    env: { DATABASE_URL: '', LIENTHONG_PG_SCHEMA: '', LIENTHONG_DB: file },
    sqlite: { file },
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}
