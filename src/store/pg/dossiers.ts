import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { DossierDraft, HoldReason, SourceSystem, TargetSystem } from '../../../contracts';
import { currentDossier, planVersion, recordColumns } from '../plan';
import type { AcceptInput, AcceptResult, CurrentDossier, DecideFn, DossierView, Store } from '../types';
import { SNAPSHOT, parseJson, transact, type Db, type Lock, type Q } from './db';
import { queueDeliveries } from './deliveries';
import * as t from './schema';

/** Records in, dossiers and their versions out: accepting, rebuilding and showing one dossier. */
export type Apply = (
  tx: Q,
  source: string,
  externalId: string,
  recordId: number | null,
  decide: DecideFn,
  targets: readonly TargetSystem[],
  now: number,
  delayMs: number,
) => Promise<AcceptResult>;

type Dossiers = Pick<Store, 'acceptSourceRecord' | 'rejectRecord' | 'lastMarker' | 'getDossierView'> & {
  /** Takes the dossier's lock: whoever rebuilds a dossier must hold it, so no two rebuilds interleave. */
  lockDossier(tx: Q, source: string, externalId: string): Promise<void>;
  apply: Apply;
};

async function readCurrent(tx: Q, source: string, externalId: string): Promise<CurrentDossier | null> {
  const [row] = await tx
    .select()
    .from(t.dossiers)
    .where(and(eq(t.dossiers.source, source), eq(t.dossiers.externalId, externalId)));
  return row ? currentDossier(row) : null;
}

export function pgDossiers(db: Db, lock: Lock): Dossiers {
  const lockDossier = (tx: Q, source: string, externalId: string) => lock(tx, 'dossier', source, externalId);

  /** Rebuilds a dossier from all its records and writes what changed; the caller holds the dossier's lock. */
  const apply: Apply = async (tx, source, externalId, recordId, decide, targets, now, delayMs) => {
    const fragments = (
      await tx
        .select({ id: t.sourceRecords.id, kind: t.sourceRecords.kind, sourceTimeMs: t.sourceRecords.sourceTimeMs, fragment: t.sourceRecords.fragment })
        .from(t.sourceRecords)
        .where(and(eq(t.sourceRecords.source, source), eq(t.sourceRecords.externalId, externalId)))
        .orderBy(asc(t.sourceRecords.sourceTimeMs), asc(t.sourceRecords.id))
    ).map((r) => ({ ...r, fragment: parseJson<unknown>(r.fragment) }));
    const current = await readCurrent(tx, source, externalId);
    const decision = decide({ fragments, current });
    if (decision.kind === 'pending') return { outcome: 'pending' };

    const plan = planVersion(decision, current, now);
    let dossierId = current?.id;
    let version = current?.version ?? 0;
    if (plan.kind === 'changed') {
      version = plan.version;
      if (current) {
        await tx.update(t.dossiers).set(plan.row).where(eq(t.dossiers.id, current.id));
      } else {
        const [created] = await tx
          .insert(t.dossiers)
          .values({ ...plan.row, source, externalId, createdAt: now })
          .returning({ id: t.dossiers.id });
        dossierId = created!.id;
      }
      await tx.insert(t.dossierVersions).values({ dossierId: dossierId!, version, canonical: plan.canonical, sourceRecordId: recordId, createdAt: now });
      if (!decision.hold) await queueDeliveries(tx, dossierId!, version, targets, now, now + delayMs);
    }
    // Every record of the dossier is now part of it, including the ones that waited for it.
    await tx
      .update(t.sourceRecords)
      .set({ status: 'applied', dossierId: dossierId! })
      .where(and(eq(t.sourceRecords.source, source), eq(t.sourceRecords.externalId, externalId), eq(t.sourceRecords.status, 'pending')));
    return { outcome: plan.kind, dossierId, version, hold: decision.hold?.reason ?? null };
  };

  return {
    lockDossier,
    apply,

    async acceptSourceRecord(input: AcceptInput, decide: DecideFn, targets: readonly TargetSystem[], options: { deliverAfterMs?: number } = {}) {
      return transact(db, async (tx) => {
        // Before the insert: a second instance accepting a record of the same dossier waits here
        // and then sees this record among the dossier's fragments.
        await lockDossier(tx, input.source, input.externalId);
        const [inserted] = await tx
          .insert(t.sourceRecords)
          .values(recordColumns(input))
          .onConflictDoNothing()
          .returning({ id: t.sourceRecords.id });
        if (!inserted) return { outcome: 'duplicate' as const };
        const result = await apply(tx, input.source, input.externalId, inserted.id, decide, targets, input.receivedAt, options.deliverAfterMs ?? 0);
        return { ...result, recordId: inserted.id };
      });
    },

    async rejectRecord(input) {
      await db
        .insert(t.rejectedRecords)
        .values({ ...input, externalId: input.externalId ?? null, kind: input.kind ?? null })
        .onConflictDoNothing();
    },

    async lastMarker(source, externalId) {
      const [row] = await db
        .select({ marker: t.sourceRecords.marker })
        .from(t.sourceRecords)
        .where(and(eq(t.sourceRecords.source, source), eq(t.sourceRecords.externalId, externalId)))
        .orderBy(desc(t.sourceRecords.sourceTimeMs), desc(t.sourceRecords.id))
        .limit(1);
      return row?.marker ?? undefined;
    },

    async getDossierView(source, externalId) {
      return transact(db, (tx) => dossierView(tx, source, externalId), SNAPSHOT);
    },
  };
}

async function dossierView(tx: Q, source: SourceSystem, externalId: string): Promise<DossierView | null> {
  const [d] = await tx
    .select()
    .from(t.dossiers)
    .where(and(eq(t.dossiers.source, source), eq(t.dossiers.externalId, externalId)));
  if (!d) return null;
  const versions = await tx.select().from(t.dossierVersions).where(eq(t.dossierVersions.dossierId, d.id)).orderBy(asc(t.dossierVersions.version));
  const records = await tx
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
    .orderBy(asc(t.sourceRecords.sourceTimeMs), asc(t.sourceRecords.id));
  const now = Date.now();
  const deliveryRows = await tx.select().from(t.deliveries).where(eq(t.deliveries.dossierId, d.id)).orderBy(asc(t.deliveries.id));
  const attempts = deliveryRows.length
    ? await tx
        .select()
        .from(t.deliveryAttempts)
        .where(inArray(t.deliveryAttempts.deliveryId, deliveryRows.map((r) => r.id)))
        .orderBy(asc(t.deliveryAttempts.startedAt), asc(t.deliveryAttempts.id))
    : [];
  return {
    id: d.id,
    source: d.source as SourceSystem,
    externalId: d.externalId,
    version: d.version,
    holdReason: d.holdReason as HoldReason | null,
    holdDetail: d.holdDetail,
    dossier: parseJson<DossierDraft>(d.canonical),
    versions: versions.map((v) => ({ version: v.version, createdAt: v.createdAt, sourceRecordId: v.sourceRecordId, dossier: parseJson<DossierDraft>(v.canonical) })),
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
}
