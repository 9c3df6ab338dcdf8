import type { CanonicalStatus, DossierDraft, HoldReason, SourceSystem, TargetSystem } from '../../contracts';
import type { ErrorClass } from '../lib/errors';

/**
 * The store interface. It offers whole operations, each atomic in its driver's own way (STYLE.md
 * habit 3): a sync transaction on better-sqlite3, a batch on D1, a transaction on PostgreSQL.
 */

export interface AcceptInput {
  source: SourceSystem;
  externalId: string;
  kind: string;
  sourceTime: string;
  sourceTimeMs: number;
  contentHash: string;
  marker?: string;
  body: string;
  fragment: unknown;
  receivedAt: number;
}

export interface StoredFragment {
  id: number;
  kind: string;
  sourceTimeMs: number;
  fragment: unknown;
}

export interface CurrentDossier {
  id: number;
  version: number;
  status: CanonicalStatus;
  canonical: DossierDraft;
  holdReason: HoldReason | null;
  /** The canonical JSON exactly as stored, where the store keeps it as stable JSON: spares re-serialising it to compare. */
  storedCanonical?: string;
}

export type Decision =
  | { kind: 'pending' }
  | {
      kind: 'dossier';
      dossier: Omit<DossierDraft, 'version'>;
      hold: { reason: HoldReason; detail: string } | null;
    };

/** Pure and synchronous: called inside the store's atomic operation with what it holds for the dossier. */
export type DecideFn = (input: { fragments: StoredFragment[]; current: CurrentDossier | null }) => Decision;

export interface AcceptResult {
  outcome: 'duplicate' | 'pending' | 'unchanged' | 'changed';
  recordId?: number;
  dossierId?: number;
  version?: number;
  hold?: HoldReason | null;
}

export interface RejectInput {
  source: string;
  externalId?: string;
  kind?: string;
  reasonCode: string;
  reason: string;
  contentHash: string;
  body: string;
  receivedAt: number;
}

export type DeliveryState = 'pending' | 'retrying' | 'delivered' | 'failed' | 'dead';

/** What the gateway knows a target holds of one dossier. */
export interface DeliveryProgress {
  remoteId: string | null;
  remoteCode: string | null;
  remoteStatus: number | null;
  remoteFieldsHash: string | null;
  remoteSteps: string[];
  uncertain: boolean;
}

export interface ClaimedDelivery {
  id: number;
  dossierId: number;
  target: TargetSystem;
  version: number;
  dossier: DossierDraft;
  holdReason: HoldReason | null;
  progress: DeliveryProgress;
  attempts: number;
  firstFailedAt: number | null;
  /** For a target that comes after another: what the earlier one issued (the province's MaHoSo). */
  upstreamCode: string | null;
  /** The dossier as stored (JSON), when the store read it: what crosses to the target thread instead of `dossier`. */
  canonical?: string;
}

export interface ClaimInput {
  target: TargetSystem;
  /** Only dossiers this target has already received at the same version. */
  after?: TargetSystem;
  owner: string;
  now: number;
  leaseMs: number;
  limit: number;
}

export interface AttemptError {
  errorClass: ErrorClass;
  code: string;
  message: string;
  httpStatus?: number;
}

export interface DeliveryCompletion {
  id: number;
  owner: string;
  version: number;
  startedAt: number;
  durationMs: number;
  progress: DeliveryProgress;
  operations: string[];
  /** Absent when the delivery succeeded. */
  error?: AttemptError;
  /** With an error: when to try again, or that it waits for an operator, or that it is dead. */
  next?: { state: 'retrying'; at: number } | { state: 'failed' } | { state: 'dead' };
}

export interface DeliveryAttemptView {
  version: number;
  startedAt: number;
  durationMs: number;
  outcome: 'delivered' | 'partial' | 'failed';
  errorClass: string | null;
  errorCode: string | null;
  message: string | null;
  httpStatus: number | null;
  operations: string[];
}

export interface DeliveryView {
  id: number;
  target: TargetSystem;
  state: DeliveryState;
  inFlight: boolean;
  wantVersion: number;
  sentVersion: number | null;
  pendingSince: number | null;
  nextAttemptAt: number;
  attempts: number;
  lastErrorClass: string | null;
  lastErrorCode: string | null;
  lastError: string | null;
  remoteId: string | null;
  remoteCode: string | null;
  remoteStatus: number | null;
  remoteSteps: number;
  deliveredAt: number | null;
  history: DeliveryAttemptView[];
}

