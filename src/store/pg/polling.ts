import { and, eq, sql } from 'drizzle-orm';
import type { Store } from '../types';
import { parseJson, type Db } from './db';
import * as t from './schema';

/** Polled sources: each one's cursor and health, and the lease that lets one instance poll it at a time. */
type Polling = Pick<Store, 'claimPollLease' | 'releasePollLease' | 'getCursor' | 'saveCursor' | 'notePoll'>;

export function pgPolling(db: Db): Polling {
  return {
    async claimPollLease(source, owner, leaseMs, now) {
      const lease = { leaseOwner: owner, leaseUntil: now + leaseMs };
      // One statement: a concurrent claim waits for this row and re-checks the condition against
      // what this one wrote, so only one of them gets the lease.
      const won = await db
        .insert(t.pollCursors)
        .values({ source, cursor: 'null', updatedAt: now, ...lease })
        .onConflictDoUpdate({
          target: t.pollCursors.source,
          set: lease,
          // Free, expired (as a delivery lease: `lease_until < now`), or already this owner's.
          setWhere: sql`${t.pollCursors.leaseOwner} IS NULL OR ${t.pollCursors.leaseUntil} < ${now} OR ${t.pollCursors.leaseOwner} = ${owner}`,
        })
        .returning({ source: t.pollCursors.source });
      return won.length > 0;
    },

    async releasePollLease(source, owner) {
      await db
        .update(t.pollCursors)
        .set({ leaseOwner: null, leaseUntil: null })
        .where(and(eq(t.pollCursors.source, source), eq(t.pollCursors.leaseOwner, owner)));
    },

    async getCursor(source) {
      const [row] = await db.select({ cursor: t.pollCursors.cursor }).from(t.pollCursors).where(eq(t.pollCursors.source, source));
      return row ? parseJson<unknown>(row.cursor) : null;
    },

    async saveCursor(source, cursor, now) {
      const value = JSON.stringify(cursor);
      await db
        .insert(t.pollCursors)
        .values({ source, cursor: value, updatedAt: now })
        .onConflictDoUpdate({ target: t.pollCursors.source, set: { cursor: value, updatedAt: now } });
    },

    async notePoll(source, result, now) {
      const set = result.ok ? { lastPollAt: now, lastSuccessAt: now, lastError: null } : { lastPollAt: now, lastError: result.error ?? 'failed' };
      await db
        .insert(t.pollCursors)
        .values({ source, cursor: 'null', updatedAt: now, ...set })
        .onConflictDoUpdate({ target: t.pollCursors.source, set });
    },
  };
}
