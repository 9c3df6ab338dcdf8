import type { D1Database } from '@cloudflare/workers-types/index.ts';
import { and, asc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type { SourceSystem, TargetSystem } from '../../../contracts';
import type { AcceptInput, AcceptResult, ClaimInput, ClaimedDelivery, DecideFn, DeliveryCompletion, ReplayFilter, Store, StoredFragment } from '../types';
import { sqliteAccess } from '../sqlite/access';
import { RESTART, replayConditions, sharedOperations } from '../sqlite/operations';
import { sqliteQueries } from '../sqlite/queries';
import {
  changesOf,
  claimStatement,
  deliveryRowUnchanged,
  inClaimOrder,
  outboxEntry,
  parseJson,
  releaseUpdates,
  toClaimed,
  type DeliveryRow,
  type DossierRow,
} from '../sqlite/rows';
import { completionWrite } from '../completion';
import { currentDossier, planVersion, recordColumns } from '../plan';
import * as t from '../sqlite/schema';
import { guard, optimistic, runBatch, slices, type D1Db, type Statement } from './batch';
import { migrateD1, type BundledMigration } from './migrate';

/**
 * The store on Cloudflare D1: the SQLite schema and migrations, the SQLite driver's pure logic and
 * single-statement operations (src/store/sqlite/rows.ts, queries.ts), and each whole operation as
 * read, decide, then one guarded batch (see batch.ts for why and how that is atomic).
 */
export interface D1StoreOptions {
  /** The SQLite migrations, bundled as text (a worker has no file system). */
  migrations: readonly BundledMigration[];
}

export async function openD1Store(d1: D1Database, options: D1StoreOptions): Promise<Store> {
  const db: D1Db = drizzle(d1, { schema: t });
  await migrateD1(db, options.migrations);
  return createD1Store(db);
}

const byDossier = (source: string, externalId: string) => and(eq(t.sourceRecords.source, source), eq(t.sourceRecords.externalId, externalId));

function createD1Store(db: D1Db): Store {
  /**
   * Accept and redecide. The read is itself a batch, so the records and the dossier come from one
   * snapshot; the write is guarded by what that snapshot held: the number of records (any new one,
   * pending or not, changes the decision) and the dossier's version (every change raises it).
   */
  const apply = (
    source: SourceSystem,
    externalId: string,
    input: AcceptInput | null,
    decide: DecideFn,
    targets: readonly TargetSystem[],
    now: number,
    delayMs: number,
  ): Promise<AcceptResult> =>
    optimistic(input ? 'acceptSourceRecord' : 'redecide', async () => {
      const [duplicates, stored, dossiers] = (await runBatch(db, [
        db
          .select({ id: t.sourceRecords.id })
          .from(t.sourceRecords)
          .where(and(byDossier(source, externalId), eq(t.sourceRecords.contentHash, input?.contentHash ?? '')))
          .limit(1),
        db
          .select({ id: t.sourceRecords.id, kind: t.sourceRecords.kind, sourceTimeMs: t.sourceRecords.sourceTimeMs, fragment: t.sourceRecords.fragment })
          .from(t.sourceRecords)
          .where(byDossier(source, externalId))
          .orderBy(asc(t.sourceRecords.sourceTimeMs), asc(t.sourceRecords.id)),
        db.select().from(t.dossiers).where(and(eq(t.dossiers.source, source), eq(t.dossiers.externalId, externalId))),
      ])) as [{ id: number }[], { id: number; kind: string; sourceTimeMs: number; fragment: string | null }[], DossierRow[]];
      if (input && duplicates.length > 0) return { outcome: 'duplicate' };

      const current = dossiers[0] ? currentDossier(dossiers[0]) : null;
      const fragments: StoredFragment[] = stored.map((r) => ({ ...r, fragment: parseJson<unknown>(r.fragment) }));
      if (input) {
        // Where the record will sort once stored: after every record of the same source time (its id
        // is the newest). Its id is not known before the write; decisions never read ids.
        const at = fragments.findIndex((f) => f.sourceTimeMs > input.sourceTimeMs);
        fragments.splice(at < 0 ? fragments.length : at, 0, { id: 0, kind: input.kind, sourceTimeMs: input.sourceTimeMs, fragment: input.fragment });
      }
      const decision = decide({ fragments, current });

      const writes: Statement[] = [
        guard(
          db,
          sql`(SELECT COUNT(*) FROM source_records WHERE source = ${source} AND external_id = ${externalId}) = ${stored.length}
              AND (SELECT version FROM dossiers WHERE source = ${source} AND external_id = ${externalId}) IS ${current?.version ?? null}`,
        ),
      ];
      const recordAt = input ? writes.length : -1;
      if (input) {
        writes.push(
          db
            .insert(t.sourceRecords)
            .values(recordColumns(input))
            .returning({ id: t.sourceRecords.id }),
        );
      }
      const withRecord = (result: AcceptResult, results: unknown[]): AcceptResult =>
        input ? { ...result, recordId: (results[recordAt] as { id: number }[])[0]!.id } : result;

      if (decision.kind === 'pending') return withRecord({ outcome: 'pending' }, await runBatch(db, writes));

      const plan = planVersion(decision, current, now);
      // A dossier created by this very batch has no id yet: later statements find it by its key.
      const dossierId: number | SQL = current?.id ?? sql`(SELECT id FROM dossiers WHERE source = ${source} AND external_id = ${externalId})`;
      let createdAt = -1;
      if (plan.kind === 'changed') {
        if (current) {
          writes.push(db.update(t.dossiers).set(plan.row).where(eq(t.dossiers.id, current.id)));
        } else {
          createdAt = writes.length;
          writes.push(db.insert(t.dossiers).values({ ...plan.row, source, externalId, createdAt: now }).returning({ id: t.dossiers.id }));
        }
        const recordId = input
          ? sql`(SELECT id FROM source_records WHERE source = ${source} AND external_id = ${externalId} AND content_hash = ${input.contentHash})`
          : null;
        writes.push(db.insert(t.dossierVersions).values({ dossierId, version: plan.version, canonical: plan.canonical, sourceRecordId: recordId, createdAt: now }));
        if (!decision.hold) {
          for (const target of targets) {
            const entry = outboxEntry(dossierId, target, plan.version, now, now + delayMs);
            writes.push(db.insert(t.deliveries).values(entry.values).onConflictDoUpdate(entry.onConflict));
          }
        }
      }
      // Every record of the dossier is now part of it, including the ones that waited for it.
      writes.push(
        db
          .update(t.sourceRecords)
          .set({ status: 'applied', dossierId })
          .where(and(byDossier(source, externalId), eq(t.sourceRecords.status, 'pending'))),
      );
      const results = await runBatch(db, writes);
      return withRecord(
        {
          outcome: plan.kind,
          dossierId: current?.id ?? (results[createdAt] as { id: number }[])[0]!.id,
          version: plan.kind === 'changed' ? plan.version : current!.version,
          hold: decision.hold?.reason ?? null,
        },
        results,
      );
    });

  return {
    dialect: 'd1',
    ...sharedOperations(db),
    ...sqliteAccess(db),
    ...sqliteQueries(db),

    async acceptSourceRecord(input, decide, targets, options = {}) {
      return apply(input.source, input.externalId, input, decide, targets, input.receivedAt, options.deliverAfterMs ?? 0);
    },

    async redecide(source, externalId, decide, targets, now) {
      return apply(source, externalId, null, decide, targets, now, 0);
    },

    // One UPDATE ... RETURNING takes the lease: D1 runs statements one at a time, so two claimers
    // never get the same row. What is read after it (dossiers, upstream codes) only moves forward.
    async claimDeliveries(input: ClaimInput): Promise<ClaimedDelivery[]> {
      const rows = inClaimOrder(await db.all<Record<string, unknown>>(claimStatement(input)));
      if (rows.length === 0) return [];
      const ids = [...new Set(rows.map((r) => r['dossier_id'] as number))];
      const reads: Statement[] = [];
      for (const part of slices(ids)) reads.push(db.select().from(t.dossiers).where(inArray(t.dossiers.id, part)));
      if (input.after) {
        for (const part of slices(ids)) {
          reads.push(
            db
              .select({ dossierId: t.deliveries.dossierId, code: t.deliveries.remoteCode })
              .from(t.deliveries)
              .where(and(eq(t.deliveries.target, input.after), inArray(t.deliveries.dossierId, part))),
          );
        }
      }
      const results = await runBatch(db, reads);
      const parts = slices(ids).length;
      const byId = new Map((results.slice(0, parts) as DossierRow[][]).flat().map((d) => [d.id, d]));
      const upstream = new Map((results.slice(parts) as { dossierId: number; code: string | null }[][]).flat().map((r) => [r.dossierId, r.code]));
      return rows.map((r) => {
        const d = byId.get(r['dossier_id'] as number)!;
        return toClaimed(r, d, input.target, upstream.get(d.id) ?? null);
      });
    },

    // Each completion is computed from its delivery row as read; a guard per row checks, at write
    // time, every column that computation used (a new version queued, a resync, a takeover).
    async completeDeliveries(completions: readonly DeliveryCompletion[], now: number) {
      if (completions.length === 0) return;
      await optimistic('completeDeliveries', async () => {
        const rows = (
          await runBatch(
            db,
            slices(completions.map((c) => c.id)).map((part) => db.select().from(t.deliveries).where(inArray(t.deliveries.id, part))),
          )
        ).flat() as DeliveryRow[];
        const byId = new Map(rows.map((r) => [r.id, r]));
        const writes: Statement[] = [];
        for (const c of completions) {
          const row = byId.get(c.id);
          if (!row) continue;
          const write = completionWrite(row, c, now);
          writes.push(guard(db, deliveryRowUnchanged(row)), db.insert(t.deliveryAttempts).values(write.attempt));
          if (write.update) writes.push(db.update(t.deliveries).set(write.update).where(eq(t.deliveries.id, c.id)));
        }
        await runBatch(db, writes);
      });
    },

    async releaseLeases(owner?: string) {
      const results = await runBatch(db, releaseUpdates(db, owner));
      return changesOf(results[1]);
    },

    // Only failed or dead rows are restarted and nobody leases those, so the UPDATE alone is the
    // operation; the dossiers' keys it then reads never change.
    async replay(filter: ReplayFilter, now: number) {
      const restart = (ids: readonly number[] | undefined) =>
        db
          .update(t.deliveries)
          .set({ ...RESTART, nextAttemptAt: now, updatedAt: now })
          .where(and(...replayConditions(filter, ids)))
          .returning({ dossierId: t.deliveries.dossierId, target: t.deliveries.target });
      const statements = filter.deliveryIds?.length ? slices(filter.deliveryIds).map(restart) : [restart(filter.deliveryIds)];
      const rows = (await runBatch(db, statements)).flat() as { dossierId: number; target: string }[];
      if (rows.length === 0) return [];
      const keys = (
        await runBatch(
          db,
          slices([...new Set(rows.map((r) => r.dossierId))]).map((part) =>
            db.select({ id: t.dossiers.id, source: t.dossiers.source, externalId: t.dossiers.externalId }).from(t.dossiers).where(inArray(t.dossiers.id, part)),
          ),
        )
      ).flat() as { id: number; source: string; externalId: string }[];
      const ids = new Map(keys.map((d) => [d.id, d]));
      return rows.map((r) => ({ source: ids.get(r.dossierId)!.source as SourceSystem, externalId: ids.get(r.dossierId)!.externalId, target: r.target as TargetSystem }));
    },

    async resolveRejected(ids, now) {
      if (ids.length === 0) return 0;
      const results = await runBatch(
        db,
        slices(ids).map((part) =>
          db
            .update(t.rejectedRecords)
            .set({ resolvedAt: now })
            .where(and(inArray(t.rejectedRecords.id, part), isNull(t.rejectedRecords.resolvedAt))),
        ),
      );
      return results.reduce<number>((n, r) => n + changesOf(r), 0);
    },

    async saveDrift({ dossierId, target, findings, now }) {
      await runBatch(db, [
        db
          .update(t.driftFindings)
          .set({ resolvedAt: now })
          .where(and(eq(t.driftFindings.dossierId, dossierId), eq(t.driftFindings.target, target), isNull(t.driftFindings.resolvedAt))),
        ...findings.map((f) => db.insert(t.driftFindings).values({ dossierId, target, kind: f.kind, detail: f.detail, foundAt: now })),
      ]);
    },

    async close() {
      // A D1 binding holds no connection to close.
    },
  };
}