export interface DossierView {
  id: number;
  source: SourceSystem;
  externalId: string;
  version: number;
  holdReason: HoldReason | null;
  holdDetail: string | null;
  dossier: DossierDraft;
  versions: { version: number; createdAt: number; sourceRecordId: number | null; dossier: DossierDraft }[];
  records: { id: number; kind: string; sourceTime: string; receivedAt: number; status: string; contentHash: string }[];
  deliveries: DeliveryView[];
}

export interface TargetStatus {
  counts: Record<DeliveryState | 'inFlight', number>;
  /** Age in ms of the oldest change not yet delivered, or null when everything is delivered. */
  oldestPendingMs: number | null;
}

export interface SourceStatus {
  dossiers: number;
  records: number;
  pendingRecords: number;
  rejected: number;
  held: Partial<Record<HoldReason, number>>;
  lastPollAt: number | null;
  lastSuccessAt: number | null;
  lastError: string | null;
  /** When the newest record from this source arrived. */
  lastReceivedAt: number | null;
}

export interface SyncStatus {
  targets: Record<string, TargetStatus>;
  sources: Record<string, SourceStatus>;
}

export type Role = 'viewer' | 'operator' | 'admin';

export interface DossierSummary {
  id: number;
  source: SourceSystem;
  externalId: string;
  sourceCode: string;
  status: CanonicalStatus;
  holdReason: HoldReason | null;
  version: number;
  oneStopCode: string | null;
  updatedAt: number;
}

export interface DeliveryProblemGroup {
  target: TargetSystem;
  state: 'failed' | 'dead';
  errorClass: string;
  errorCode: string;
  count: number;
  oldestAt: number;
  samples: { deliveryId: number; dossierId: number; source: SourceSystem; externalId: string; message: string }[];
}

export interface RejectedGroup {
  source: string;
  reasonCode: string;
  count: number;
  latestAt: number;
  samples: { id: number; kind: string | null; externalId: string | null; reason: string; receivedAt: number }[];
}

export interface HeldGroup {
  source: SourceSystem;
  reason: HoldReason;
  localCode: string | null;
  count: number;
  samples: string[];
}

export interface RejectedRecordView {
  id: number;
  source: string;
  externalId: string | null;
  kind: string | null;
  reasonCode: string;
  reason: string;
  body: string;
  receivedAt: number;
  resolvedAt: number | null;
}

export interface ReplayFilter {
  deliveryIds?: number[];
  target?: TargetSystem;
  state?: 'failed' | 'dead';
  errorCode?: string;
}

export interface DeliveryStats {
  attempts: { target: string; outcome: string; errorClass: string | null; count: number }[];
  /** Cumulative histogram buckets (upper bounds in ms) of change-to-delivered latency, per target. */
  latency: Record<string, { buckets: number[]; counts: number[]; sumMs: number; count: number }>;
  throughput: { target: string; bucketStart: number; delivered: number; failed: number }[];
  received: { source: string; bucketStart: number; records: number }[];
}

export interface ReconcileItem {
  dossierId: number;
  source: SourceSystem;
  externalId: string;
  version: number;
  dossier: DossierDraft;
  remoteId: string | null;
  remoteCode: string | null;
}

/** `out_of_order_steps`: the target shows a step after a later one (a late source event appended last). */
export type DriftKind = 'missing' | 'wrong_status' | 'missing_steps' | 'duplicate_steps' | 'out_of_order_steps' | 'wrong_fields';

export interface DriftFinding {
  id: number;
  dossierId: number;
  source: SourceSystem;
  externalId: string;
  target: TargetSystem;
  kind: DriftKind;
  detail: string;
  foundAt: number;
}

export interface UserRecord {
  username: string;
  passwordHash: string;
  role: Role;
  disabledAt: number | null;
}

export interface TokenRecord {
  id: number;
  name: string;
  role: Role;
  createdBy: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
  prevHash: string;
  hash: string;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres' | 'd1';
  /**
   * Stores a record and, if the dossier changed, its new version and its deliveries, atomically.
   * `deliverAfterMs` holds the deliveries back (a source whose events may arrive out of order).
   */
  acceptSourceRecord(input: AcceptInput, decide: DecideFn, targets: readonly TargetSystem[], options?: { deliverAfterMs?: number }): Promise<AcceptResult>;
  /** Keeps what could not be accepted; the same body rejected again is kept once. */
  rejectRecord(input: RejectInput): Promise<void>;
  lastMarker(source: SourceSystem, externalId: string): Promise<string | undefined>;

