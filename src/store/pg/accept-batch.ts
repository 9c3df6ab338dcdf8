import type pg from 'pg';
import type { HoldReason, TargetSystem } from '../../../contracts';
import { currentDossier, planVersion, recordColumns, type DossierColumns } from '../plan';
import type { AcceptInput, AcceptResult, CurrentDossier, DecideFn, StoredFragment } from '../types';
import { arrays, columns, isRetryable, parseJson, withLongTexts } from './db';
import { queueDeliveriesFrom } from './deliveries';

/**
 * Group commit on PostgreSQL. Accepting one record took eleven round trips in a transaction of
 * its own (lock, insert, two reads, four writes, commit), so the database's round trips, not its
 * fsync, bounded ingest. The accepts that arrive together now share one transaction of five round
 * trips whatever their number: BEGIN, the dossiers' locks (one sorted statement, so two batches
 * or instances wait for each other instead of deadlocking), one statement that stores the records
 * and reads their dossiers, one that writes every rebuilt dossier, and COMMIT. Columns travel as
 * array parameters (`unnest`), long texts one parameter each (`withLongTexts`), and each dossier
 * is rebuilt once from all its records. If a batch fails (a record that cannot be decided, a
 * database error), each of its records is accepted on its own, so only the bad one is refused.
 * A caller's promise settles after the commit.
 */
export interface BatchJob {
  input: AcceptInput;
  decide: DecideFn;
  targets: readonly TargetSystem[];
  delayMs: number;
}

/** Batches running at once; others queue and go out together when one ends. */
const MAX_IN_FLIGHT = 3;
const MAX_BATCH = 256;

export function pgAcceptBatcher(pool: pg.Pool, schema: string, alone: (job: BatchJob) => Promise<AcceptResult>) {
  type Waiting = BatchJob & { resolve(r: AcceptResult): void; reject(e: unknown): void };
  let queue: Waiting[] = [];
  let inFlight = 0;
  let scheduled = false;

  const run = async (jobs: Waiting[]) => {
    let results: AcceptResult[];
    try {
      results = await inTransaction(pool, (client) => acceptBatch(client, schema, jobs));
    } catch {
      await Promise.all(jobs.map((j) => alone(j).then(j.resolve, j.reject)));
      return;
    }
    jobs.forEach((j, i) => j.resolve(results[i]!));
  };

  const pump = () => {
    scheduled = false;
    while (inFlight < MAX_IN_FLIGHT && queue.length > 0) {
      const jobs = queue.slice(0, MAX_BATCH);
      queue = queue.slice(jobs.length);
      inFlight++;
      void run(jobs).finally(() => {
        inFlight--;
        pump();
      });
    }
  };

  return (job: BatchJob): Promise<AcceptResult> =>
    new Promise((resolve, reject) => {
      queue.push({ ...job, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(pump);
      }
    });
}

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      if (attempt >= 5 || !isRetryable(err)) throw err;
    } finally {
      client.release(broken);
    }
  }
}

const LOCK = `SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY 1) AS keys`;

/**
 * Stores the records and reads what rebuilding their dossiers needs, in one statement: the stored
 * records, the dossiers' other records and the dossiers themselves, one result row each. The
 * statement's snapshot is taken after the locks, so it holds everything committed before them;
 * the records it stores itself come from RETURNING, which the rest of a statement cannot see.
 */
const STORE_AND_READ = `
  WITH stored AS (
    INSERT INTO source_records (source, external_id, kind, source_time, source_time_ms, content_hash, marker, body, fragment, status, received_at)
    SELECT s, e, k, st, stm, h, m, b, f, 'pending', r
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::bigint[], :long1, :long2)
        AS u(s, e, k, st, stm, h, m, r, b, f)
     WHERE s IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING id, source, external_id, content_hash, kind, source_time_ms, fragment),
  touched AS (SELECT DISTINCT source, external_id FROM stored)
  SELECT 'stored' AS row, id, source, external_id, content_hash, kind, source_time_ms, fragment AS text,
         NULL::int AS version, NULL::text AS status, NULL::text AS hold_reason
    FROM stored
  UNION ALL
  SELECT 'earlier', r.id, r.source, r.external_id, NULL, r.kind, r.source_time_ms, r.fragment, NULL, NULL, NULL
    FROM source_records r JOIN touched k ON r.source = k.source AND r.external_id = k.external_id
  UNION ALL
  SELECT 'dossier', d.id, d.source, d.external_id, NULL, NULL, NULL, d.canonical, d.version, d.status, d.hold_reason
    FROM dossiers d JOIN touched k ON d.source = k.source AND d.external_id = k.external_id`;

