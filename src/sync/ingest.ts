import { ZodError } from 'zod';
import type { SourceSystem, TargetSystem } from '../../contracts';
import type { Adapter, RawRecord } from '../../adapters/types';
import { crashPoint } from '../lib/crash-point';
import { MappingError } from '../lib/errors';
import { sha256Hex } from '../lib/hash';
import type { Logger } from '../lib/log';
import { TimeFormatError, instantMs, toVnIso } from '../lib/time';
import { XmlRefusedError } from '../lib/xml';
import type { AcceptResult, DecideFn, Store } from '../store/types';
import { normalizeDossier, type NormalizeContext } from './normalize';

export type IngestResult = AcceptResult | { outcome: 'rejected'; reasonCode: string; reason: string };

export interface Ingestor {
  /** Maps and stores one source record durably, or keeps it with the reason it was refused. */
  accept(source: SourceSystem, record: RawRecord): Promise<IngestResult>;
  /** Keeps a body that could not even be read as a record (bad JSON, wrong shape), with the reason. */
  reject(source: string, body: string, reasonCode: string, reason: string, meta?: { externalId?: string; kind?: string }): Promise<void>;
}

export interface IngestorDeps {
  store: Store;
  adapters: ReadonlyMap<SourceSystem, Adapter>;
  context: (source: SourceSystem) => NormalizeContext;
  targets: readonly TargetSystem[];
  now: () => number;
  logger: Logger;
  /** Told when a change was queued for delivery, due in `inMs`. */
  onDue?: (inMs: number) => void;
}

/** The reason a record could not be mapped, in words an operator can act on; never its content. */
export function describeMappingFailure(err: unknown): { code: string; reason: string } | null {
  if (err instanceof MappingError) return { code: err.code, reason: err.message };
  if (err instanceof XmlRefusedError) return { code: err.code, reason: err.message };
  if (err instanceof TimeFormatError) return { code: 'BAD_TIME', reason: err.message };
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const field = issue?.path.join('.') || '(body)';
    return { code: 'BAD_FIELD', reason: `${field}: ${issue?.message ?? 'invalid'}` };
  }
  if (err instanceof SyntaxError) return { code: 'BAD_JSON', reason: `not valid JSON: ${err.message}` };
  return null;
}

/**
 * PostgreSQL's text refuses the NUL character (SQLite's keeps it), so a record holding one would fail
 * to store on every attempt, and a polled source would retry it for ever. It is refused like any
 * unreadable record and kept with each NUL shown as U+FFFD.
 */
const withoutNul = (text: string) => (text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text);

/** How a dossier is rebuilt from its records: the adapter's fold, then the gateway's own rules. */
export function decideFor(adapter: Adapter, ctx: NormalizeContext): DecideFn {
  return ({ fragments, current }) => {
    const folded = adapter.fold(fragments.map((f) => f.fragment));
    return folded ? normalizeDossier(folded, ctx, current) : { kind: 'pending' };
  };
}

export function createIngestor(deps: IngestorDeps): Ingestor {
  const reject: Ingestor['reject'] = async (source, rawBody, reasonCode, reason, meta = {}) => {
    const body = withoutNul(rawBody);
    await deps.store.rejectRecord({
      source,
      externalId: meta.externalId === undefined ? undefined : withoutNul(meta.externalId),
      kind: meta.kind === undefined ? undefined : withoutNul(meta.kind),
      reasonCode,
      reason,
      body,
      contentHash: await sha256Hex(`${meta.kind ?? ''}\n${body}`),
      receivedAt: deps.now(),
    });
    deps.logger.warn('record rejected', { source, reasonCode, kind: meta.kind });
  };

  return {
    reject,
    async accept(source, record) {
      const adapter = deps.adapters.get(source);
      if (!adapter) throw new Error(`no adapter for source ${source}`);
      let mapped;
      try {
        mapped = adapter.toFragment(record);
      } catch (err) {
        const failure = describeMappingFailure(err);
        if (!failure) throw err;
        await reject(source, record.body, failure.code, failure.reason, { externalId: record.externalId || undefined, kind: record.kind });
        return { outcome: 'rejected', reasonCode: failure.code, reason: failure.reason };
      }
      if (record.body.includes('\u0000') || mapped.externalId.includes('\u0000')) {
        const reason = 'the record holds a NUL character, which no text column keeps (kept with each one shown as U+FFFD)';
        await reject(source, record.body, 'NUL_CHARACTER', reason, { externalId: mapped.externalId, kind: record.kind });
        return { outcome: 'rejected', reasonCode: 'NUL_CHARACTER', reason };
      }
      const ctx = deps.context(source);
      const sourceTime = mapped.sourceTime ?? record.sourceTime ?? toVnIso(deps.now());
      const result = await deps.store.acceptSourceRecord(
        {
          source,
          externalId: mapped.externalId,
          kind: record.kind,
          sourceTime,
          sourceTimeMs: instantMs(sourceTime),
          contentHash: await sha256Hex(`${record.kind}\n${record.body}`),
          marker: record.marker,
          body: record.body,
          fragment: mapped.fragment,
          receivedAt: deps.now(),
        },
        decideFor(adapter, ctx),
        deps.targets,
        { deliverAfterMs: ctx.deliveryDelayMs ?? 0 },
      );
      crashPoint('after-accept');
      if (result.outcome === 'changed' && !result.hold) deps.onDue?.(ctx.deliveryDelayMs ?? 0);
      if (result.outcome === 'changed') {
        deps.logger.debug('dossier changed', { source, dossierId: result.dossierId, version: result.version, hold: result.hold ?? null });
      }
      return result;
    },
  };
}
