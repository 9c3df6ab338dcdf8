import type Database from 'better-sqlite3';
import { and, asc, eq, gt, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { CanonicalStatus, DossierDraft, HoldReason, SourceSystem, TargetSystem } from '../../../contracts';
import { REVOKED } from '../lease';
import type {
  AcceptResult,
  DecideFn,
  DeliveryProblemGroup,
  DeliveryStats,
  DossierSummary,
  DriftFinding,
  DriftKind,
  HeldGroup,
  RejectedGroup,
  ReplayFilter,
  Store,
} from '../types';
import { changesOf, type AnySqliteDb } from './rows';
import * as t from './schema';

/**
 * What operators do and see: problems grouped by reason, replay, search, reprocessing held
 * dossiers, reconciliation findings, and the figures behind metrics and the overview.
 */
type Db = BetterSQLite3Database<typeof t>;
type Apply = (source: string, externalId: string, recordId: number | null, decide: DecideFn, targets: readonly TargetSystem[], now: number, delayMs: number) => AcceptResult;

type Operations = Pick<
  Store,
  | 'ping'
  | 'deliveryStats'
  | 'searchDossiers'
  | 'problemGroups'
  | 'replay'
  | 'getRejected'
  | 'resolveRejected'
  | 'heldDossiers'
  | 'redecide'
  | 'reconcileBatch'
  | 'saveDrift'
  | 'openDrift'
  | 'resync'
>;
/** Those that write several rows together: each SQLite driver makes them atomic its own way. */
type Transactional = 'redecide' | 'replay' | 'saveDrift';

/** The delivery starts afresh and, because its last effect is unknown to us, reads the target first. */
export const RESTART = { state: 'pending' as const, attempts: 0, firstFailedAt: null, uncertain: true, leaseOwner: null, leaseUntil: null };
/** A resync may hit a delivery in flight: see `revokedLease`. */
export const keepLiveLease = (now: number) => ({
  leaseOwner: sql<string | null>`CASE WHEN ${t.deliveries.leaseUntil} >= ${now} THEN ${REVOKED} || ${t.deliveries.leaseOwner} END`,
  leaseUntil: sql<number | null>`CASE WHEN ${t.deliveries.leaseUntil} >= ${now} THEN ${t.deliveries.leaseUntil} END`,
});

/** The replay filter as conditions on `deliveries`: failed or dead rows only, whatever else it names. */
export function replayConditions(filter: ReplayFilter, ids: readonly number[] | undefined = filter.deliveryIds): SQL[] {
  const conditions = [inArray(t.deliveries.state, filter.state ? [filter.state] : ['failed', 'dead'])];
  if (ids) conditions.push(inArray(t.deliveries.id, ids.length ? [...ids] : [-1]));
  if (filter.target) conditions.push(eq(t.deliveries.target, filter.target));
  if (filter.errorCode) conditions.push(eq(t.deliveries.lastErrorCode, filter.errorCode));
  return conditions;
}

/**
 * The operations that are one statement or only read, written once for both SQLite drivers: every
 * result is awaited, which on better-sqlite3 is the value itself.
 */
export function sharedOperations(db: AnySqliteDb): Omit<Operations, Transactional> {
  const summaries = async (where: SQL, limit: number): Promise<DossierSummary[]> =>
    (
      await db.all<{ id: number; source: SourceSystem; external_id: string; source_code: string; status: CanonicalStatus; hold_reason: HoldReason | null; version: number; code: string | null; updated_at: number }>(sql`
        SELECT d.id, d.source, d.external_id, d.source_code, d.status, d.hold_reason, d.version, p.remote_code AS code, d.updated_at
          FROM dossiers d LEFT JOIN deliveries p ON p.dossier_id = d.id AND p.target = 'province'
         WHERE ${where} ORDER BY d.updated_at DESC LIMIT ${limit}`)
    ).map((r) => ({
      id: r.id,
      source: r.source,
      externalId: r.external_id,
      sourceCode: r.source_code,
      status: r.status,
      holdReason: r.hold_reason,
      version: r.version,
      oneStopCode: r.code,
      updatedAt: r.updated_at,
    }));

  return {
    async ping() {
      const row = await db.get<{ n: number } | undefined>(sql`SELECT COUNT(*) AS n FROM __drizzle_migrations`);
      return { migrations: row?.n ?? 0 };
    },

    async deliveryStats({ now, since, bucketMs, latencyBucketsMs }) {
      const attempts = await db.all<{ target: string; outcome: string; error_class: string | null; n: number }>(sql`
        SELECT d.target, a.outcome, a.error_class, COUNT(*) AS n
          FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
         GROUP BY d.target, a.outcome, a.error_class`);
      const latency: DeliveryStats['latency'] = {};
      const cases = latencyBucketsMs.map((b, i) => sql`SUM(CASE WHEN a.latency_ms <= ${b} THEN 1 ELSE 0 END) AS ${sql.raw(`b${i}`)}`);
      for (const row of await db.all<Record<string, number | string | null>>(sql`
        SELECT d.target AS target, COUNT(*) AS n, COALESCE(SUM(a.latency_ms), 0) AS total, ${sql.join(cases, sql`, `)}
          FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
         WHERE a.latency_ms IS NOT NULL GROUP BY d.target`)) {
        latency[String(row['target'])] = {
          buckets: [...latencyBucketsMs],
          counts: latencyBucketsMs.map((_, i) => Number(row[`b${i}`] ?? 0)),
          sumMs: Number(row['total']),
          count: Number(row['n']),
        };
      }
      const throughput = (
        await db.all<{ target: string; bucket: number; delivered: number; failed: number }>(sql`
          SELECT d.target, CAST(a.started_at / ${bucketMs} AS INTEGER) * ${bucketMs} AS bucket,
                 SUM(CASE WHEN a.outcome = 'delivered' THEN 1 ELSE 0 END) AS delivered,
                 SUM(CASE WHEN a.outcome = 'delivered' THEN 0 ELSE 1 END) AS failed
            FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
           WHERE a.started_at >= ${since} AND a.started_at <= ${now}
           GROUP BY d.target, bucket ORDER BY bucket`)
      ).map((r) => ({ target: r.target, bucketStart: r.bucket, delivered: r.delivered, failed: r.failed }));
      const received = (
        await db.all<{ source: string; bucket: number; n: number }>(sql`
          SELECT source, CAST(received_at / ${bucketMs} AS INTEGER) * ${bucketMs} AS bucket, COUNT(*) AS n
            FROM source_records WHERE received_at >= ${since} AND received_at <= ${now}
           GROUP BY source, bucket ORDER BY bucket`)
      ).map((r) => ({ source: r.source, bucketStart: r.bucket, records: r.n }));
      return {
        attempts: attempts.map((a) => ({ target: a.target, outcome: a.outcome, errorClass: a.error_class, count: a.n })),
        latency,
        throughput,
        received,
      };
    },

    async searchDossiers(query, limit) {
      const q = query.trim();
      if (!q) return summaries(sql`1 = 1`, limit);
      const like = `%${q.replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
      // Any code: the source's own, the one-stop code, or an identifier inside the dossier (a personal ID).
      return summaries(
        sql`(d.external_id = ${q} OR d.source_code = ${q} OR p.remote_code = ${q} OR d.source_code LIKE ${like} ESCAPE '\\'
             OR p.remote_code LIKE ${like} ESCAPE '\\' OR (length(${q}) >= 9 AND d.canonical LIKE ${like} ESCAPE '\\'))`,
        limit,
      );
    },

    async problemGroups(samples) {
      const deliveries: DeliveryProblemGroup[] = [];
      for (const g of await db.all<{ target: TargetSystem; state: 'failed' | 'dead'; cls: string | null; code: string | null; n: number; oldest: number }>(sql`
          SELECT target, state, last_error_class AS cls, last_error_code AS code, COUNT(*) AS n, MIN(updated_at) AS oldest
            FROM deliveries WHERE state IN ('failed', 'dead')
           GROUP BY target, state, last_error_class, last_error_code ORDER BY n DESC`)) {
        const rows = await db.all<{ id: number; dossier_id: number; source: SourceSystem; external_id: string; message: string | null }>(sql`
              SELECT x.id, x.dossier_id, d.source, d.external_id, x.last_error AS message
                FROM deliveries x JOIN dossiers d ON d.id = x.dossier_id
               WHERE x.target = ${g.target} AND x.state = ${g.state}
                 AND x.last_error_code IS ${g.code} AND x.last_error_class IS ${g.cls}
               ORDER BY x.updated_at LIMIT ${samples}`);
        deliveries.push({
          target: g.target,
          state: g.state,
          errorClass: g.cls ?? 'unknown',
          errorCode: g.code ?? 'UNKNOWN',
          count: g.n,
          oldestAt: g.oldest,
          samples: rows.map((r) => ({ deliveryId: r.id, dossierId: r.dossier_id, source: r.source, externalId: r.external_id, message: r.message ?? '' })),
        });
      }
      const rejected: RejectedGroup[] = [];
      for (const g of await db.all<{ source: string; code: string; n: number; latest: number }>(sql`
          SELECT source, reason_code AS code, COUNT(*) AS n, MAX(received_at) AS latest
            FROM rejected_records WHERE resolved_at IS NULL GROUP BY source, reason_code ORDER BY n DESC`)) {
        rejected.push({
          source: g.source,
          reasonCode: g.code,
          count: g.n,
          latestAt: g.latest,
          samples: await db
            .select({ id: t.rejectedRecords.id, kind: t.rejectedRecords.kind, externalId: t.rejectedRecords.externalId, reason: t.rejectedRecords.reason, receivedAt: t.rejectedRecords.receivedAt })
            .from(t.rejectedRecords)
            .where(and(eq(t.rejectedRecords.source, g.source), eq(t.rejectedRecords.reasonCode, g.code), isNull(t.rejectedRecords.resolvedAt)))
            .orderBy(sql`${t.rejectedRecords.receivedAt} DESC`)
            .limit(samples)
            .all(),
        });
      }
      const held: HeldGroup[] = (
        await db.all<{ source: SourceSystem; reason: HoldReason; local: string | null; n: number; ids: string }>(sql`
          SELECT source, hold_reason AS reason, local_code AS local, COUNT(*) AS n, GROUP_CONCAT(external_id, char(31)) AS ids
            FROM dossiers WHERE hold_reason IS NOT NULL GROUP BY source, hold_reason, local_code ORDER BY n DESC`)
      ).map((g) => ({ source: g.source, reason: g.reason, localCode: g.local, count: g.n, samples: g.ids.split('\u001f').slice(0, samples) }));
      return { deliveries, rejected, held };
    },

    async getRejected(id) {
      return (await db.select().from(t.rejectedRecords).where(eq(t.rejectedRecords.id, id)).get()) ?? null;
    },

    async resolveRejected(ids, now) {
      if (ids.length === 0) return 0;
      return changesOf(
        await db.update(t.rejectedRecords).set({ resolvedAt: now }).where(and(inArray(t.rejectedRecords.id, [...ids]), isNull(t.rejectedRecords.resolvedAt))).run(),
      );
    },

    async heldDossiers(filter) {
      const conditions = [sql`hold_reason IS NOT NULL`];
      if (filter.source) conditions.push(sql`source = ${filter.source}`);
      if (filter.reason) conditions.push(sql`hold_reason = ${filter.reason}`);
      if (filter.localCode) conditions.push(sql`local_code = ${filter.localCode}`);
      return (
        await db.all<{ source: SourceSystem; external_id: string }>(sql`SELECT source, external_id FROM dossiers WHERE ${sql.join(conditions, sql` AND `)} ORDER BY id`)
      ).map((r) => ({ source: r.source, externalId: r.external_id }));
    },

    async reconcileBatch({ target, afterDossierId, limit }) {
      return (
        await db
          .select({
            dossierId: t.dossiers.id,
            source: t.dossiers.source,
            externalId: t.dossiers.externalId,
            version: t.dossiers.version,
            canonical: t.dossiers.canonical,
            remoteId: t.deliveries.remoteId,
            remoteCode: t.deliveries.remoteCode,
          })
          .from(t.deliveries)
          .innerJoin(t.dossiers, eq(t.dossiers.id, t.deliveries.dossierId))
          .where(and(eq(t.deliveries.target, target), eq(t.deliveries.state, 'delivered'), gt(t.dossiers.id, afterDossierId), isNull(t.dossiers.holdReason)))
          .orderBy(asc(t.dossiers.id))
          .limit(limit)
          .all()
      ).map((r) => ({ ...r, source: r.source as SourceSystem, dossier: JSON.parse(r.canonical) as DossierDraft }));
    },

    async openDrift() {
      return (
        await db.all<{ id: number; dossier_id: number; source: SourceSystem; external_id: string; target: TargetSystem; kind: DriftKind; detail: string; found_at: number }>(sql`
          SELECT f.id, f.dossier_id, d.source, d.external_id, f.target, f.kind, f.detail, f.found_at
            FROM drift_findings f JOIN dossiers d ON d.id = f.dossier_id
           WHERE f.resolved_at IS NULL ORDER BY f.found_at DESC, f.id`)
      ).map(
        (r): DriftFinding => ({
          id: r.id,
          dossierId: r.dossier_id,
          source: r.source,
          externalId: r.external_id,
          target: r.target,
          kind: r.kind,
          detail: r.detail,
          foundAt: r.found_at,
        }),
      );
    },

    async resync(dossierId, target, now) {
      const result = await db
        .update(t.deliveries)
        // Forget what we believed the target holds: it is read again (province) or sent again in full (DVCQG).
        .set({ ...RESTART, ...keepLiveLease(now), remoteFieldsHash: null, remoteSteps: '[]', nextAttemptAt: now, updatedAt: now, pendingSince: now })
        .where(and(eq(t.deliveries.dossierId, dossierId), eq(t.deliveries.target, target)))
        .run();
      return changesOf(result) > 0;
    },
  };
}

/** On better-sqlite3: the shared operations, and the transactional ones as synchronous transactions. */
export function sqliteOperations(db: Db, raw: Database.Database, apply: Apply): Operations {
  const redecide = raw.transaction((source: SourceSystem, externalId: string, decide: DecideFn, targets: readonly TargetSystem[], now: number) =>
    apply(source, externalId, null, decide, targets, now, 0),
  );

  const replay = raw.transaction((filter: ReplayFilter, now: number) => {
    const rows = db
      .update(t.deliveries)
      .set({ ...RESTART, nextAttemptAt: now, updatedAt: now })
      .where(and(...replayConditions(filter)))
      .returning({ dossierId: t.deliveries.dossierId, target: t.deliveries.target })
      .all();
    if (rows.length === 0) return [];
    const ids = new Map(
      db
        .select({ id: t.dossiers.id, source: t.dossiers.source, externalId: t.dossiers.externalId })
        .from(t.dossiers)
        .where(inArray(t.dossiers.id, [...new Set(rows.map((r) => r.dossierId))]))
        .all()
        .map((d) => [d.id, d]),
    );
    return rows.map((r) => ({ source: ids.get(r.dossierId)!.source as SourceSystem, externalId: ids.get(r.dossierId)!.externalId, target: r.target as TargetSystem }));
  });

  const saveDrift = raw.transaction((dossierId: number, target: TargetSystem, findings: { kind: DriftKind; detail: string }[], now: number) => {
    db.update(t.driftFindings)
      .set({ resolvedAt: now })
      .where(and(eq(t.driftFindings.dossierId, dossierId), eq(t.driftFindings.target, target), isNull(t.driftFindings.resolvedAt)))
      .run();
    for (const f of findings) db.insert(t.driftFindings).values({ dossierId, target, kind: f.kind, detail: f.detail, foundAt: now }).run();
  });

  return {
    ...sharedOperations(db),
    async redecide(source, externalId, decide, targets, now) {
      return redecide.immediate(source, externalId, decide, targets, now);
    },
    async replay(filter, now) {
      return replay.immediate(filter, now);
    },
    async saveDrift({ dossierId, target, findings, now }) {
      saveDrift.immediate(dossierId, target, findings, now);
    },
  };
}