/**
 * Every write of a batch's rebuilt dossiers, in one statement: the new and changed dossier rows,
 * their versions, the outbox and the records now applied. A dossier created here has no id before
 * the statement: the rows that need it find it by its key in what the INSERT returns. Each
 * canonical text is sent once, for both the dossier row and its version.
 */
const WRITE = `
  WITH c AS MATERIALIZED (
    SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                         $11::bigint[], $12::int[], $13::bigint[], :long1)
      AS c(source, external_id, id, source_code, version, status, hold_reason, hold_detail, national_code, local_code,
           received_at_ms, record_id, now, canonical)
     WHERE source IS NOT NULL),
  created AS (
    INSERT INTO dossiers (source, external_id, source_code, version, status, hold_reason, hold_detail, national_code, local_code, received_at_ms, canonical, created_at, updated_at)
    SELECT source, external_id, source_code, version, status, hold_reason, hold_detail, national_code, local_code, received_at_ms, canonical, now, now
      FROM c WHERE id IS NULL
    RETURNING id, source, external_id),
  updated AS (
    UPDATE dossiers AS d
       SET source_code = c.source_code, version = c.version, status = c.status, hold_reason = c.hold_reason, hold_detail = c.hold_detail,
           national_code = c.national_code, local_code = c.local_code, received_at_ms = c.received_at_ms, canonical = c.canonical, updated_at = c.now
      FROM c WHERE d.id = c.id),
  versions AS (
    INSERT INTO dossier_versions (dossier_id, version, canonical, source_record_id, created_at)
    SELECT COALESCE(c.id, n.id), c.version, c.canonical, c.record_id, c.now
      FROM c LEFT JOIN created n ON n.source = c.source AND n.external_id = c.external_id),
  outbox AS (${queueDeliveriesFrom(`(
    SELECT COALESCE(o.id, n.id) AS d, o.t, o.v, o.n, o.due
      FROM unnest($14::text[], $15::text[], $16::int[], $17::text[], $18::int[], $19::bigint[], $20::bigint[]) AS o(source, external_id, id, t, v, n, due)
      LEFT JOIN created n ON n.source = o.source AND n.external_id = o.external_id) AS o`)}),
  applied AS (
    UPDATE source_records AS r SET status = 'applied', dossier_id = COALESCE(a.id, n.id)
      FROM unnest($21::text[], $22::text[], $23::int[]) AS a(source, external_id, id)
      LEFT JOIN created n ON n.source = a.source AND n.external_id = a.external_id
     WHERE r.source = a.source AND r.external_id = a.external_id AND r.status = 'pending')
  SELECT id, source, external_id FROM created`;

const keyOf = (source: string, externalId: string) => `${source}\u0000${externalId}`;

interface Dossier {
  source: string;
  externalId: string;
  /** Indexes of the batch's jobs for this dossier whose record was stored. */
  stored: number[];
  fragments: StoredFragment[];
  current: CurrentDossier | null;
}

/** A row of STORE_AND_READ: a record stored now, an earlier record of its dossier, or the dossier. */
type ReadRow = {
  row: 'stored' | 'earlier' | 'dossier';
  id: number;
  source: string;
  external_id: string;
  content_hash: string | null;
  kind: string | null;
  source_time_ms: string | null;
  text: string;
  version: number | null;
  status: string | null;
  hold_reason: string | null;
};

/** A dossier row's columns but its identity and canonical text, in WRITE's order. */
const dossierColumns = (r: DossierColumns) => [r.sourceCode, r.version, r.status, r.holdReason, r.holdDetail, r.nationalCode, r.localCode, r.receivedAtMs];

