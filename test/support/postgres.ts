import pg from 'pg';

/** The PostgreSQL these machines run (trust auth); LIENTHONG_TEST_PG_URL overrides it. */
export const TEST_PG_URL = process.env['LIENTHONG_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export const uniqueSchema = (prefix: string) => `${prefix}_${Math.random().toString(16).slice(2, 10)}`;

export async function withPg<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export const dropSchema = (url: string, schema: string) => withPg(url, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
