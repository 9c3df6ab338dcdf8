import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { DossierDraft, HoldReason, TargetSystem } from '../../../contracts';
import { completionWrite } from '../completion';
import type { ClaimInput, ClaimedDelivery, DeliveryCompletion, Store } from '../types';
import { all, columns, parseJson, transact, withParams, type Db, type Q } from './db';
import * as t from './schema';

/**
 * The outbox: queueing a dossier's new version for every target, and the leases under which the
 * delivery workers of every instance take, finish or give up deliveries.
 */
type Deliveries = Pick<Store, 'claimDeliveries' | 'completeDeliveries' | 'releaseLeases'>;

/**
 * The outbox upsert, one row per (dossier, target, version, now, due) in the array parameters $1..$5.
 * A delivered, failed or dead delivery starts afresh for the new change; a retrying one keeps its
 * backoff so a struggling target is not hammered (and the change its delay).
 */
export const QUEUE_DELIVERIES = `
  INSERT INTO deliveries (dossier_id, target, state, want_version, pending_since, next_attempt_at, created_at, updated_at)
  SELECT d, t, 'pending', v, n, due, n, n FROM unnest($1::int[], $2::text[], $3::int[], $4::bigint[], $5::bigint[]) AS u(d, t, v, n, due)
  ON CONFLICT (dossier_id, target) DO UPDATE SET
    want_version = EXCLUDED.want_version,
    state = CASE WHEN deliveries.state = 'retrying' THEN 'retrying' ELSE 'pending' END,
    next_attempt_at = CASE WHEN deliveries.state = 'retrying' THEN GREATEST(deliveries.next_attempt_at, EXCLUDED.next_attempt_at) ELSE EXCLUDED.next_attempt_at END,
    pending_since = COALESCE(deliveries.pending_since, EXCLUDED.pending_since),
    attempts = CASE WHEN deliveries.state IN ('failed','dead') THEN 0 ELSE deliveries.attempts END,
    first_failed_at = CASE WHEN deliveries.state IN ('failed','dead') THEN NULL ELSE deliveries.first_failed_at END,
    updated_at = EXCLUDED.updated_at`;

/** Called inside the operation that wrote the dossier's new version, so both commit together. */
export async function queueDeliveries(tx: Q, dossierId: number, version: number, targets: readonly TargetSystem[], now: number, due: number) {
  await tx.execute(withParams(QUEUE_DELIVERIES, columns(targets, (target) => [dossierId, target, version, now, due])));
}

export function pgDeliveries(db: Db): Deliveries {
  const claim = async (tx: Q, input: ClaimInput): Promise<ClaimedDelivery[]> => {
    const gate = input.after
      ? sql`JOIN deliveries p ON p.dossier_id = d.dossier_id AND p.target = ${input.after}
            AND p.sent_version >= d.want_version AND p.remote_code IS NOT NULL`
      : sql``;
    // SKIP LOCKED: rows another instance is claiming right now are left to it, not waited for. A row
    // it claimed and committed meanwhile is re-checked against the lease condition and dropped.
    const leased = await all<{ id: number }>(
      tx,
      sql`
        WITH picked AS (
          SELECT d.id FROM deliveries d ${gate}
           WHERE d.target = ${input.target}
             AND d.state IN ('pending', 'retrying')
             AND d.next_attempt_at <= ${input.now}
             AND (d.lease_until IS NULL OR d.lease_until < ${input.now})
           ORDER BY d.next_attempt_at, d.id
           LIMIT ${input.limit}
           FOR UPDATE OF d SKIP LOCKED)
        UPDATE deliveries x
           SET lease_owner = ${input.owner},
               lease_until = ${input.now + input.leaseMs},
               uncertain = (x.uncertain OR x.lease_owner IS NOT NULL),
               updated_at = ${input.now}
          FROM picked WHERE x.id = picked.id
        RETURNING x.id`,
    );
    if (leased.length === 0) return [];
    const rows = await tx
      .select()
      .from(t.deliveries)
      .where(inArray(t.deliveries.id, leased.map((r) => r.id)))
      .orderBy(asc(t.deliveries.nextAttemptAt), asc(t.deliveries.id));
    const ids = rows.map((r) => r.dossierId);
    const byId = new Map((await tx.select().from(t.dossiers).where(inArray(t.dossiers.id, ids))).map((d) => [d.id, d]));
    const upstream = input.after
      ? new Map(
          (
            await tx
              .select({ dossierId: t.deliveries.dossierId, code: t.deliveries.remoteCode })
              .from(t.deliveries)
              .where(and(eq(t.deliveries.target, input.after), inArray(t.deliveries.dossierId, ids)))
          ).map((r) => [r.dossierId, r.code]),
        )
      : new Map<number, string | null>();
    return rows.map((r) => {
      const d = byId.get(r.dossierId)!;
      return {
        id: r.id,
        dossierId: d.id,
        target: input.target,
        version: d.version,
        dossier: parseJson<DossierDraft>(d.canonical),
        holdReason: d.holdReason as HoldReason | null,
        attempts: r.attempts,
        firstFailedAt: r.firstFailedAt,
        upstreamCode: upstream.get(d.id) ?? null,
        progress: {
          remoteId: r.remoteId,
          remoteCode: r.remoteCode,
          remoteStatus: r.remoteStatus,
          remoteFieldsHash: r.remoteFieldsHash,
          remoteSteps: parseJson<string[]>(r.remoteSteps),
          uncertain: r.uncertain,
        },
      };
    });
  };

  const complete = async (tx: Q, completions: readonly DeliveryCompletion[], now: number) => {
    // Locked and read up front in id order, in one round trip: a new version being queued for one of
    // these rows waits, and two completions that share rows (a late owner and the one that took over)
    // cannot deadlock. What each completion writes is every store's one rule (`completionWrite`).
    const ids = [...new Set(completions.map((c) => c.id))].sort((a, b) => a - b);
    const rows = new Map(
      (await tx.select().from(t.deliveries).where(inArray(t.deliveries.id, ids)).orderBy(asc(t.deliveries.id)).for('update')).map((r) => [r.id, r]),
    );
    const attempts: (typeof t.deliveryAttempts.$inferInsert)[] = [];
    for (const c of completions) {
      const row = rows.get(c.id);
      if (!row) continue;
      const write = completionWrite(row, c, now);
      attempts.push(write.attempt);
      if (!write.update) continue;
      await tx.update(t.deliveries).set(write.update).where(eq(t.deliveries.id, c.id));
      // A later completion of the same row in this batch reads what this one wrote.
      rows.set(c.id, { ...row, ...write.update });
    }
    if (attempts.length) await tx.insert(t.deliveryAttempts).values(attempts);
  };

  return {
    async claimDeliveries(input) {
      return transact(db, (tx) => claim(tx, input));
    },

    async completeDeliveries(completions, now) {
      if (completions.length) await transact(db, (tx) => complete(tx, completions, now));
    },

    async releaseLeases(owner) {
      return transact(db, async (tx) => {
        const where = owner ? sql`lease_owner = ${owner}` : sql`lease_owner IS NOT NULL`;
        await tx.execute(sql`UPDATE poll_cursors SET lease_owner = NULL, lease_until = NULL WHERE ${where}`);
        return (await tx.execute(sql`UPDATE deliveries SET lease_owner = NULL, lease_until = NULL, uncertain = true WHERE ${where}`)).rowCount ?? 0;
      });
    },
  };
}
