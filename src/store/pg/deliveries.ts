import { asc, inArray, sql } from 'drizzle-orm';
import type { HoldReason, TargetSystem } from '../../../contracts';
import { completionWrite } from '../completion';
import { claimedOver } from '../plan';
import type { ClaimInput, ClaimedDelivery, DeliveryCompletion, Store } from '../types';
import { all, arrays, columns, numOrNull, parseJson, transact, withParams, type Db, type Q } from './db';
import * as t from './schema';

/**
 * The outbox: queueing a dossier's new version for every target, and the leases under which the
 * delivery workers of every instance take, finish or give up deliveries.
 */
type Deliveries = Pick<Store, 'claimDeliveries' | 'completeDeliveries' | 'releaseLeases'>;

/**
 * The outbox upsert, one row per (d, t, v, n, due) of `rows`: dossier, target, version, now, due.
 * A delivered, failed or dead delivery starts afresh for the new change; a retrying one keeps its
 * backoff so a struggling target is not hammered (and the change its delay). A pending one keeps
 * its place in the queue, unless the change is held back (the land reorder window): the end of
 * that hold is its place then (`outboxEntry` says why).
 */
export const queueDeliveriesFrom = (rows: string) => `
  INSERT INTO deliveries (dossier_id, target, state, want_version, pending_since, next_attempt_at, created_at, updated_at)
  SELECT d, t, 'pending', v, n, due, n, n FROM ${rows}
  ON CONFLICT (dossier_id, target) DO UPDATE SET
    want_version = EXCLUDED.want_version,
    state = CASE WHEN deliveries.state = 'retrying' THEN 'retrying' ELSE 'pending' END,
    next_attempt_at = CASE WHEN deliveries.state = 'retrying' THEN GREATEST(deliveries.next_attempt_at, EXCLUDED.next_attempt_at)
                           WHEN deliveries.state = 'pending' AND EXCLUDED.next_attempt_at <= EXCLUDED.updated_at THEN LEAST(deliveries.next_attempt_at, EXCLUDED.next_attempt_at)
                           ELSE EXCLUDED.next_attempt_at END,
    pending_since = COALESCE(deliveries.pending_since, EXCLUDED.pending_since),
    attempts = CASE WHEN deliveries.state IN ('failed','dead') THEN 0 ELSE deliveries.attempts END,
    first_failed_at = CASE WHEN deliveries.state IN ('failed','dead') THEN NULL ELSE deliveries.first_failed_at END,
    updated_at = EXCLUDED.updated_at`;

const QUEUE_DELIVERIES = queueDeliveriesFrom('unnest($1::int[], $2::text[], $3::int[], $4::bigint[], $5::bigint[]) AS u(d, t, v, n, due)');

/** Called inside the operation that wrote the dossier's new version, so both commit together. */
export async function queueDeliveries(tx: Q, dossierId: number, version: number, targets: readonly TargetSystem[], now: number, due: number) {
  await tx.execute(withParams(QUEUE_DELIVERIES, columns(targets, (target) => [dossierId, target, version, now, due])));
}

/** What one claim statement returns per delivery: the leased row, its dossier and the upstream code. */
interface ClaimRow extends Record<string, unknown> {
  id: number;
  dossier_id: number;
  want_version: number;
  attempts: number;
  first_failed_at: string | null;
  remote_id: string | null;
  remote_code: string | null;
  remote_status: number | null;
  remote_fields_hash: string | null;
  remote_steps: string;
  uncertain: boolean;
  version: number;
  canonical: string;
  hold_reason: string | null;
  upstream_code: string | null;
}

/**
 * A completion batch's rows as they end up, written by one statement from column arrays, with the
 * attempts' history rows inserted by the same statement. The rows are locked, so writing every
 * column a completion may change, from the row as read and merged, changes nothing else.
 */
