import type { SourceSystem } from '../../contracts';
import type { PollContext, PollReport, Poller } from '../../adapters/types';
import { GatewayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import type { Store } from '../store/types';
import type { Ingestor } from './ingest';

/** Runs one polling adapter against the store: cursor in the database, every record through the ingestor. */
export interface PollRunner {
  readonly source: SourceSystem;
  runOnce(): Promise<PollReport | null>;
}

export function createPollRunner(deps: {
  source: SourceSystem;
  poller: Poller;
  store: Store;
  ingestor: Ingestor;
  now: () => number;
  logger: Logger;
  fetch?: typeof fetch;
}): PollRunner {
  const { source, store, now } = deps;
  const log = deps.logger.child({ source });
  const ctx: PollContext = {
    fetch: deps.fetch ?? fetch,
    now,
    logger: log,
    loadCursor: () => store.getCursor(source),
    saveCursor: (cursor) => store.saveCursor(source, cursor, now()),
    lastMarker: (externalId) => store.lastMarker(source, externalId),
    accept: async (record) => {
      await deps.ingestor.accept(source, record);
    },
    reject: (body, reasonCode, reason) => deps.ingestor.reject(source, body.slice(0, 256 * 1024), reasonCode, reason, { kind: 'answer' }),
  };
  return {
    source,
    async runOnce() {
      try {
        const report = await deps.poller.poll(ctx);
        await store.notePoll(source, { ok: true }, now());
        if (report.accepted > 0) log.info('poll done', { ...report });
        return report;
      } catch (err) {
        const code = err instanceof GatewayError ? err.code : 'UNEXPECTED';
        const message = err instanceof GatewayError ? err.message : (err as Error).message;
        await store.notePoll(source, { ok: false, error: `${code}: ${message}` }, now());
        log[err instanceof GatewayError && err.errorClass === 'configuration' ? 'error' : 'warn']('poll failed', { code });
        return null;
      }
    },
  };
}
