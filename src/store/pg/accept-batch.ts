import type pg from 'pg';
import type { HoldReason, TargetSystem } from '../../../contracts';
import { currentDossier, planVersion, recordColumns, type DossierColumns } from '../plan';
import type { AcceptInput, AcceptResult, CurrentDossier, DecideFn, StoredFragment } from '../types';
import { columns, isRetryable, parseJson, withLongTexts } from './db';
import { QUEUE_DELIVERIES } from './deliveries';

/**
 * Group commit on PostgreSQL. Accepting one record took eleven round trips in a transaction of
 * its own (lock, insert, two reads, four writes, commit), so the database's round trips, not its
 * fsync, bounded ingest. The accepts that arrive together now share one transaction of about ten
 * statements whatever their number: every column travels as one array parameter (`unnest`), each
 * dossier is rebuilt once from all its records, and the dossiers' locks are taken in one sorted
 * statement, so two batches (or instances) wait for each other instead of deadlocking. If a batch
 * fails (a record that cannot be decided, a database error), each of its records is accepted on
 * its own, so only the bad one is refused. A caller's promise settles after the commit.
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
const INSERT_RECORDS = `
  INSERT INTO source_records (source, external_id, kind, source_time, source_time_ms, content_hash, marker, body, fragment, status, received_at)
  SELECT s, e, k, st, stm, h, m, b, f, 'pending', r
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::bigint[], :long1, :long2)
      AS u(s, e, k, st, stm, h, m, r, b, f)
   WHERE s IS NOT NULL
  ON CONFLICT DO NOTHING
  RETURNING id, source, external_id, content_hash`;
const KEYS = `unnest($1::text[], $2::text[]) AS k(source, external_id)`;
const FRAGMENTS = `
  SELECT r.id, r.source, r.external_id, r.kind, r.source_time_ms, r.fragment
    FROM source_records r JOIN ${KEYS} ON r.source = k.source AND r.external_id = k.external_id
   ORDER BY r.source_time_ms, r.id`;
const CURRENT = `
  SELECT d.id, d.source, d.external_id, d.version, d.status, d.hold_reason, d.canonical
    FROM dossiers d JOIN ${KEYS} ON d.source = k.source AND d.external_id = k.external_id`;
const INSERT_DOSSIERS = `
  INSERT INTO dossiers (source, external_id, source_code, version, status, hold_reason, hold_detail, national_code, local_code, received_at_ms, canonical, created_at, updated_at)
  SELECT s, e, sc, v, st, hr, hd, nc, lc, ra, c, ca, ua
    FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], :long1, $11::bigint[], $12::bigint[])
      AS u(s, e, sc, v, st, hr, hd, nc, lc, ra, c, ca, ua)
   WHERE s IS NOT NULL
  RETURNING id, source, external_id`;
const UPDATE_DOSSIERS = `
  UPDATE dossiers AS d
     SET source_code = u.source_code, version = u.version, status = u.status, hold_reason = u.hold_reason, hold_detail = u.hold_detail,
         national_code = u.national_code, local_code = u.local_code, received_at_ms = u.received_at_ms, canonical = u.canonical, updated_at = u.updated_at
    FROM unnest($1::int[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], :long1, $10::bigint[])
      AS u(id, source_code, version, status, hold_reason, hold_detail, national_code, local_code, received_at_ms, canonical, updated_at)
   WHERE d.id = u.id`;
const INSERT_VERSIONS = `
  INSERT INTO dossier_versions (dossier_id, version, canonical, source_record_id, created_at)
  SELECT d, v, c, r, t FROM unnest($1::int[], $2::int[], :long1, $3::int[], $4::bigint[]) AS u(d, v, c, r, t)
   WHERE d IS NOT NULL`;
const MARK_APPLIED = `
  UPDATE source_records AS r SET status = 'applied', dossier_id = u.dossier_id
    FROM unnest($1::text[], $2::text[], $3::int[]) AS u(source, external_id, dossier_id)
   WHERE r.source = u.source AND r.external_id = u.external_id AND r.status = 'pending'`;

const keyOf = (source: string, externalId: string) => `${source}\u0000${externalId}`;

interface Dossier {
  source: string;
  externalId: string;
  /** Indexes of the batch's jobs for this dossier whose record was stored. */
  stored: number[];
  fragments: StoredFragment[];
  current: CurrentDossier | null;
}

type CurrentRow = { id: number; source: string; external_id: string; version: number; status: string; hold_reason: string | null; canonical: string };

/** A dossier row's columns but its canonical text, which goes as a long text (`withLongTexts`). */
const dossierColumns = (r: DossierColumns) => [r.sourceCode, r.version, r.status, r.holdReason, r.holdDetail, r.nationalCode, r.localCode, r.receivedAtMs];

