import Database from 'better-sqlite3';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CanonicalStatus, DossierDraft, HoldReason, SourceSystem, TargetSystem } from '../../../contracts';
import { stableStringify } from '../../lib/hash';
import type {
  AcceptInput,
  AcceptResult,
  ClaimInput,
  ClaimedDelivery,
  CurrentDossier,
  DecideFn,
  DeliveryCompletion,
  DeliveryState,
  DossierView,
  RejectInput,
  SourceStatus,
  Store,
  SyncStatus,
  TargetStatus,
} from '../types';
import { sqliteAccess } from './access';
import { sqliteOperations } from './operations';
import * as t from './schema';

export const SQLITE_MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

export interface SqliteStoreOptions {
  file: string;
  /** FULL survives power loss; NORMAL survives a killed process. */
  synchronous?: 'FULL' | 'NORMAL';
}

type Db = BetterSQLite3Database<typeof t>;
type DeliveryRow = typeof t.deliveries.$inferSelect;

const DELIVERY_STATES: readonly DeliveryState[] = ['pending', 'retrying', 'delivered', 'failed', 'dead'];

export function openSqliteStore(options: SqliteStoreOptions): Store & { readonly db: Db; readonly raw: Database.Database } {
  if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
  const raw = new Database(options.file);
  raw.pragma('journal_mode = WAL');
  raw.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  raw.pragma('busy_timeout = 5000');
  const db = drizzle(raw, { schema: t });
  migrate(db, { migrationsFolder: SQLITE_MIGRATIONS });
  return createSqliteStore(db, raw);
}

function parseJson<T>(text: string | null): T {
  return (text === null ? null : JSON.parse(text)) as T;
}