const WRITE_COMPLETIONS = `
  WITH written AS (
    UPDATE deliveries x SET
      state = v.state, sent_version = v.sent_version, pending_since = v.pending_since, next_attempt_at = v.next_attempt_at,
      attempts = v.attempts, first_failed_at = v.first_failed_at, last_error_class = v.last_error_class,
      last_error_code = v.last_error_code, last_error = v.last_error, lease_owner = v.lease_owner, lease_until = v.lease_until,
      uncertain = v.uncertain, remote_id = v.remote_id, remote_code = v.remote_code, remote_status = v.remote_status,
      remote_fields_hash = v.remote_fields_hash, remote_steps = v.remote_steps, delivered_at = v.delivered_at, updated_at = v.updated_at
    FROM unnest($1::int[], $2::text[], $3::int[], $4::bigint[], $5::bigint[], $6::int[], $7::bigint[], $8::text[], $9::text[],
                $10::text[], $11::text[], $12::bigint[], $13::bool[], $14::text[], $15::text[], $16::int[], $17::text[], $18::text[],
                $19::bigint[], $20::bigint[])
      AS v(id, state, sent_version, pending_since, next_attempt_at, attempts, first_failed_at, last_error_class, last_error_code,
           last_error, lease_owner, lease_until, uncertain, remote_id, remote_code, remote_status, remote_fields_hash, remote_steps,
           delivered_at, updated_at)
    WHERE x.id = v.id
    RETURNING x.id)
  INSERT INTO delivery_attempts (delivery_id, version, started_at, duration_ms, outcome, error_class, error_code, message, http_status, latency_ms, operations)
  SELECT * FROM unnest($21::int[], $22::int[], $23::bigint[], $24::int[], $25::text[], $26::text[], $27::text[], $28::text[], $29::int[], $30::bigint[], $31::text[])`;

type DeliveryRow = typeof t.deliveries.$inferSelect;
type AttemptRow = typeof t.deliveryAttempts.$inferInsert;

const rowColumns = (r: DeliveryRow) => [
  r.id, r.state, r.sentVersion, r.pendingSince, r.nextAttemptAt, r.attempts, r.firstFailedAt, r.lastErrorClass, r.lastErrorCode,
  r.lastError, r.leaseOwner, r.leaseUntil, r.uncertain, r.remoteId, r.remoteCode, r.remoteStatus, r.remoteFieldsHash, r.remoteSteps,
  r.deliveredAt, r.updatedAt,
];
const attemptColumns = (a: AttemptRow) => [
  a.deliveryId, a.version, a.startedAt, a.durationMs, a.outcome, a.errorClass ?? null, a.errorCode ?? null, a.message ?? null,
  a.httpStatus ?? null, a.latencyMs ?? null, a.operations ?? '[]',
];

