import Database from 'better-sqlite3';
import { and, eq, inArray } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { mkdirSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TargetSystem } from '../../../contracts';
import type { AcceptInput, AcceptResult, ClaimInput, ClaimedDelivery, DecideFn, DeliveryCompletion, Store } from '../types';
import { sqliteAccess } from './access';
import { sqliteOperations } from './operations';
import { acceptStatements, completionStatements } from './prepared';
import { sqliteQueries } from './queries';
import {
  DELIVERY_STATES,
  changesOf,
  claimStatement,
  inClaimOrder,
  parseJson,
  releaseUpdates,
  toClaimed,
} from './rows';
import { completionWrite } from '../completion';
import { currentDossier, planVersion, recordColumns } from '../plan';
import * as t from './schema';
import { durableAfterEach, walSync } from './wal-sync';

export const SQLITE_MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

export interface SqliteStoreOptions {
  file: string;
  /**
   * FULL survives power loss: nothing leaves the store before the log holding it is on disk (the
   * fsync made off the event loop, see `walSync`). NORMAL survives a killed process.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** How the log is synced under FULL (a test holds it to see that answers wait for it). */
  syncLog?: (log: FileHandle) => Promise<void>;
}

type Db = BetterSQLite3Database<typeof t>;

export function openSqliteStore(options: SqliteStoreOptions): Store & { readonly db: Db; readonly raw: Database.Database } {
  if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
  const raw = new Database(options.file);
  raw.pragma('journal_mode = WAL');
  // FULL is kept by syncing the log off the event loop; SQLite's own syncs are those of NORMAL.
  const synced = options.file !== ':memory:' && (options.synchronous ?? 'FULL') === 'FULL';
  raw.pragma(`synchronous = ${synced ? 'NORMAL' : (options.synchronous ?? 'FULL')}`);
  raw.pragma('busy_timeout = 5000');
  const db = drizzle(cachingStatements(raw), { schema: t });
  migrate(db, { migrationsFolder: SQLITE_MIGRATIONS });
  const store = createSqliteStore(db, raw);
  return synced ? durableAfterEach(store, walSync(raw, options.file, options.syncLog)) : store;
}

/**
 * drizzle's better-sqlite3 session prepares every query anew, and compiling the SQL was a tenth of
 * an accepted record's cost: the same texts are compiled once and kept (a bounded number, oldest
 * dropped). Safe because every use is synchronous and drizzle sets a statement's raw mode itself
 * when it wants rows as arrays; it is reset here before each reuse.
 */
function cachingStatements(raw: Database.Database, limit = 512): Database.Database {
  const cache = new Map<string, Database.Statement>();
  const prepare = raw.prepare.bind(raw);
  raw.prepare = ((source: string) => {
    let stmt = cache.get(source);
    if (stmt) {
      cache.delete(source);
      if (stmt.reader) stmt.raw(false);
    } else {
      stmt = prepare(source);
      if (cache.size >= limit) cache.delete(cache.keys().next().value!);
    }
    cache.set(source, stmt);
    return stmt;
  }) as typeof raw.prepare;
  return raw;
}

/** The row a plain INSERT wrote, or undefined when ON CONFLICT DO NOTHING skipped it (cheaper than RETURNING). */
const insertedId = (r: Database.RunResult) => (r.changes > 0 ? Number(r.lastInsertRowid) : undefined);

