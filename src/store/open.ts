import { openPgStore } from './pg/store';
import { openSqliteStore } from './sqlite/store';
import type { Store } from './types';

export interface OpenStoreOptions {
  /** A postgres:// or postgresql:// URL selects PostgreSQL; anything else (or nothing) SQLite. */
  databaseUrl?: string;
  /** The SQLite file, when PostgreSQL is not selected. */
  file: string;
  /** The PostgreSQL schema to keep the tables in (default `public`). */
  pgSchema?: string;
}

const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;

export const isPostgresUrl = (url: string | undefined): url is string => url !== undefined && POSTGRES_URL.test(url);

/**
 * The one place that picks the driver. Only PostgreSQL may be shared by several instances: on it,
 * free one's own leases at a graceful stop (`releaseLeases(owner)`), never everyone's at start.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (isPostgresUrl(options.databaseUrl)) return openPgStore({ url: options.databaseUrl, schema: options.pgSchema });
  return openSqliteStore({ file: options.file });
}

/** Where a store lives, for a log line or a message: never the URL itself, which may carry a password. */
export function describeDatabase(options: OpenStoreOptions): string {
  if (!isPostgresUrl(options.databaseUrl)) return options.file;
  try {
    const u = new URL(options.databaseUrl);
    return `postgresql://${u.host}${u.pathname}${options.pgSchema ? ` (schema ${options.pgSchema})` : ''}`;
  } catch {
    return 'postgresql';
  }
}
