import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * The SQLite schema (better-sqlite3 and D1). Times the engine compares are epoch milliseconds;
 * instants shown to people are ISO strings inside the JSON. Nothing here is ever deleted.
 */

/** Every record a source sent, verbatim, with the adapter's mapped fragment. */
export const sourceRecords = sqliteTable(
  'source_records',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    source: text('source').notNull(),
    externalId: text('external_id').notNull(),
    kind: text('kind').notNull(),
    sourceTime: text('source_time').notNull(),
    sourceTimeMs: integer('source_time_ms').notNull(),
    contentHash: text('content_hash').notNull(),
    marker: text('marker'),
    body: text('body').notNull(),
    fragment: text('fragment'),
    /** applied: part of the dossier; pending: waits for the record that opens the dossier. */
    status: text('status', { enum: ['applied', 'pending'] }).notNull(),
    receivedAt: integer('received_at').notNull(),
    dossierId: integer('dossier_id'),
  },
  (t) => [
    uniqueIndex('source_records_content').on(t.source, t.externalId, t.contentHash),
    index('source_records_dossier').on(t.source, t.externalId, t.sourceTimeMs),
  ],
);

/** A body or record that could not be accepted, kept with the reason for an operator. */
export const rejectedRecords = sqliteTable(
  'rejected_records',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    source: text('source').notNull(),
    externalId: text('external_id'),
    kind: text('kind'),
    reasonCode: text('reason_code').notNull(),
    contentHash: text('content_hash').notNull(),
    reason: text('reason').notNull(),
    body: text('body').notNull(),
    receivedAt: integer('received_at').notNull(),
    resolvedAt: integer('resolved_at'),
  },
  (t) => [
    index('rejected_records_source').on(t.source, t.receivedAt),
    uniqueIndex('rejected_records_content').on(t.source, t.contentHash),
  ],
);

export const dossiers = sqliteTable(
  'dossiers',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
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
    receivedAtMs: integer('received_at_ms'),
    /** The canonical dossier, as stable JSON. */
    canonical: text('canonical').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('dossiers_source_external').on(t.source, t.externalId),
    index('dossiers_hold').on(t.holdReason),
    index('dossiers_source_code').on(t.sourceCode),
  ],
);

export const dossierVersions = sqliteTable(
  'dossier_versions',
  {
    dossierId: integer('dossier_id').notNull(),
    version: integer('version').notNull(),
    canonical: text('canonical').notNull(),
    sourceRecordId: integer('source_record_id'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.dossierId, t.version] })],
);

/** One delivery per dossier and target: the outbox row and everything the target is known to hold. */
export const deliveries = sqliteTable(
  'deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    dossierId: integer('dossier_id').notNull(),
    target: text('target').notNull(),
    state: text('state', { enum: ['pending', 'retrying', 'delivered', 'failed', 'dead'] }).notNull(),
    wantVersion: integer('want_version').notNull(),
    sentVersion: integer('sent_version'),
    pendingSince: integer('pending_since'),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    firstFailedAt: integer('first_failed_at'),
    lastErrorClass: text('last_error_class'),
    lastErrorCode: text('last_error_code'),
    lastError: text('last_error'),
    leaseOwner: text('lease_owner'),
    leaseUntil: integer('lease_until'),
    /** The last attempt may have had an effect that was not confirmed: read the target before writing. */
    uncertain: integer('uncertain', { mode: 'boolean' }).notNull().default(false),
    remoteId: text('remote_id'),
    remoteCode: text('remote_code'),
    remoteStatus: integer('remote_status'),
    remoteFieldsHash: text('remote_fields_hash'),
    /** Keys of the progress steps the target is known to hold, as a JSON array. */
    remoteSteps: text('remote_steps').notNull().default('[]'),
    deliveredAt: integer('delivered_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('deliveries_dossier_target').on(t.dossierId, t.target),
    index('deliveries_due').on(t.target, t.state, t.nextAttemptAt),
    // The claim's own index: only open deliveries, in the order they are claimed, so finding the next
    // ten stops after ten rows however many are delivered or queued behind them.
    index('deliveries_open').on(t.target, t.nextAttemptAt, t.id).where(sql`state IN ('pending', 'retrying')`),
  ],
);

export const deliveryAttempts = sqliteTable(
  'delivery_attempts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    deliveryId: integer('delivery_id').notNull(),
    version: integer('version').notNull(),
    startedAt: integer('started_at').notNull(),
    durationMs: integer('duration_ms').notNull(),
    outcome: text('outcome', { enum: ['delivered', 'partial', 'failed'] }).notNull(),
    errorClass: text('error_class'),
    errorCode: text('error_code'),
    message: text('message'),
    httpStatus: integer('http_status'),
    /** For a delivered attempt: from the change being accepted to the target holding it. */
    latencyMs: integer('latency_ms'),
    /** The calls made, e.g. ["lookup","create","steps:3","status"]. */
    operations: text('operations').notNull().default('[]'),
  },
  (t) => [index('delivery_attempts_delivery').on(t.deliveryId, t.startedAt), index('delivery_attempts_started').on(t.startedAt)],
);

export const pollCursors = sqliteTable('poll_cursors', {
  source: text('source').primaryKey(),
  cursor: text('cursor').notNull(),
  lastPollAt: integer('last_poll_at'),
  lastSuccessAt: integer('last_success_at'),
  lastError: text('last_error'),
  leaseOwner: text('lease_owner'),
  leaseUntil: integer('lease_until'),
  updatedAt: integer('updated_at').notNull().default(sql`0`),
});

/** What a reconciliation found a target to hold differently from the canonical dossier. */
export const driftFindings = sqliteTable(
  'drift_findings',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    dossierId: integer('dossier_id').notNull(),
    target: text('target').notNull(),
    /** missing, wrong_status, missing_steps, duplicate_steps, wrong_fields */
    kind: text('kind').notNull(),
    detail: text('detail').notNull(),
    foundAt: integer('found_at').notNull(),
    resolvedAt: integer('resolved_at'),
  },
  (t) => [index('drift_open').on(t.resolvedAt, t.target), index('drift_dossier').on(t.dossierId, t.target)],
);

export const users = sqliteTable('users', {
  username: text('username').primaryKey(),
  passwordHash: text('password_hash').notNull(),
  role: text('role', { enum: ['viewer', 'operator', 'admin'] }).notNull(),
  createdAt: integer('created_at').notNull(),
  disabledAt: integer('disabled_at'),
});

/** API tokens: only a hash of each token is kept. */
export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    role: text('role', { enum: ['viewer', 'operator', 'admin'] }).notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at'),
    revokedAt: integer('revoked_at'),
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash').on(t.tokenHash)],
);

/** Every operator and admin action, append-only, each entry chained to the previous by hash. */
export const auditLog = sqliteTable('audit_log', {
  seq: integer('seq').primaryKey(),
  at: integer('at').notNull(),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  /** What the action was about (dossier references, token names), as JSON. */
  subject: text('subject').notNull(),
  prevHash: text('prev_hash').notNull(),
  hash: text('hash').notNull(),
});

export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});