function createSqliteStore(db: Db, raw: Database.Database): Store & { readonly db: Db; readonly raw: Database.Database } {
  const q = acceptStatements(db, raw);

  const acceptOne = (input: AcceptInput, decide: DecideFn, targets: readonly TargetSystem[], delayMs: number): AcceptResult => {
    const inserted = insertedId(q.insertRecord.run(recordColumns(input)));
    if (inserted === undefined) return { outcome: 'duplicate' };

    return { ...apply(input.source, input.externalId, inserted, decide, targets, input.receivedAt, delayMs), recordId: inserted };
  };
  const accept = raw.transaction(acceptOne);

  /** Several records of one dossier (same source, so the same decide, targets and delay): all stored, then one rebuild. */
  const acceptAll = (batch: readonly Parameters<typeof accept>[]): AcceptResult[] => {
    const ids = batch.map(([input]) => insertedId(q.insertRecord.run(recordColumns(input))));
    const last = ids.findLastIndex((id) => id !== undefined);
    if (last < 0) return batch.map(() => ({ outcome: 'duplicate' }));
    const [input, decide, targets, delayMs] = batch[last]!;
    const applied = apply(input.source, input.externalId, ids[last]!, decide, targets, input.receivedAt, delayMs);
    return ids.map((recordId) => (recordId === undefined ? { outcome: 'duplicate' } : { ...applied, recordId }));
  };
  const acceptTogether = raw.transaction(acceptAll);

  /**
   * Group commit: the accepts that arrive while one is being written wait for the next turn of the
   * event loop and are then written together in one transaction (if a record fails, again with each
   * dossier's in a savepoint of its own, so that it takes nothing else with it), and made durable
   * by one fsync instead of one each. Records of one dossier in a batch are stored and then rebuilt
   * into it once; if that fails, each is tried on its own. A caller's promise settles only after
   * the commit, so "accepted" still means on disk.
   */
  const groupCommit = (() => {
    type Args = Parameters<typeof accept>;
    type Job = { args: Args; resolve(r: AcceptResult): void; reject(e: unknown): void };
    type Outcome = { ok: true; value: AcceptResult } | { ok: false; error: unknown };
    let queue: Job[] = [];
    const alone = (job: Job): Outcome => {
      try {
        // Nested in the batch's transaction, better-sqlite3 runs this as a savepoint.
        return { ok: true, value: accept(...job.args) };
      } catch (error) {
        return { ok: false, error };
      }
    };
    const together = (jobs: readonly Job[]): Outcome[] => {
      if (jobs.length > 1) {
        try {
          return acceptTogether(jobs.map((j) => j.args)).map((value) => ({ ok: true, value }));
        } catch {
          // Rolled back to its savepoint: each record on its own finds the one that fails.
        }
      }
      return jobs.map(alone);
    };
    /** The commit itself failed: nothing of the batch is stored. */
    const rejectAll = (jobs: readonly Job[], error: unknown) => {
      for (const job of jobs) job.reject(error);
    };
    const flush = () => {
      const jobs = queue;
      queue = [];
      const byDossier = new Map<string, Job[]>();
      for (const job of jobs) {
        const key = `${job.args[0].source}\u0000${job.args[0].externalId}`;
        const group = byDossier.get(key);
        if (group) group.push(job);
        else byDossier.set(key, [job]);
      }
      const outcomes = new Map<Job, Outcome>();
      // First without savepoints: a savepoint costs two statements, and every page written under
      // it is first copied to a statement journal (in memory, past 64 KiB a temporary file): a
      // sixth of an accepted record's CPU. A record that fails rolls the whole batch back, and the
      // batch goes again with a savepoint per dossier, so that the failure takes nothing else with
      // it. Any other failure is the commit's: nothing of the batch is stored.
      const plain = () => {
        for (const group of byDossier.values()) {
          const values = group.length > 1 ? acceptAll(group.map((j) => j.args)) : [acceptOne(...group[0]!.args)];
          values.forEach((value, i) => outcomes.set(group[i]!, { ok: true, value }));
        }
      };
      const guarded = () => {
        for (const group of byDossier.values()) together(group).forEach((o, i) => outcomes.set(group[i]!, o));
      };
      let recordFailed = false;
      try {
        raw.transaction(() => {
          try {
            plain();
          } catch (error) {
            recordFailed = true;
            throw error;
          }
        }).immediate();
      } catch (error) {
        if (!recordFailed) return rejectAll(jobs, error);
        outcomes.clear();
        try {
          raw.transaction(guarded).immediate();
        } catch (error) {
          return rejectAll(jobs, error);
        }
      }
      for (const job of jobs) {
        const o = outcomes.get(job)!;
        if (o.ok) job.resolve(o.value);
        else job.reject(o.error);
      }
    };
    return {
      accept: (...args: Args) =>
        new Promise<AcceptResult>((resolve, reject) => {
          if (queue.push({ args, resolve, reject }) === 1) setImmediate(flush);
        }),
    };
  })();

  /** Rebuilds a dossier from all its records and writes what changed: the heart of accept and redecide. */
  const apply = (
    source: string,
    externalId: string,
    recordId: number | null,
    decide: DecideFn,
    targets: readonly TargetSystem[],
    now: number,
    delayMs: number,
  ): AcceptResult => {
    const key = { source, externalId };
    const fragments = q.fragments.all(key).map((r) => ({ ...r, fragment: parseJson<unknown>(r.fragment) }));
    const row = q.current.get(key);
    const current = row ? currentDossier(row) : null;
    const decision = decide({ fragments, current });
    if (decision.kind === 'pending') return { outcome: 'pending' };

    const plan = planVersion(decision, current, now);
    let dossierId = current?.id;
    let version = current?.version ?? 0;
    if (plan.kind === 'changed') {
      version = plan.version;
      const columns = { ...plan.row, holdReason: plan.row.holdReason ?? null, holdDetail: plan.row.holdDetail ?? null };
      if (current) q.updateDossier.run({ ...columns, id: current.id });
      else dossierId = insertedId(q.insertDossier.run({ ...columns, source, externalId, createdAt: now }))!;
      q.insertVersion.run({ dossierId: dossierId!, version, canonical: plan.canonical, sourceRecordId: recordId, createdAt: now });
      if (!decision.hold) {
        q.queueDeliveries(dossierId!, targets, version, now, now + delayMs);
      }
    }
    // Every record of the dossier is now part of it, including the ones that waited for it.
    q.markApplied.run({ ...key, dossierId: dossierId! });
    return { outcome: plan.kind, dossierId, version, hold: decision.hold?.reason ?? null };
  };

  const claim = raw.transaction((input: ClaimInput): ClaimedDelivery[] => {
    const rows = inClaimOrder(db.all<Record<string, unknown>>(claimStatement(input)));
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r['dossier_id'] as number);
    const dossierRows = db.select().from(t.dossiers).where(inArray(t.dossiers.id, ids)).all();
    const byId = new Map(dossierRows.map((d) => [d.id, d]));
    const upstream = input.after
      ? new Map(
          db
            .select({ dossierId: t.deliveries.dossierId, code: t.deliveries.remoteCode })
            .from(t.deliveries)
            .where(and(eq(t.deliveries.target, input.after), inArray(t.deliveries.dossierId, ids)))
            .all()
            .map((r) => [r.dossierId, r.code]),
        )
      : new Map<number, string | null>();
    return rows.map((r) => {
      const d = byId.get(r['dossier_id'] as number)!;
      return toClaimed(r, d, input.target, upstream.get(d.id) ?? null);
    });
  });

  const done = completionStatements(db, raw);
  const complete = raw.transaction((completions: readonly DeliveryCompletion[], now: number) => {
    for (const c of completions) {
      const row = done.row.get({ id: c.id });
      if (!row) continue;
      const write = completionWrite(row, c, now);
      done.insertAttempt.run(write.attempt);
      if (write.update) done.update(row, write.update);
    }
  });

  const release = raw.transaction((owner?: string): number => {
    const [polls, deliveries] = releaseUpdates(db, owner);
    polls.run();
    return changesOf(deliveries.run());
  });

  const store = {
    dialect: 'sqlite' as const,
    db,
    raw,
    ...sqliteOperations(db, raw, apply),
    ...sqliteAccess(db),
    ...sqliteQueries(db),

    async acceptSourceRecord(input: AcceptInput, decide: DecideFn, targets: readonly TargetSystem[], options: { deliverAfterMs?: number } = {}) {
      return groupCommit.accept(input, decide, targets, options.deliverAfterMs ?? 0);
    },

    async claimDeliveries(input: ClaimInput) {
      return claim.immediate(input);
    },

    async completeDeliveries(completions: readonly DeliveryCompletion[], now: number) {
      if (completions.length) complete.immediate(completions, now);
    },

    async releaseLeases(owner?: string) {
      return release.immediate(owner);
    },

    async close() {
      raw.close();
    },
  };
  return store;
}

export { DELIVERY_STATES };
