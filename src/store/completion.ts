import { revokedLease } from './lease';
import type { DeliveryRow } from './sqlite/rows';
import type * as t from './sqlite/schema';
import type { DeliveryCompletion, DeliveryState } from './types';

/**
 * What a finished attempt writes, the same on every store (SQLite, D1, PostgreSQL: their delivery
 * rows have one shape): the attempt's history row, and what the delivery row becomes.
 */
const parseSteps = (text: string): string[] => JSON.parse(text) as string[];

export interface CompletionWrite {
  attempt: typeof t.deliveryAttempts.$inferInsert;
  /** What the delivery row becomes, or null when the lease was taken over and only the attempt is kept. */
  update: Partial<typeof t.deliveries.$inferInsert> | null;
}

/**
 * One finished attempt against the delivery row as it was read. The columns of `row` it reads are
 * the ones D1's optimistic guard compares (`deliveryRowUnchanged`): keep the two in step.
 */
export function completionWrite(row: DeliveryRow, c: DeliveryCompletion, now: number): CompletionWrite {
  const failed = c.error !== undefined;
  const partial = failed && c.progress.remoteSteps.length > parseSteps(row.remoteSteps).length;
  const attempt = {
    deliveryId: c.id,
    version: c.version,
    startedAt: c.startedAt,
    durationMs: Math.round(c.durationMs),
    outcome: failed ? (partial ? ('partial' as const) : ('failed' as const)) : ('delivered' as const),
    errorClass: c.error?.errorClass ?? null,
    errorCode: c.error?.code ?? null,
    message: c.error?.message ?? null,
    httpStatus: c.error?.httpStatus ?? null,
    latencyMs: failed || row.pendingSince === null ? null : Math.max(0, now - row.pendingSince),
    operations: JSON.stringify(c.operations),
  };
  // A lease taken over by another worker means this one's view is stale: keep only the attempt.
  if (row.leaseOwner !== c.owner) {
    return { attempt, update: row.leaseOwner === revokedLease(c.owner) ? { leaseOwner: null, leaseUntil: null } : null };
  }
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
    return {
      attempt,
      update: {
        ...progress,
        sentVersion: c.version,
        state: newer ? 'pending' : 'delivered',
        // A change accepted during the attempt keeps its delivery delay (the land reorder window),
        // and otherwise the place in the queue the outbox gave it, not the end of the queue.
        nextAttemptAt: newer ? row.nextAttemptAt : now,
        pendingSince: newer ? row.pendingSince : null,
        attempts: 0,
        firstFailedAt: null,
        lastErrorClass: null,
        lastErrorCode: null,
        lastError: null,
        deliveredAt: newer ? row.deliveredAt : now,
      },
    };
  }
  const next = c.next ?? { state: 'failed' as const };
  // New content may cure what an operator would otherwise have to look at.
  const state: DeliveryState = next.state === 'failed' && newer ? 'pending' : next.state;
  return {
    attempt,
    update: {
      ...progress,
      state,
      nextAttemptAt: Math.max(next.state === 'retrying' ? next.at : now, newer ? row.nextAttemptAt : 0),
      attempts: row.attempts + 1,
      firstFailedAt: row.firstFailedAt ?? c.startedAt,
      lastErrorClass: c.error!.errorClass,
      lastErrorCode: c.error!.code,
      lastError: c.error!.message,
    },
  };
}