async function acceptBatch(client: pg.PoolClient, schema: string, jobs: readonly BatchJob[]): Promise<AcceptResult[]> {
  const dossiers = new Map<string, Dossier>();
  for (const { input } of jobs) {
    const key = keyOf(input.source, input.externalId);
    if (!dossiers.has(key)) dossiers.set(key, { source: input.source, externalId: input.externalId, stored: [], fragments: [], current: null });
  }
  await client.query({ name: 'lt_batch_lock', text: LOCK, values: [[...dossiers.values()].map((d) => [schema, 'dossier', d.source, d.externalId].join('\u001f'))] });

  const records = jobs.map(({ input }) => recordColumns(input));
  const inserted = await client.query<{ id: number; source: string; external_id: string; content_hash: string }>(
    withLongTexts(
      'lt_batch_insert_records',
      INSERT_RECORDS,
      columns(records, (r) => [r.source, r.externalId, r.kind, r.sourceTime, r.sourceTimeMs, r.contentHash, r.marker, r.receivedAt]),
      [records.map((r) => r.body), records.map((r) => r.fragment)],
    ),
  );
  const idByContent = new Map(inserted.rows.map((r) => [`${keyOf(r.source, r.external_id)}\u0000${r.content_hash}`, r.id]));
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

  const keys = [touched.map((d) => d.source), touched.map((d) => d.externalId)];
  const fragments = await client.query<{ id: number; source: string; external_id: string; kind: string; source_time_ms: string; fragment: string }>({
    name: 'lt_batch_fragments',
    text: FRAGMENTS,
    values: keys,
  });
  for (const r of fragments.rows) {
    dossiers.get(keyOf(r.source, r.external_id))!.fragments.push({ id: r.id, kind: r.kind, sourceTimeMs: Number(r.source_time_ms), fragment: parseJson<unknown>(r.fragment) });
  }
  const current = await client.query<CurrentRow>({ name: 'lt_batch_current', text: CURRENT, values: keys });
  for (const r of current.rows) dossiers.get(keyOf(r.source, r.external_id))!.current = currentDossier({ ...r, holdReason: r.hold_reason });

  type Change = { dossier: Dossier; version: number; canonical: string; row: DossierColumns; recordId: number; now: number; due: number; targets: readonly TargetSystem[] };
  const created: Change[] = [];
  const updated: Change[] = [];
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
    (dossier.current ? updated : created).push(change);
    if (!decision.hold) queued.push(change);
    applied.push({ dossier, outcome: 'changed', version: plan.version, hold });
  }

  const idOf = new Map<Dossier, number>();
  for (const d of touched) if (d.current) idOf.set(d, d.current.id);
  if (created.length > 0) {
    const rows = await client.query<{ id: number; source: string; external_id: string }>(
      withLongTexts(
        'lt_batch_insert_dossiers',
        INSERT_DOSSIERS,
        columns(created, (c) => [c.dossier.source, c.dossier.externalId, ...dossierColumns(c.row), c.now, c.row.updatedAt]),
        [created.map((c) => c.canonical)],
      ),
    );
    for (const r of rows.rows) idOf.set(dossiers.get(keyOf(r.source, r.external_id))!, r.id);
  }
  if (updated.length > 0) {
    await client.query(
      withLongTexts('lt_batch_update_dossiers', UPDATE_DOSSIERS, columns(updated, (c) => [idOf.get(c.dossier), ...dossierColumns(c.row), c.row.updatedAt]), [
        updated.map((c) => c.canonical),
      ]),
    );
  }
  const changes = [...created, ...updated];
  if (changes.length > 0) {
    await client.query(
      withLongTexts('lt_batch_insert_versions', INSERT_VERSIONS, columns(changes, (c) => [idOf.get(c.dossier), c.version, c.recordId, c.now]), [changes.map((c) => c.canonical)]),
    );
  }
  const outbox = queued.flatMap((c) => c.targets.map((target) => [idOf.get(c.dossier), target, c.version, c.now, c.due]));
  if (outbox.length > 0) await client.query({ name: 'lt_batch_queue_deliveries', text: QUEUE_DELIVERIES, values: columns(outbox, (row) => row) });
  if (applied.length > 0) {
    // Every record of these dossiers is now part of them, including the ones that waited.
    await client.query({ name: 'lt_batch_mark_applied', text: MARK_APPLIED, values: columns(applied, (a) => [a.dossier.source, a.dossier.externalId, idOf.get(a.dossier)]) });
  }
  for (const a of applied) {
    const dossierId = idOf.get(a.dossier)!;
    for (const i of a.dossier.stored) results[i] = { outcome: a.outcome, dossierId, version: a.version, hold: a.hold, recordId: recordIds[i] };
  }
  return results;
}
