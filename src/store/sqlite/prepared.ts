import type Database from 'better-sqlite3';
import { Param, Placeholder, and, asc, eq, is, sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { TargetSystem } from '../../../contracts';
import { outboxEntry, type DeliveryRow } from './rows';
import * as t from './schema';

/**
 * The accept path's statements, built and compiled once. Building a query through drizzle's
 * builder on every call cost more than running it: with about eight statements per accepted
 * record, it was a quarter of the record's CPU time. Values are bound through placeholders.
 */
const p = <N extends string>(name: N) => sql.placeholder(name);
/** A placeholder where drizzle's types want an SQL expression (an update's `set`). */
const s = (name: string) => sql`${sql.placeholder(name)}`;

/**
 * A statement that only writes, run straight on better-sqlite3: drizzle's prepared `run` finds each
 * placeholder's value by testing every parameter's class on every call, most of what it costs besides
 * SQLite's own work. Here where each value comes from is resolved once, with the same column
 * encoders, and the statement text is drizzle's.
 */
export function direct(client: Database.Database, prepared: { getQuery(): { sql: string; params: unknown[] } }) {
  const query = prepared.getQuery();
  const stmt = client.prepare(query.sql);
  if (stmt.reader) throw new Error('direct() runs statements that write and return nothing');
  const value = (param: unknown): ((values: Record<string, unknown>) => unknown) => {
    const wanted = (name: string) => (values: Record<string, unknown>) => {
      if (!(name in values)) throw new Error(`No value for placeholder "${name}" was provided`);
      return values[name];
    };
    if (is(param, Placeholder)) return wanted(param.name);
    if (is(param, Param) && is(param.value, Placeholder)) {
      const read = wanted(param.value.name);
      const encoder = param.encoder;
      return (values) => encoder.mapToDriverValue(read(values));
    }
    return () => param;
  };
  const values = query.params.map(value);
  return {
    run: (placeholders: Record<string, unknown>): Database.RunResult => stmt.run(...values.map((v) => v(placeholders))),
  };
}

export function acceptStatements(db: BetterSQLite3Database<typeof t>, raw: Database.Database) {
  const ofDossier = and(eq(t.sourceRecords.source, p('source')), eq(t.sourceRecords.externalId, p('externalId')));
  const dossierColumns = {
    sourceCode: s('sourceCode'),
    version: s('version'),
    status: s('status'),
    holdReason: s('holdReason'),
    holdDetail: s('holdDetail'),
    nationalCode: s('nationalCode'),
    localCode: s('localCode'),
    receivedAtMs: s('receivedAtMs'),
    canonical: s('canonical'),
    updatedAt: s('updatedAt'),
  };
  return {
    insertRecord: direct(
      raw,
      db
        .insert(t.sourceRecords)
        .values({
          source: p('source'),
          externalId: p('externalId'),
          kind: p('kind'),
          sourceTime: p('sourceTime'),
          sourceTimeMs: p('sourceTimeMs'),
          contentHash: p('contentHash'),
          marker: p('marker'),
          body: p('body'),
          fragment: p('fragment'),
          status: 'pending',
          receivedAt: p('receivedAt'),
        })
        .onConflictDoNothing()
        .prepare(),
    ),
    fragments: db
      .select({ id: t.sourceRecords.id, kind: t.sourceRecords.kind, sourceTimeMs: t.sourceRecords.sourceTimeMs, fragment: t.sourceRecords.fragment })
      .from(t.sourceRecords)
      .where(ofDossier)
      .orderBy(asc(t.sourceRecords.sourceTimeMs), asc(t.sourceRecords.id))
      .prepare(),
    current: db
      .select()
      .from(t.dossiers)
      .where(and(eq(t.dossiers.source, p('source')), eq(t.dossiers.externalId, p('externalId'))))
      .prepare(),
    updateDossier: direct(raw, db.update(t.dossiers).set(dossierColumns).where(eq(t.dossiers.id, p('id'))).prepare()),
    insertDossier: direct(
      raw,
      db
        .insert(t.dossiers)
        .values({ ...dossierColumns, source: p('source'), externalId: p('externalId'), createdAt: p('createdAt') })
        .prepare(),
    ),
    insertVersion: direct(
      raw,
      db
        .insert(t.dossierVersions)
        .values({ dossierId: p('dossierId'), version: p('version'), canonical: p('canonical'), sourceRecordId: p('sourceRecordId'), createdAt: p('createdAt') })
        .prepare(),
    ),
    /** The dossier's outbox rows, one statement for all its targets (`target0`, `target1`, …). */
    queueDeliveries: (() => {
      const prepared = new Map<number, ReturnType<typeof direct>>();
      const entry = (i: number) => outboxEntry(p('dossierId'), p(`target${i}`), p('version'), p('now'), p('due'));
      return (dossierId: number, targets: readonly TargetSystem[], version: number, now: number, due: number) => {
        if (targets.length === 0) return;
        let stmt = prepared.get(targets.length);
        if (!stmt) {
          const rows = targets.map((_, i) => entry(i).values);
          stmt = direct(raw, db.insert(t.deliveries).values(rows).onConflictDoUpdate(entry(0).onConflict).prepare());
          prepared.set(targets.length, stmt);
        }
        const values: Record<string, unknown> = { dossierId, version, now, due };
        targets.forEach((target, i) => (values[`target${i}`] = target));
        stmt.run(values);
      };
    })(),
    markApplied: direct(
      raw,
      db
        .update(t.sourceRecords)
        .set({ status: 'applied', dossierId: s('dossierId') })
        .where(and(ofDossier, eq(t.sourceRecords.status, 'pending')))
        .prepare(),
    ),
  };
}

/** The delivery columns a finished attempt may write (`completionWrite`): all of them, every time. */
const COMPLETION_COLUMNS = [
  'remoteId',
  'remoteCode',
  'remoteStatus',
  'remoteFieldsHash',
  'remoteSteps',
  'uncertain',
  'leaseOwner',
  'leaseUntil',
  'updatedAt',
  'sentVersion',
  'state',
  'nextAttemptAt',
  'pendingSince',
  'attempts',
  'firstFailedAt',
  'lastErrorClass',
  'lastErrorCode',
  'lastError',
  'deliveredAt',
] as const satisfies readonly (keyof DeliveryRow)[];

/**
 * The completion path's statements, compiled once for the same reason as the accept path's: built
 * per call, drizzle's builder was most of a finished delivery's cost on a drain. The update sets
 * every column a completion may change, the ones it leaves as they are from the row just read.
 */
export function completionStatements(db: BetterSQLite3Database<typeof t>, raw: Database.Database) {
  const update = direct(
    raw,
    db
      .update(t.deliveries)
      .set(Object.fromEntries(COMPLETION_COLUMNS.map((c) => [c, s(c)])))
      .where(eq(t.deliveries.id, p('id')))
      .prepare(),
  );
  return {
    row: db.select().from(t.deliveries).where(eq(t.deliveries.id, p('id'))).prepare(),
    insertAttempt: direct(
      raw,
      db
        .insert(t.deliveryAttempts)
        .values({
          deliveryId: p('deliveryId'),
          version: p('version'),
          startedAt: p('startedAt'),
          durationMs: p('durationMs'),
          outcome: p('outcome'),
          errorClass: p('errorClass'),
          errorCode: p('errorCode'),
          message: p('message'),
          httpStatus: p('httpStatus'),
          latencyMs: p('latencyMs'),
          operations: p('operations'),
        })
        .prepare(),
    ),
    /** Writes `changes` over `row` (better-sqlite3 binds no booleans: `uncertain` as 0 or 1). */
    update(row: DeliveryRow, changes: Partial<DeliveryRow>) {
      const next = { ...row, ...changes };
      const values: Record<string, unknown> = { id: row.id };
      for (const c of COMPLETION_COLUMNS) values[c] = next[c];
      values['uncertain'] = next.uncertain ? 1 : 0;
      update.run(values);
    },
  };
}
