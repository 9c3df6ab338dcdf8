import type { SourceDossier, SourceSystem } from '../contracts';
import type { Logger } from '../src/lib/log';

/**
 * The adapter contract. An adapter reads and maps; it never touches the store, drizzle or Hono
 * (STYLE.md habit 1). The engine stores each raw record verbatim with the adapter's mapped
 * fragment, and folds a dossier's fragments (in source-time order) into its canonical form.
 */
export interface RawRecord {
  externalId: string;
  /** `snapshot` for polled sources; the event name for pushed ones. */
  kind: string;
  /** When the source says this happened (ISO-8601 with an offset), when the transport tells; else the adapter reads it from the body. */
  sourceTime?: string;
  /** The record exactly as received. */
  body: string;
  /** A cheap change marker from the source's list (e.g. `ngayCapNhat`), to skip fetching what has not changed. */
  marker?: string;
}

export interface MappedRecord<F> {
  externalId: string;
  /** When the record itself says it happened; the transport's time (`RawRecord.sourceTime`) is used otherwise. */
  sourceTime?: string;
  fragment: F;
}

export interface Adapter<F = unknown> {
  readonly id: SourceSystem;
  /** Maps one raw record (pure; throws MappingError with a reason a person understands). */
  toFragment(record: Pick<RawRecord, 'kind' | 'body'>): MappedRecord<F>;
  /**
   * Folds a dossier's fragments, oldest source time first, into a dossier; null while the records
   * do not make a dossier yet (e.g. a land step whose `TiepNhanHoSo` has not arrived).
   */
  fold(fragments: readonly F[]): SourceDossier | null;
}

/** What a polling adapter needs from the engine: all I/O is injected. */
export interface PollContext {
  fetch: typeof fetch;
  now: () => number;
  logger: Logger;
  signal?: AbortSignal;
  /** The cursor saved by the last completed poll, or null. */
  loadCursor(): Promise<unknown | null>;
  saveCursor(cursor: unknown): Promise<void>;
  /** The marker of the newest record stored for this dossier, if any. */
  lastMarker(externalId: string): Promise<string | undefined>;
  /**
   * Stores a record durably (or recognizes it as already stored); rejects if it could not be stored.
   * `rejected`: the record was kept for an operator because it cannot be mapped (it will not map on a
   * second reading either), so the poller may move past it.
   */
  accept(record: RawRecord): Promise<AcceptOutcome | void>;
  /**
   * Keeps an answer the adapter refused to read (hostile or unreadable), with the reason, for an
   * operator; `meta` names the dossier and the kind of answer when known. The same body is kept once.
   */
  reject(body: string, reasonCode: string, reason: string, meta?: { externalId?: string; kind?: string }): Promise<void>;
}

export type AcceptOutcome = 'stored' | 'rejected';

export interface PollReport {
  listed: number;
  fetched: number;
  accepted: number;
  skipped: number;
  /** Items kept for an operator instead of accepted: unreadable, refused by the mapper, or gone at the source. */
  rejected?: number;
  windowEnd?: string;
}

export interface Poller {
  poll(ctx: PollContext): Promise<PollReport>;
}

/** What the registry knows of a source: how to build its adapter and, for polled sources, its poller. */
export interface AdapterEntry<C = never> {
  readonly id: SourceSystem;
  readonly transport: 'push' | 'poll';
  create(config: C): Adapter;
  createPoller?(config: C, fetchImpl?: typeof fetch): Poller;
}
