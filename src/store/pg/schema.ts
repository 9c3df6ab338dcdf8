import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * The PostgreSQL schema: the SQLite one (../sqlite/schema.ts) table for table and column for column,
 * which test/store-schema.test.ts checks. Epoch milliseconds need `bigint` here (read as JS numbers);
 * ids stay `integer`. JSON stays `text`: the canonical dossier is compared as stable JSON, as on SQLite.
 * Tables are unqualified: the store sets `search_path` to its schema.
 */
const ms = (name: string) => bigint(name, { mode: 'number' });
const id = () => integer('id').primaryKey().generatedByDefaultAsIdentity();

/** Every record a source sent, verbatim, with the adapter's mapped fragment. */
export const sourceRecords = pgTable(
  'source_records',
  {
    id: id(),
    source: text('source').notNull(),
    externalId: text('external_id').notNull(),
    kind: text('kind').notNull(),
    sourceTime: text('source_time').notNull(),
    sourceTimeMs: ms('source_time_ms').notNull(),
    contentHash: text('content_hash').notNull(),
    marker: text('marker'),
    body: text('body').notNull(),
    fragment: text('fragment'),
    /** applied: part of the dossier; pending: waits for the record that opens the dossier. */
    status: text('status', { enum: ['applied', 'pending'] }).notNull(),
    receivedAt: ms('received_at').notNull(),
    dossierId: integer('dossier_id'),
  },
  (t) => [
    uniqueIndex('source_records_content').on(t.source, t.externalId, t.contentHash),
    index('source_records_dossier').on(t.source, t.externalId, t.sourceTimeMs),
  ],
);

/** A body or record that could not be accepted, kept with the reason for an operator. */
export const rejectedRecords = pgTable(
  'rejected_records',
  {
    id: id(),
    source: text('source').notNull(),
    externalId: text('external_id'),
    kind: text('kind'),
    reasonCode: text('reason_code').notNull(),
    contentHash: text('content_hash').notNull(),
    reason: text('reason').notNull(),
    body: text('body').notNull(),
    receivedAt: ms('received_at').notNull(),
    resolvedAt: ms('resolved_at'),
  },
  (t) => [
    index('rejected_records_source').on(t.source, t.receivedAt),
    uniqueIndex('rejected_records_content').on(t.source, t.contentHash),
  ],
);

export const dossiers = pgTable(
  'dossiers',
  {
    id: id(),
    source: text('source').notNull(),
    externalId: text('external_id').notNull(),
    sourceCode: text('source_code').notNull(),
    version: integer('version').notNull(),
    status: text('status').notNull(),
    /** Why the dossier is sent nowhere yet (unmapped procedure, not received), or null. */
    holdReason: text('hold_reason'),
    holdDetail: text('hold_detail'),
    nationalCode: text('national_code'),
    localCode: text('local_code'),
    receivedAtMs: ms('received_at_ms'),
    /** The canonical dossier, as stable JSON. */
    canonical: text('canonical').notNull(),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('dossiers_source_external').on(t.source, t.externalId),
    index('dossiers_hold').on(t.holdReason),
    index('dossiers_source_code').on(t.sourceCode),
  ],
);

