import type { SourceSystem } from '../../contracts';
import type { PollContext, PollReport, Poller } from '../../adapters/types';
import { GatewayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import type { Store } from '../store/types';
import type { Ingestor } from './ingest';

/**
 * Runs one polling adapter against the store: cursor in the database, every record through the
 * ingestor. Several instances may share the database: each poll first takes the source's poll lease,
 * so one instance polls a source at a time and the others skip their turn.
 */
export interface PollRunner {
  readonly source: SourceSystem;
  /** One poll; null when it failed or another instance holds the source's poll lease. */
  runOnce(): Promise<PollReport | null>;
  /** Gives the poll lease up (at a graceful stop) so another instance need not wait for it to expire. */
  release(): Promise<void>;
}

/** Long enough for a slow poll; the holder renews it at every poll, and only a dead holder lets it expire. */
export const DEFAULT_POLL_LEASE_MS = 120_000;

/** The lease ran out during the poll and another instance took the source over. */
class LeaseLost extends Error {}

export function createPollRunner(deps: {
  source: SourceSystem;
  poller: Poller;
  store: Store;
  ingestor: Ingestor;
  now: () => number;
  logger: Logger;
  fetch?: typeof fetch;
  /** Who holds the poll lease; the instance's owner name lets `releaseLeases(owner)` free it too. */
  owner?: string;
  leaseMs?: number;
}): PollRunner {
  const { source, store, now } = deps;
  const owner = deps.owner ?? `poll-${crypto.randomUUID()}`;
  const leaseMs = deps.leaseMs ?? DEFAULT_POLL_LEASE_MS;
  const log = deps.logger.child({ source });
  const ctx: PollContext = {
    // A bare `fetch` handed to another function loses its receiver on workerd ("Illegal invocation").
    fetch: deps.fetch ?? ((input, init) => fetch(input, init)),
    now,
    logger: log,
    loadCursor: () => store.getCursor(source),
    saveCursor: async (cursor) => {
      // A poll that outlived its lease must not move back the cursor of the instance that took over;
      // renewing here also keeps a long poll's lease alive.
      if (!(await store.claimPollLease(source, owner, leaseMs, now()))) throw new LeaseLost();
      await store.saveCursor(source, cursor, now());
    },
    lastMarker: (externalId) => store.lastMarker(source, externalId),
    accept: async (record) => ((await deps.ingestor.accept(source, record)).outcome === 'rejected' ? 'rejected' : 'stored'),
    // Kept whole up to 256 KB; the cut is deterministic, so the same poisoned answer is still kept once.
    reject: (body, reasonCode, reason, meta = {}) =>
      deps.ingestor.reject(source, body.slice(0, 256 * 1024), reasonCode, reason, { kind: meta.kind ?? 'answer', externalId: meta.externalId }),
  };
  return {
    source,
    async runOnce() {
      try {
        if (!(await store.claimPollLease(source, owner, leaseMs, now()))) {
          log.debug('poll skipped: another instance polls this source');
          return null;
        }
        const report = await deps.poller.poll(ctx);
        await store.notePoll(source, { ok: true }, now());
        if (report.accepted > 0 || (report.rejected ?? 0) > 0) log.info('poll done', { ...report });
        return report;
      } catch (err) {
        if (err instanceof LeaseLost) {
          // Not a failure of the source: what this poll accepted is kept, the newer poll owns the cursor.
          log.warn('poll overtaken: its lease expired and another instance took the source over', { leaseMs });
          return null;
        }
        const code = err instanceof GatewayError ? err.code : 'UNEXPECTED';
        const message = err instanceof GatewayError ? err.message : (err as Error).message;
        // The database may be what failed: the scheduler's loop must survive it and try again.
        await store.notePoll(source, { ok: false, error: `${code}: ${message}` }, now()).catch(() => undefined);
        log[err instanceof GatewayError && err.errorClass === 'configuration' ? 'error' : 'warn']('poll failed', { code });
        return null;
      }
    },
    async release() {
      await store.releasePollLease(source, owner);
    },
  };
}