export function pgDeliveries(db: Db): Deliveries {
  // One statement, so one round trip and no transaction around it (READ COMMITTED, the store's
  // isolation throughout). SKIP LOCKED: rows another instance is claiming right now are left to it,
  // not waited for. A row it claimed and committed meanwhile is re-checked against the lease
  // condition and dropped.
  const claim = async (input: ClaimInput): Promise<ClaimedDelivery[]> => {
    const gate = input.after
      ? sql`JOIN deliveries p ON p.dossier_id = d.dossier_id AND p.target = ${input.after}
            AND p.sent_version >= d.want_version AND p.remote_code IS NOT NULL`
      : sql``;
    const upstream = input.after
      ? sql`(SELECT u.remote_code FROM deliveries u WHERE u.dossier_id = l.dossier_id AND u.target = ${input.after})`
      : sql`NULL`;
    const rows = await all<ClaimRow>(
      db,
      sql`
        WITH picked AS (
          SELECT d.id FROM deliveries d ${gate}
           WHERE d.target = ${input.target}
             AND d.state IN ('pending', 'retrying')
             AND d.next_attempt_at <= ${input.now}
             AND (d.lease_until IS NULL OR d.lease_until < ${input.now})
           ORDER BY d.next_attempt_at, d.id
           LIMIT ${input.limit}
           FOR UPDATE OF d SKIP LOCKED),
        leased AS (
          UPDATE deliveries x
             SET lease_owner = ${input.owner},
                 lease_until = ${input.now + input.leaseMs},
                 uncertain = (x.uncertain OR x.lease_owner IS NOT NULL),
                 updated_at = ${input.now}
            FROM picked WHERE x.id = picked.id
          RETURNING x.*)
        SELECT l.id, l.dossier_id, l.want_version, l.attempts, l.first_failed_at, l.remote_id, l.remote_code, l.remote_status,
               l.remote_fields_hash, l.remote_steps, l.uncertain, o.version, o.canonical, o.hold_reason,
               ${upstream} AS upstream_code
          FROM leased l JOIN dossiers o ON o.id = l.dossier_id
         ORDER BY l.next_attempt_at, l.id`,
    );
    // The dossiers were read as the statement began, the rows as they were locked: a change accepted
    // in between has queued a version the dossier read does not have yet. Read those again (rare).
    const stale = rows.filter((r) => r.version < r.want_version).map((r) => r.dossier_id);
    if (stale.length) {
      const fresh = new Map(
        (await db.select({ id: t.dossiers.id, version: t.dossiers.version, canonical: t.dossiers.canonical, holdReason: t.dossiers.holdReason }).from(t.dossiers).where(inArray(t.dossiers.id, stale))).map((d) => [d.id, d]),
      );
      for (const r of rows) {
        const d = fresh.get(r.dossier_id);
        if (d) Object.assign(r, { version: d.version, canonical: d.canonical, hold_reason: d.holdReason });
      }
    }
    return rows.map((r) => claimedOver({
      id: r.id,
      dossierId: r.dossier_id,
      target: input.target,
      version: r.version,
      holdReason: r.hold_reason as HoldReason | null,
      attempts: r.attempts,
      firstFailedAt: numOrNull(r.first_failed_at),
      upstreamCode: r.upstream_code,
      progress: {
        remoteId: r.remote_id,
        remoteCode: r.remote_code,
        remoteStatus: r.remote_status,
        remoteFieldsHash: r.remote_fields_hash,
        remoteSteps: parseJson<string[]>(r.remote_steps),
        uncertain: r.uncertain,
      },
    }, r.canonical));
  };

  const complete = async (tx: Q, completions: readonly DeliveryCompletion[], now: number) => {
    // Locked and read up front in id order, in one round trip: a new version being queued for one of
    // these rows waits, and two completions that share rows (a late owner and the one that took over)
    // cannot deadlock. What each completion writes is every store's one rule (`completionWrite`);
    // the rows as they end up and the attempts go back in one more round trip.
    const ids = [...new Set(completions.map((c) => c.id))].sort((a, b) => a - b);
    const rows = new Map(
      (await tx.select().from(t.deliveries).where(inArray(t.deliveries.id, ids)).orderBy(asc(t.deliveries.id)).for('update')).map((r) => [r.id, r]),
    );
    const attempts: AttemptRow[] = [];
    const changed = new Set<number>();
    for (const c of completions) {
      const row = rows.get(c.id);
      if (!row) continue;
      const write = completionWrite(row, c, now);
      attempts.push(write.attempt);
      if (!write.update) continue;
      // A later completion of the same row in this batch reads what this one wrote.
      rows.set(c.id, { ...row, ...write.update });
      changed.add(c.id);
    }
    if (!attempts.length) return;
    const written = [...changed].map((id) => rows.get(id)!);
    await tx.execute(withParams(WRITE_COMPLETIONS, [...arrays(columns(written, rowColumns), 20), ...arrays(columns(attempts, attemptColumns), 11)]));
  };

  return {
    async claimDeliveries(input) {
      return claim(input);
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
