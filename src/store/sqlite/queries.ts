import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { DossierDraft, HoldReason, SourceSystem, TargetSystem } from '../../../contracts';
import type { DeliveryState, DossierView, RejectInput, SourceStatus, Store, SyncStatus, TargetStatus } from '../types';
import { changesOf, parseJson, type AnySqliteDb } from './rows';
import * as t from './schema';

/**
 * The store operations that are one statement or only read: written once for both SQLite drivers
 * (better-sqlite3 and D1), since a single statement is atomic on either.
 */
type Queries = Pick<
  Store,
  'rejectRecord' | 'lastMarker' | 'claimPollLease' | 'releasePollLease' | 'getCursor' | 'saveCursor' | 'notePoll' | 'getDossierView' | 'syncStatus'
>;

export function sqliteQueries(db: AnySqliteDb): Queries {
  return {
    async rejectRecord(input: RejectInput) {
      await db
        .insert(t.rejectedRecords)
        .values({ ...input, externalId: input.externalId ?? null, kind: input.kind ?? null })
        .onConflictDoNothing()
        .run();
    },

    async lastMarker(source, externalId) {
      const row = await db
        .select({ marker: t.sourceRecords.marker })
        .from(t.sourceRecords)
        .where(and(eq(t.sourceRecords.source, source), eq(t.sourceRecords.externalId, externalId)))
        .orderBy(desc(t.sourceRecords.sourceTimeMs), desc(t.sourceRecords.id))
        .limit(1)
        .get();
      return row?.marker ?? undefined;
    },

    async claimPollLease(source, owner, leaseMs, now) {
      const lease = { leaseOwner: owner, leaseUntil: now + leaseMs };
      const result = await db
        .insert(t.pollCursors)
        .values({ source, cursor: 'null', updatedAt: now, ...lease })
        .onConflictDoUpdate({
          target: t.pollCursors.source,
          set: lease,
          // Free, expired (as a delivery lease: `lease_until < now`), or already this owner's.
          setWhere: sql`${t.pollCursors.leaseOwner} IS NULL OR ${t.pollCursors.leaseUntil} < ${now} OR ${t.pollCursors.leaseOwner} = ${owner}`,
        })
        .run();
      return changesOf(result) > 0;
    },

    async releasePollLease(source, owner) {
      await db
        .update(t.pollCursors)
        .set({ leaseOwner: null, leaseUntil: null })
        .where(and(eq(t.pollCursors.source, source), eq(t.pollCursors.leaseOwner, owner)))
        .run();
    },

    async getCursor(source) {
      const row = await db.select({ cursor: t.pollCursors.cursor }).from(t.pollCursors).where(eq(t.pollCursors.source, source)).get();
      return row ? parseJson<unknown>(row.cursor) : null;
    },

    async saveCursor(source, cursor, now) {
      const value = JSON.stringify(cursor);
      await db
        .insert(t.pollCursors)
        .values({ source, cursor: value, updatedAt: now })
        .onConflictDoUpdate({ target: t.pollCursors.source, set: { cursor: value, updatedAt: now } })
        .run();
    },

    async notePoll(source, result, now) {
      const set = result.ok ? { lastPollAt: now, lastSuccessAt: now, lastError: null } : { lastPollAt: now, lastError: result.error ?? 'failed' };
      await db
        .insert(t.pollCursors)
        .values({ source, cursor: 'null', updatedAt: now, ...set })
        .onConflictDoUpdate({ target: t.pollCursors.source, set })
        .run();
    },

    async getDossierView(source, externalId): Promise<DossierView | null> {
      const d = await db
        .select()
        .from(t.dossiers)
        .where(and(eq(t.dossiers.source, source), eq(t.dossiers.externalId, externalId)))
        .get();
      if (!d) return null;
      const versions = await db.select().from(t.dossierVersions).where(eq(t.dossierVersions.dossierId, d.id)).orderBy(asc(t.dossierVersions.version)).all();
      const records = await db
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
      const deliveryRows = await db.select().from(t.deliveries).where(eq(t.deliveries.dossierId, d.id)).orderBy(asc(t.deliveries.id)).all();
      const attempts = deliveryRows.length
        ? await db
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

    async syncStatus(now): Promise<SyncStatus> {
      const targets: Record<string, TargetStatus> = {};
      const counts = await db.all<{ target: string; state: DeliveryState; n: number; in_flight: number; oldest: number | null }>(sql`
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
      for (const r of await db.all<{ source: string; hold: string | null; n: number }>(
        sql`SELECT source, hold_reason AS hold, COUNT(*) AS n FROM dossiers GROUP BY source, hold_reason`,
      )) {
        const s = (sources[r.source] ??= blank());
        s.dossiers += r.n;
        if (r.hold) s.held[r.hold as HoldReason] = r.n;
      }
      for (const r of await db.all<{ source: string; status: string; n: number; latest: number }>(
        sql`SELECT source, status, COUNT(*) AS n, MAX(received_at) AS latest FROM source_records GROUP BY source, status`,
      )) {
        const s = (sources[r.source] ??= blank());
        s.records += r.n;
        if (r.status === 'pending') s.pendingRecords += r.n;
        s.lastReceivedAt = Math.max(s.lastReceivedAt ?? 0, r.latest);
      }
      for (const r of await db.all<{ source: string; n: number }>(
        sql`SELECT source, COUNT(*) AS n FROM rejected_records WHERE resolved_at IS NULL GROUP BY source`,
      )) {
        (sources[r.source] ??= blank()).rejected = r.n;
      }
      for (const r of await db.select().from(t.pollCursors).all()) {
        const s = (sources[r.source] ??= blank());
        s.lastPollAt = r.lastPollAt;
        s.lastSuccessAt = r.lastSuccessAt;
        s.lastError = r.lastError;
      }
      return { targets, sources };
    },
  };
}