export const dossierVersions = pgTable(
  'dossier_versions',
  {
    dossierId: integer('dossier_id').notNull(),
    version: integer('version').notNull(),
    canonical: text('canonical').notNull(),
    sourceRecordId: integer('source_record_id'),
    createdAt: ms('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.dossierId, t.version] })],
);

/** One delivery per dossier and target: the outbox row and everything the target is known to hold. */
export const deliveries = pgTable(
  'deliveries',
  {
    id: id(),
    dossierId: integer('dossier_id').notNull(),
    target: text('target').notNull(),
    state: text('state', { enum: ['pending', 'retrying', 'delivered', 'failed', 'dead'] }).notNull(),
    wantVersion: integer('want_version').notNull(),
    sentVersion: integer('sent_version'),
    pendingSince: ms('pending_since'),
    nextAttemptAt: ms('next_attempt_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    firstFailedAt: ms('first_failed_at'),
    lastErrorClass: text('last_error_class'),
    lastErrorCode: text('last_error_code'),
    lastError: text('last_error'),
    /** The instance working on the delivery, until `lease_until`; after that any instance may take it over. */
    leaseOwner: text('lease_owner'),
    leaseUntil: ms('lease_until'),
    /** The last attempt may have had an effect that was not confirmed: read the target before writing. */
    uncertain: boolean('uncertain').notNull().default(false),
    remoteId: text('remote_id'),
    remoteCode: text('remote_code'),
    remoteStatus: integer('remote_status'),
    remoteFieldsHash: text('remote_fields_hash'),
    /** Keys of the progress steps the target is known to hold, as a JSON array. */
    remoteSteps: text('remote_steps').notNull().default('[]'),
    deliveredAt: ms('delivered_at'),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('deliveries_dossier_target').on(t.dossierId, t.target),
    index('deliveries_due').on(t.target, t.state, t.nextAttemptAt),
    // The claim's own index: only open deliveries, in the order they are claimed, so finding the next
    // ten stops after ten rows however many are delivered or queued behind them.
    index('deliveries_open').on(t.target, t.nextAttemptAt, t.id).where(sql`state IN ('pending', 'retrying')`),
  ],
);

export const deliveryAttempts = pgTable(
  'delivery_attempts',
  {
    id: id(),
    deliveryId: integer('delivery_id').notNull(),
    version: integer('version').notNull(),
    startedAt: ms('started_at').notNull(),
    durationMs: integer('duration_ms').notNull(),
    outcome: text('outcome', { enum: ['delivered', 'partial', 'failed'] }).notNull(),
    errorClass: text('error_class'),
    errorCode: text('error_code'),
    message: text('message'),
    httpStatus: integer('http_status'),
    /** For a delivered attempt: from the change being accepted to the target holding it (may be weeks). */
    latencyMs: ms('latency_ms'),
    /** The calls made, e.g. ["lookup","create","steps:3","status"]. */
    operations: text('operations').notNull().default('[]'),
  },
  (t) => [index('delivery_attempts_delivery').on(t.deliveryId, t.startedAt), index('delivery_attempts_started').on(t.startedAt)],
);

/** A polled source's cursor and health, and its poll lease: one instance polls a source at a time. */
export const pollCursors = pgTable('poll_cursors', {
  source: text('source').primaryKey(),
  cursor: text('cursor').notNull(),
  lastPollAt: ms('last_poll_at'),
  lastSuccessAt: ms('last_success_at'),
  lastError: text('last_error'),
  leaseOwner: text('lease_owner'),
  leaseUntil: ms('lease_until'),
  updatedAt: ms('updated_at').notNull().default(0),
});

/** What a reconciliation found a target to hold differently from the canonical dossier. */
export const driftFindings = pgTable(
  'drift_findings',
  {
    id: id(),
    dossierId: integer('dossier_id').notNull(),
    target: text('target').notNull(),
    /** missing, wrong_status, missing_steps, duplicate_steps, wrong_fields */
    kind: text('kind').notNull(),
    detail: text('detail').notNull(),
    foundAt: ms('found_at').notNull(),
    resolvedAt: ms('resolved_at'),
  },
  (t) => [index('drift_open').on(t.resolvedAt, t.target), index('drift_dossier').on(t.dossierId, t.target)],
);

export const users = pgTable('users', {
  username: text('username').primaryKey(),
  passwordHash: text('password_hash').notNull(),
  role: text('role', { enum: ['viewer', 'operator', 'admin'] }).notNull(),
  createdAt: ms('created_at').notNull(),
  disabledAt: ms('disabled_at'),
});

/** API tokens: only a hash of each token is kept. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: id(),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    role: text('role', { enum: ['viewer', 'operator', 'admin'] }).notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: ms('created_at').notNull(),
    expiresAt: ms('expires_at'),
    revokedAt: ms('revoked_at'),
    lastUsedAt: ms('last_used_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash').on(t.tokenHash)],
);

/**
 * Every operator and admin action, append-only (triggers refuse UPDATE, DELETE and TRUNCATE), each
 * entry chained to the previous by hash. `seq` is given by the writer, so two instances appending at
 * once collide on the primary key and one of them retries.
 */
export const auditLog = pgTable('audit_log', {
  seq: integer('seq').primaryKey(),
  at: ms('at').notNull(),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  /** What the action was about (dossier references, token names), as JSON. */
  subject: text('subject').notNull(),
  prevHash: text('prev_hash').notNull(),
  hash: text('hash').notNull(),
});

export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});
