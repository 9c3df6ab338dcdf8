import { eq, isNotNull, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import type { HoldReason, TargetSystem } from '../../../contracts';
import { claimedOver } from '../plan';
import type { ClaimInput, ClaimedDelivery, DeliveryState } from '../types';
import * as t from './schema';

/**
 * What the two SQLite drivers (better-sqlite3 and D1) compute alike, without touching a database:
 * rows to domain values, a decision to the dossier's next version, a completion to its writes, and
 * the single statements both run. Each driver wraps these in its own kind of atomic operation.
 */

/** Either driver's database. Code that `await`s every result runs on both: on better-sqlite3 the result is already there. */
export type AnySqliteDb = BaseSQLiteDatabase<'sync' | 'async', unknown, typeof t>;
export type DossierRow = typeof t.dossiers.$inferSelect;
export type DeliveryRow = typeof t.deliveries.$inferSelect;

export const DELIVERY_STATES: readonly DeliveryState[] = ['pending', 'retrying', 'delivered', 'failed', 'dead'];

export function parseJson<T>(text: string | null): T {
  return (text === null ? null : JSON.parse(text)) as T;
}

/** Rows a write changed: better-sqlite3 says `changes`, D1 `meta.changes`. */
export function changesOf(result: unknown): number {
  const r = result as { changes?: number; meta?: { changes?: number } } | undefined;
  return r?.changes ?? r?.meta?.changes ?? 0;
}


/**
 * The transactional outbox: a new version queued for one target, as an upsert. `dossierId` may be
 * a subquery, for a dossier created by the same atomic write; any value may be a placeholder, for
 * a statement prepared once.
 */
type Bound<T> = T | Placeholder;
export function outboxEntry(dossierId: Bound<number> | SQL, target: Bound<TargetSystem>, version: Bound<number>, now: Bound<number>, due: Bound<number>) {
  return {
    values: { dossierId, target, state: 'pending' as const, wantVersion: version, pendingSince: now, nextAttemptAt: due, createdAt: now, updatedAt: now },
    onConflict: {
      target: [t.deliveries.dossierId, t.deliveries.target],
      set: {
        wantVersion: sql`${version}`,
        // A delivered, failed or dead delivery starts afresh for the new change; a retrying one
        // keeps its backoff so a struggling target is not hammered (and the change its delay).
        // A pending one keeps its place in the queue (claims take the oldest first): moved to the
        // end by every change, a dossier whose source keeps changing it would wait behind the
        // whole backlog again and again. A change held back (the land reorder window) still
        // moves it to the end of that hold.
        state: sql`CASE WHEN ${t.deliveries.state} = 'retrying' THEN 'retrying' ELSE 'pending' END`,
        nextAttemptAt: sql`CASE WHEN ${t.deliveries.state} = 'retrying' THEN max(${t.deliveries.nextAttemptAt}, ${due})
                                WHEN ${t.deliveries.state} = 'pending' AND ${due} <= ${now} THEN min(${t.deliveries.nextAttemptAt}, ${due})
                                ELSE ${due} END`,
        pendingSince: sql`COALESCE(${t.deliveries.pendingSince}, ${now})`,
        attempts: sql`CASE WHEN ${t.deliveries.state} IN ('failed','dead') THEN 0 ELSE ${t.deliveries.attempts} END`,
        firstFailedAt: sql`CASE WHEN ${t.deliveries.state} IN ('failed','dead') THEN NULL ELSE ${t.deliveries.firstFailedAt} END`,
        updatedAt: sql`${now}`,
      },
    },
  };
}

/** One statement leases the due rows, so two claimers never get the same row; it returns them (`RETURNING *`). */
export function claimStatement(input: ClaimInput): SQL {
  const gate = input.after
    ? sql`JOIN deliveries p ON p.dossier_id = d.dossier_id AND p.target = ${input.after}
          AND p.sent_version >= d.want_version AND p.remote_code IS NOT NULL`
    : sql``;
  return sql`
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
    RETURNING *`;
}

/** RETURNING gives rows in no particular order: hand them out oldest due first, as claimed. */
export function inClaimOrder<R extends Record<string, unknown>>(rows: R[]): R[] {
  return rows.sort((x, y) => (x['next_attempt_at'] as number) - (y['next_attempt_at'] as number) || (x['id'] as number) - (y['id'] as number));
}

/** A claimed row (raw column names, from `RETURNING *`) with its dossier, as the delivery worker sees it. */
export function toClaimed(r: Record<string, unknown>, d: DossierRow, target: TargetSystem, upstreamCode: string | null): ClaimedDelivery {
  return claimedOver({
    id: r['id'] as number,
    dossierId: d.id,
    target,
    version: d.version,
    holdReason: d.holdReason as HoldReason | null,
    attempts: r['attempts'] as number,
    firstFailedAt: (r['first_failed_at'] as number | null) ?? null,
    upstreamCode,
    progress: {
      remoteId: (r['remote_id'] as string | null) ?? null,
      remoteCode: (r['remote_code'] as string | null) ?? null,
      remoteStatus: (r['remote_status'] as number | null) ?? null,
      remoteFieldsHash: (r['remote_fields_hash'] as string | null) ?? null,
      remoteSteps: parseJson<string[]>(r['remote_steps'] as string),
      uncertain: Boolean(r['uncertain']),
    },
  }, d.canonical);
}

/** True while the delivery row still holds what `completionWrite` read from it. */
export const deliveryRowUnchanged = (row: DeliveryRow): SQL => sql`EXISTS (
  SELECT 1 FROM deliveries
   WHERE id = ${row.id} AND lease_owner IS ${row.leaseOwner} AND want_version = ${row.wantVersion} AND next_attempt_at = ${row.nextAttemptAt}
     AND pending_since IS ${row.pendingSince} AND attempts = ${row.attempts} AND first_failed_at IS ${row.firstFailedAt}
     AND remote_steps = ${row.remoteSteps} AND delivered_at IS ${row.deliveredAt})`;

/** Frees poll leases, then delivery leases (whose effect is now unknown): all, or one owner's. */
export function releaseUpdates(db: AnySqliteDb, owner?: string) {
  const held = (column: typeof t.pollCursors.leaseOwner | typeof t.deliveries.leaseOwner) => (owner ? eq(column, owner) : isNotNull(column));
  return [
    db.update(t.pollCursors).set({ leaseOwner: null, leaseUntil: null }).where(held(t.pollCursors.leaseOwner)),
    db.update(t.deliveries).set({ leaseOwner: null, leaseUntil: null, uncertain: true }).where(held(t.deliveries.leaseOwner)),
  ] as const;
}