  /**
   * Leases up to `limit` due deliveries of one target to `owner` until `now + leaseMs`, oldest due
   * first. One delivery row per dossier and target, and a leased row is claimed by nobody else, so no
   * two workers (or instances) ever work on one dossier for one target at once. A row whose lease
   * expired (its owner died) is taken over and marked uncertain.
   */
  claimDeliveries(input: ClaimInput): Promise<ClaimedDelivery[]>;
  completeDeliveries(completions: readonly DeliveryCompletion[], now: number): Promise<void>;
  /**
   * Frees delivery leases and poll leases (all, or one owner's) and marks those deliveries uncertain:
   * their effect is unknown. Returns how many deliveries. All: only for the sole instance on its
   * database (SQLite at start). Several instances sharing PostgreSQL free only their own (at a
   * graceful stop); a dead instance's leases simply expire and `claimDeliveries` takes them over.
   */
  releaseLeases(owner?: string): Promise<number>;

  /**
   * The poll lease: one instance polls a source at a time, its cursor in the database. True when
   * `owner` now holds the source's lease until `now + leaseMs`: it was free, expired, or already
   * `owner`'s (renewed). Take it before each poll, with a lease longer than a poll may last.
   */
  claimPollLease(source: SourceSystem, owner: string, leaseMs: number, now: number): Promise<boolean>;
  /** Gives the poll lease up if `owner` holds it, so another instance need not wait for it to expire. */
  releasePollLease(source: SourceSystem, owner: string): Promise<void>;
  getCursor(source: SourceSystem): Promise<unknown | null>;
  saveCursor(source: SourceSystem, cursor: unknown, now: number): Promise<void>;
  notePoll(source: SourceSystem, result: { ok: boolean; error?: string }, now: number): Promise<void>;

  getDossierView(source: SourceSystem, externalId: string): Promise<DossierView | null>;
  syncStatus(now: number): Promise<SyncStatus>;
  close(): Promise<void>;

  /** Readiness: the database answers and its migrations are applied. */
  ping(): Promise<{ migrations: number }>;
  deliveryStats(input: { now: number; since: number; bucketMs: number; latencyBucketsMs: readonly number[] }): Promise<DeliveryStats>;

  searchDossiers(query: string, limit: number): Promise<DossierSummary[]>;
  problemGroups(samples: number): Promise<{ deliveries: DeliveryProblemGroup[]; rejected: RejectedGroup[]; held: HeldGroup[] }>;
  /** Sends failed or dead deliveries again from scratch, reading the target first; returns the dossiers concerned. */
  replay(filter: ReplayFilter, now: number): Promise<{ source: SourceSystem; externalId: string; target: TargetSystem }[]>;
  getRejected(id: number): Promise<RejectedRecordView | null>;
  resolveRejected(ids: readonly number[], now: number): Promise<number>;
  heldDossiers(filter: { source?: SourceSystem; reason?: HoldReason; localCode?: string }): Promise<{ source: SourceSystem; externalId: string }[]>;
  /** Rebuilds a dossier from the records it holds (after a mapping change), as an accepted record would. */
  redecide(source: SourceSystem, externalId: string, decide: DecideFn, targets: readonly TargetSystem[], now: number): Promise<AcceptResult>;

  /** Delivered dossiers, in id order after `afterDossierId`, to compare with what a target holds. */
  reconcileBatch(input: { target: TargetSystem; afterDossierId: number; limit: number }): Promise<ReconcileItem[]>;
  /** Replaces the open findings of one dossier at one target with these (none: it agrees). */
  saveDrift(input: { dossierId: number; target: TargetSystem; findings: { kind: DriftKind; detail: string }[]; now: number }): Promise<void>;
  openDrift(): Promise<DriftFinding[]>;
  /** Sends the dossier again to the target, reading what it holds first. */
  resync(dossierId: number, target: TargetSystem, now: number): Promise<boolean>;

  getSetting(key: string): Promise<string | null>;
  putSetting(key: string, value: string): Promise<void>;
  /** Sets a value only if none exists; returns the value that holds. */
  initSetting(key: string, value: string): Promise<string>;
  countUsers(): Promise<number>;
  getUser(username: string): Promise<UserRecord | null>;
  putUser(user: { username: string; passwordHash: string; role: Role }, now: number): Promise<void>;
  createToken(token: { name: string; tokenHash: string; role: Role; createdBy: string; expiresAt: number | null }, now: number): Promise<number>;
  findToken(tokenHash: string): Promise<TokenRecord | null>;
  listTokens(): Promise<TokenRecord[]>;
  revokeToken(id: number, now: number): Promise<boolean>;
  touchToken(id: number, now: number): Promise<void>;
  /** The newest audit entry (to chain the next one to), or null. */
  lastAudit(): Promise<AuditEntry | null>;
  /** Appends an entry whose `seq` is the last one's plus one; false if another writer took that seq first. */
  appendAudit(entry: AuditEntry): Promise<boolean>;
  listAudit(input: { limit: number; beforeSeq?: number }): Promise<AuditEntry[]>;
}