function createSqliteStore(db: Db, raw: Database.Database): Store & { readonly db: Db; readonly raw: Database.Database } {
  const readCurrent = (tx: Db, source: string, externalId: string): CurrentDossier | null => {
    const row = tx
      .select()
      .from(t.dossiers)
      .where(and(eq(t.dossiers.source, source), eq(t.dossiers.externalId, externalId)))
      .get();
    if (!row) return null;
    return {
      id: row.id,
      version: row.version,
      status: row.status as CanonicalStatus,
      canonical: parseJson<DossierDraft>(row.canonical),
      holdReason: row.holdReason as HoldReason | null,
    };
  };

  const accept = raw.transaction((input: AcceptInput, decide: DecideFn, targets: readonly TargetSystem[], delayMs: number): AcceptResult => {
    const inserted = db
      .insert(t.sourceRecords)
      .values({
        source: input.source,
        externalId: input.externalId,
        kind: input.kind,
        sourceTime: input.sourceTime,
        sourceTimeMs: input.sourceTimeMs,
        contentHash: input.contentHash,
        marker: input.marker ?? null,
        body: input.body,
        fragment: JSON.stringify(input.fragment),
        status: 'pending',
        receivedAt: input.receivedAt,
      })
      .onConflictDoNothing()
      .returning({ id: t.sourceRecords.id })
      .get();
    if (!inserted) return { outcome: 'duplicate' };

    return { ...apply(input.source, input.externalId, inserted.id, decide, targets, input.receivedAt, delayMs), recordId: inserted.id };
  });

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
    const fragments = db
      .select({ id: t.sourceRecords.id, kind: t.sourceRecords.kind, sourceTimeMs: t.sourceRecords.sourceTimeMs, fragment: t.sourceRecords.fragment })
      .from(t.sourceRecords)
      .where(and(eq(t.sourceRecords.source, source), eq(t.sourceRecords.externalId, externalId)))
      .orderBy(asc(t.sourceRecords.sourceTimeMs), asc(t.sourceRecords.id))
      .all()
      .map((r) => ({ ...r, fragment: parseJson<unknown>(r.fragment) }));
    const current = readCurrent(db, source, externalId);
    const decision = decide({ fragments, current });
    if (decision.kind === 'pending') return { outcome: 'pending' };

    const nextVersion = (current?.version ?? 0) + 1;
    const sameAsCurrent =
      current !== null &&
      stableStringify({ ...decision.dossier, version: current.version }) === stableStringify(current.canonical) &&
      (decision.hold?.reason ?? null) === current.holdReason;
    let dossierId = current?.id;
    let version = current?.version ?? 0;
    if (!sameAsCurrent) {
      version = nextVersion;
      const canonical = stableStringify({ ...decision.dossier, version });
      const d = decision.dossier;
      const row = {
        sourceCode: d.sourceCode,
        version,
        status: d.status,
        holdReason: decision.hold?.reason ?? null,
        holdDetail: decision.hold?.detail ?? null,
        nationalCode: d.procedure.nationalCode ?? null,
        localCode: d.procedure.localCode ?? null,
        receivedAtMs: d.receivedAt ? Date.parse(d.receivedAt) : null,
        canonical,
        updatedAt: now,
      };
      if (current) {
        db.update(t.dossiers).set(row).where(eq(t.dossiers.id, current.id)).run();
      } else {
        dossierId = db
          .insert(t.dossiers)
          .values({ ...row, source, externalId, createdAt: now })
          .returning({ id: t.dossiers.id })
          .get().id;
      }
      db.insert(t.dossierVersions).values({ dossierId: dossierId!, version, canonical, sourceRecordId: recordId, createdAt: now }).run();
      if (!decision.hold) queueDeliveries(dossierId!, version, targets, now, now + delayMs);
    }
    // Every record of the dossier is now part of it, including the ones that waited for it.
    db.update(t.sourceRecords)
      .set({ status: 'applied', dossierId: dossierId! })
      .where(and(eq(t.sourceRecords.source, source), eq(t.sourceRecords.externalId, externalId), eq(t.sourceRecords.status, 'pending')))
      .run();
    return { outcome: sameAsCurrent ? 'unchanged' : 'changed', dossierId, version, hold: decision.hold?.reason ?? null };
  };

  /** The transactional outbox: the new version is queued for every target in the same write. */
  const queueDeliveries = (dossierId: number, version: number, targets: readonly TargetSystem[], now: number, due: number) => {
    for (const target of targets) {
      db.insert(t.deliveries)
        .values({ dossierId, target, state: 'pending', wantVersion: version, pendingSince: now, nextAttemptAt: due, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({
          target: [t.deliveries.dossierId, t.deliveries.target],
          set: {
            wantVersion: version,
            // A delivered, failed or dead delivery starts afresh for the new change; a retrying one
            // keeps its backoff so a struggling target is not hammered.
            state: sql`CASE WHEN ${t.deliveries.state} = 'retrying' THEN 'retrying' ELSE 'pending' END`,
            nextAttemptAt: sql`CASE WHEN ${t.deliveries.state} = 'retrying' THEN ${t.deliveries.nextAttemptAt} ELSE ${due} END`,
            pendingSince: sql`COALESCE(${t.deliveries.pendingSince}, ${now})`,
            attempts: sql`CASE WHEN ${t.deliveries.state} IN ('failed','dead') THEN 0 ELSE ${t.deliveries.attempts} END`,
            firstFailedAt: sql`CASE WHEN ${t.deliveries.state} IN ('failed','dead') THEN NULL ELSE ${t.deliveries.firstFailedAt} END`,
            updatedAt: now,
          },
        })
        .run();
    }
  };

  const claim = raw.transaction((input: ClaimInput): ClaimedDelivery[] => {
    const gate = input.after
      ? sql`JOIN deliveries p ON p.dossier_id = d.dossier_id AND p.target = ${input.after}
            AND p.sent_version >= d.want_version AND p.remote_code IS NOT NULL`
      : sql``;
    const rows = db.all<DeliveryRow & Record<string, unknown>>(sql`
      UPDATE deliveries
         SET lease_owner = ${input.owner},
             lease_until = ${input.now + input.leaseMs},
             uncertain = CASE WHEN lease_owner IS NOT NULL THEN 1 ELSE uncertain END,
             updated_at = ${input.now}
       WHERE id IN (
         SELECT d.id FROM deliveries d ${gate}
          WHERE d.target = ${input.target}
            AND d.state IN ('pending', 'retrying')
            AND d.next_attempt_at <= ${input.now}
            AND (d.lease_until IS NULL OR d.lease_until < ${input.now})
          ORDER BY d.next_attempt_at, d.id
          LIMIT ${input.limit})
      RETURNING *`);
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
      return {
        id: r['id'] as number,
        dossierId: d.id,
        target: input.target,
        version: d.version,
        dossier: parseJson<DossierDraft>(d.canonical),
        holdReason: d.holdReason as HoldReason | null,
        attempts: r['attempts'] as number,
        firstFailedAt: (r['first_failed_at'] as number | null) ?? null,
        upstreamCode: upstream.get(d.id) ?? null,
        progress: {
          remoteId: (r['remote_id'] as string | null) ?? null,
          remoteCode: (r['remote_code'] as string | null) ?? null,
          remoteStatus: (r['remote_status'] as number | null) ?? null,
          remoteFieldsHash: (r['remote_fields_hash'] as string | null) ?? null,
          remoteSteps: parseJson<string[]>(r['remote_steps'] as string),
          uncertain: Boolean(r['uncertain']),
        },
      };
    });
  });

  const complete = raw.transaction((completions: readonly DeliveryCompletion[], now: number) => {
    for (const c of completions) {
      const row = db.select().from(t.deliveries).where(eq(t.deliveries.id, c.id)).get();
      if (!row) continue;
      const failed = c.error !== undefined;
      const partial = failed && c.progress.remoteSteps.length > parseJson<string[]>(row.remoteSteps).length;
      db.insert(t.deliveryAttempts)
        .values({
          deliveryId: c.id,
          version: c.version,
          startedAt: c.startedAt,
          durationMs: Math.round(c.durationMs),
          outcome: failed ? (partial ? 'partial' : 'failed') : 'delivered',
          errorClass: c.error?.errorClass ?? null,
          errorCode: c.error?.code ?? null,
          message: c.error?.message ?? null,
          httpStatus: c.error?.httpStatus ?? null,
          latencyMs: failed || row.pendingSince === null ? null : Math.max(0, now - row.pendingSince),
          operations: JSON.stringify(c.operations),
        })
        .run();
      // A lease taken over by another worker means this one's view is stale: keep only the attempt.
      if (row.leaseOwner !== c.owner) continue;
      const progress = {
        remoteId: c.progress.remoteId,
        remoteCode: c.progress.remoteCode,
        remoteStatus: c.progress.remoteStatus,
        remoteFieldsHash: c.progress.remoteFieldsHash,
        remoteSteps: JSON.stringify(c.progress.remoteSteps),
        uncertain: c.progress.uncertain,
        leaseOwner: null,
        leaseUntil: null,
        updatedAt: now,
      };
      const newer = row.wantVersion > c.version;
      if (!failed) {
        db.update(t.deliveries)
          .set({
            ...progress,
            sentVersion: c.version,
            state: newer ? 'pending' : 'delivered',
            nextAttemptAt: now,
            pendingSince: newer ? row.pendingSince : null,
            attempts: 0,
            firstFailedAt: null,
            lastErrorClass: null,
            lastErrorCode: null,
            lastError: null,
            deliveredAt: newer ? row.deliveredAt : now,
          })
          .where(eq(t.deliveries.id, c.id))
          .run();
        continue;
      }
      const next = c.next ?? { state: 'failed' as const };
      // New content may cure what an operator would otherwise have to look at.
      const state: DeliveryState = next.state === 'failed' && newer ? 'pending' : next.state;
      db.update(t.deliveries)
        .set({
          ...progress,
          state,
          nextAttemptAt: next.state === 'retrying' ? next.at : now,
          attempts: row.attempts + 1,
          firstFailedAt: row.firstFailedAt ?? c.startedAt,
          lastErrorClass: c.error!.errorClass,
          lastErrorCode: c.error!.code,
          lastError: c.error!.message,
        })
        .where(eq(t.deliveries.id, c.id))
        .run();
    }
  });

  const store = {
    dialect: 'sqlite' as const,
    db,
    raw,
    ...sqliteOperations(db, raw, apply),
    ...sqliteAccess(db),

    async acceptSourceRecord(input: AcceptInput, decide: DecideFn, targets: readonly TargetSystem[], options: { deliverAfterMs?: number } = {}) {
      return accept.immediate(input, decide, targets, options.deliverAfterMs ?? 0);
    },

    async rejectRecord(input: RejectInput) {
      db.insert(t.rejectedRecords)
        .values({ ...input, externalId: input.externalId ?? null, kind: input.kind ?? null })
        .onConflictDoNothing()
        .run();
    },

    async lastMarker(source: SourceSystem, externalId: string) {
      const row = db
        .select({ marker: t.sourceRecords.marker })
        .from(t.sourceRecords)
        .where(and(eq(t.sourceRecords.source, source), eq(t.sourceRecords.externalId, externalId)))
        .orderBy(desc(t.sourceRecords.sourceTimeMs), desc(t.sourceRecords.id))
        .limit(1)
        .get();
      return row?.marker ?? undefined;
    },

    async claimDeliveries(input: ClaimInput) {
      return claim.immediate(input);
    },

    async completeDeliveries(completions: readonly DeliveryCompletion[], now: number) {
      if (completions.length) complete.immediate(completions, now);
    },

    async releaseLeases(owner?: string) {
      const where = owner ? sql`lease_owner = ${owner}` : sql`lease_owner IS NOT NULL`;
      return db.run(sql`UPDATE deliveries SET lease_owner = NULL, lease_until = NULL, uncertain = 1 WHERE ${where}`).changes;
    },

    async getCursor(source: SourceSystem) {
      const row = db.select({ cursor: t.pollCursors.cursor }).from(t.pollCursors).where(eq(t.pollCursors.source, source)).get();
      return row ? parseJson<unknown>(row.cursor) : null;
    },

    async saveCursor(source: SourceSystem, cursor: unknown, now: number) {
      const value = JSON.stringify(cursor);
      db.insert(t.pollCursors)
        .values({ source, cursor: value, updatedAt: now })
        .onConflictDoUpdate({ target: t.pollCursors.source, set: { cursor: value, updatedAt: now } })
        .run();
    },

    async notePoll(source: SourceSystem, result: { ok: boolean; error?: string }, now: number) {
      const set = result.ok ? { lastPollAt: now, lastSuccessAt: now, lastError: null } : { lastPollAt: now, lastError: result.error ?? 'failed' };
      db.insert(t.pollCursors)
        .values({ source, cursor: 'null', updatedAt: now, ...set })
        .onConflictDoUpdate({ target: t.pollCursors.source, set })
        .run();
    },

    async getDossierView(source: SourceSystem, externalId: string): Promise<DossierView | null> {
      const d = db
        .select()
        .from(t.dossiers)
        .where(and(eq(t.dossiers.source, source), eq(t.dossiers.externalId, externalId)))
        .get();
      if (!d) return null;
      const versions = db
        .select()
        .from(t.dossierVersions)
        .where(eq(t.dossierVersions.dossierId, d.id))
        .orderBy(asc(t.dossierVersions.version))
        .all();
      const records = db
        .select({
          id: t.sourceRecords.id,
          kind: t.sourceRecords.kind,
          sourceTime: t.sourceRecords.sourceTime,
          receivedAt: t.sourceRecords.receivedAt,
          status: t.sourceRecords.status,
          contentHash: t.sourceRecords.contentHash,
        })
        .from(t.sourceRecords)
        .where(and(eq(t.sourceRecords.source, source), eq(t.sourceRecords.externalId, externalId)))
        .orderBy(asc(t.sourceRecords.sourceTimeMs), asc(t.sourceRecords.id))
        .all();
      const now = Date.now();
      const deliveryRows = db.select().from(t.deliveries).where(eq(t.deliveries.dossierId, d.id)).orderBy(asc(t.deliveries.id)).all();
      const attempts = deliveryRows.length
        ? db
            .select()
            .from(t.deliveryAttempts)
            .where(inArray(t.deliveryAttempts.deliveryId, deliveryRows.map((r) => r.id)))
            .orderBy(asc(t.deliveryAttempts.startedAt), asc(t.deliveryAttempts.id))
            .all()
        : [];
      return {
        id: d.id,
        source: d.source as SourceSystem,
        externalId: d.externalId,
        version: d.version,
        holdReason: d.holdReason as HoldReason | null,
        holdDetail: d.holdDetail,
        dossier: parseJson<DossierDraft>(d.canonical),
        versions: versions.map((v) => ({
          version: v.version,
          createdAt: v.createdAt,
          sourceRecordId: v.sourceRecordId,
          dossier: parseJson<DossierDraft>(v.canonical),
        })),
        records,
        deliveries: deliveryRows.map((r) => ({
          id: r.id,
          target: r.target as TargetSystem,
          state: r.state,
          inFlight: r.leaseUntil !== null && r.leaseUntil > now,
          wantVersion: r.wantVersion,
          sentVersion: r.sentVersion,
          pendingSince: r.pendingSince,
          nextAttemptAt: r.nextAttemptAt,
          attempts: r.attempts,
          lastErrorClass: r.lastErrorClass,
          lastErrorCode: r.lastErrorCode,
          lastError: r.lastError,
          remoteId: r.remoteId,
          remoteCode: r.remoteCode,
          remoteStatus: r.remoteStatus,
          remoteSteps: parseJson<string[]>(r.remoteSteps).length,
          deliveredAt: r.deliveredAt,
          history: attempts
            .filter((a) => a.deliveryId === r.id)
            .map((a) => ({
              version: a.version,
              startedAt: a.startedAt,
              durationMs: a.durationMs,
              outcome: a.outcome,
              errorClass: a.errorClass,
              errorCode: a.errorCode,
              message: a.message,
              httpStatus: a.httpStatus,
              operations: parseJson<string[]>(a.operations),
            })),
        })),
      };
    },

    async syncStatus(now: number): Promise<SyncStatus> {
      const targets: Record<string, TargetStatus> = {};
      const counts = db.all<{ target: string; state: DeliveryState; n: number; in_flight: number; oldest: number | null }>(sql`
        SELECT target, state, COUNT(*) AS n,
               SUM(CASE WHEN lease_until > ${now} THEN 1 ELSE 0 END) AS in_flight,
               MIN(pending_since) AS oldest
          FROM deliveries GROUP BY target, state`);
      for (const row of counts) {
        const entry = (targets[row.target] ??= {
          counts: { pending: 0, retrying: 0, delivered: 0, failed: 0, dead: 0, inFlight: 0 },
          oldestPendingMs: null,
        });
        entry.counts[row.state] = row.n;
        entry.counts.inFlight += row.in_flight ?? 0;
        if (row.oldest !== null) {
          const age = now - row.oldest;
          entry.oldestPendingMs = Math.max(entry.oldestPendingMs ?? 0, age);
        }
      }
      const sources: Record<string, SourceStatus> = {};
      const blank = (): SourceStatus => ({
        dossiers: 0,
        records: 0,
        pendingRecords: 0,
        rejected: 0,
        held: {},
        lastPollAt: null,
        lastSuccessAt: null,
        lastError: null,
        lastReceivedAt: null,
      });
      for (const r of db.all<{ source: string; hold: string | null; n: number }>(
        sql`SELECT source, hold_reason AS hold, COUNT(*) AS n FROM dossiers GROUP BY source, hold_reason`,
      )) {
        const s = (sources[r.source] ??= blank());
        s.dossiers += r.n;
        if (r.hold) s.held[r.hold as HoldReason] = r.n;
      }
      for (const r of db.all<{ source: string; status: string; n: number; latest: number }>(
        sql`SELECT source, status, COUNT(*) AS n, MAX(received_at) AS latest FROM source_records GROUP BY source, status`,
      )) {
        const s = (sources[r.source] ??= blank());
        s.records += r.n;
        if (r.status === 'pending') s.pendingRecords += r.n;
        s.lastReceivedAt = Math.max(s.lastReceivedAt ?? 0, r.latest);
      }
      for (const r of db.all<{ source: string; n: number }>(
        sql`SELECT source, COUNT(*) AS n FROM rejected_records WHERE resolved_at IS NULL GROUP BY source`,
      )) {
        (sources[r.source] ??= blank()).rejected = r.n;
      }
      for (const r of db.select().from(t.pollCursors).all()) {
        const s = (sources[r.source] ??= blank());
        s.lastPollAt = r.lastPollAt;
        s.lastSuccessAt = r.lastSuccessAt;
        s.lastError = r.lastError;
      }
      return { targets, sources };
    },

    async close() {
      raw.close();
    },
  };
  return store;
}

export { DELIVERY_STATES };