async function acceptBatch(client: pg.PoolClient, schema: string, jobs: readonly BatchJob[]): Promise<AcceptResult[]> {
  const dossiers = new Map<string, Dossier>();
  for (const { input } of jobs) {
    const key = keyOf(input.source, input.externalId);
    if (!dossiers.has(key)) dossiers.set(key, { source: input.source, externalId: input.externalId, stored: [], fragments: [], current: null });
  }
  await client.query({ name: 'lt_batch_lock', text: LOCK, values: [[...dossiers.values()].map((d) => [schema, 'dossier', d.source, d.externalId].join('\u001f'))] });

  const records = jobs.map(({ input }) => recordColumns(input));
  const read = await client.query<ReadRow>(
    withLongTexts(
      'lt_batch_store_and_read',
      STORE_AND_READ,
      columns(records, (r) => [r.source, r.externalId, r.kind, r.sourceTime, r.sourceTimeMs, r.contentHash, r.marker, r.receivedAt]),
      [records.map((r) => r.body), records.map((r) => r.fragment)],
    ),
  );
  const idByContent = new Map<string, number>();
  for (const r of read.rows) {
    const dossier = dossiers.get(keyOf(r.source, r.external_id))!;
    if (r.row === 'dossier') {
      dossier.current = currentDossier({ id: r.id, version: r.version!, status: r.status!, holdReason: r.hold_reason, canonical: r.text });
      continue;
    }
    if (r.row === 'stored') idByContent.set(`${keyOf(r.source, r.external_id)}\u0000${r.content_hash}`, r.id);
    dossier.fragments.push({ id: r.id, kind: r.kind!, sourceTimeMs: Number(r.source_time_ms), fragment: parseJson<unknown>(r.text) });
  }
  // The same content twice in one batch is stored once: the first job gets it, the others are duplicates.
  const recordIds = jobs.map(({ input }, i) => {
    const content = `${keyOf(input.source, input.externalId)}\u0000${input.contentHash}`;
    const id = idByContent.get(content);
    idByContent.delete(content);
    if (id !== undefined) dossiers.get(keyOf(input.source, input.externalId))!.stored.push(i);
    return id;
  });
  const results: AcceptResult[] = recordIds.map(() => ({ outcome: 'duplicate' }));
  const touched = [...dossiers.values()].filter((d) => d.stored.length > 0);
  if (touched.length === 0) return results;
  // Records stored now have the newest ids; every store folds in source time order, ties by id.
  for (const d of touched) d.fragments.sort((a, b) => a.sourceTimeMs - b.sourceTimeMs || a.id - b.id);

  type Change = { dossier: Dossier; version: number; canonical: string; row: DossierColumns; recordId: number; now: number; due: number; targets: readonly TargetSystem[] };
  const changes: Change[] = [];
  const queued: Change[] = [];
  const applied: { dossier: Dossier; outcome: 'changed' | 'unchanged'; version: number; hold: HoldReason | null }[] = [];
  for (const dossier of touched) {
    // The dossier's records share one source, so the same decide, targets and delay: the last job's.
    const last = dossier.stored.at(-1)!;
    const { input, decide, targets, delayMs } = jobs[last]!;
    const decision = decide({ fragments: dossier.fragments, current: dossier.current });
    if (decision.kind === 'pending') {
      for (const i of dossier.stored) results[i] = { outcome: 'pending', recordId: recordIds[i] };
      continue;
    }
    const now = input.receivedAt;
    const plan = planVersion(decision, dossier.current, now);
    const hold = decision.hold?.reason ?? null;
    if (plan.kind === 'unchanged') {
      applied.push({ dossier, outcome: 'unchanged', version: dossier.current!.version, hold });
      continue;
    }
    const change: Change = { dossier, version: plan.version, canonical: plan.canonical, row: plan.row, recordId: recordIds[last]!, now, due: now + delayMs, targets };
    changes.push(change);
    if (!decision.hold) queued.push(change);
    applied.push({ dossier, outcome: 'changed', version: plan.version, hold });
  }
  if (applied.length === 0) return results;

  const idOf = new Map<Dossier, number>();
  for (const d of touched) if (d.current) idOf.set(d, d.current.id);
  const key = (d: Dossier) => [d.source, d.externalId, d.current?.id ?? null];
  const created = await client.query<{ id: number; source: string; external_id: string }>(
    withLongTexts(
      'lt_batch_write',
      WRITE,
      [
        ...arrays(
          columns(changes, (c) => [...key(c.dossier), ...dossierColumns(c.row), c.recordId, c.now]),
          13,
        ),
        ...arrays(
          columns(
            queued.flatMap((c) => c.targets.map((target) => ({ c, target }))),
            ({ c, target }) => [...key(c.dossier), target, c.version, c.now, c.due],
          ),
          7,
        ),
        ...arrays(
          columns(applied, (a) => key(a.dossier)),
          3,
        ),
      ],
      [changes.map((c) => c.canonical)],
    ),
  );
  for (const r of created.rows) idOf.set(dossiers.get(keyOf(r.source, r.external_id))!, r.id);
  for (const a of applied) {
    const dossierId = idOf.get(a.dossier)!;
    for (const i of a.dossier.stored) results[i] = { outcome: a.outcome, dossierId, version: a.version, hold: a.hold, recordId: recordIds[i] };
  }
  return results;
}
