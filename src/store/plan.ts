import type { CanonicalStatus, DossierDraft, HoldReason } from '../../contracts';
import { stableStringify, stringifyWithVersion } from '../lib/hash';
import type { AcceptInput, ClaimedDelivery, CurrentDossier, Decision } from './types';

/** A source record's row as every store writes it: waiting ('pending') until its dossier is rebuilt. */
export const recordColumns = (input: AcceptInput) => ({
  source: input.source,
  externalId: input.externalId,
  kind: input.kind,
  sourceTime: input.sourceTime,
  sourceTimeMs: input.sourceTimeMs,
  contentHash: input.contentHash,
  marker: input.marker ?? null,
  body: input.body,
  fragment: JSON.stringify(input.fragment),
  status: 'pending' as const,
  receivedAt: input.receivedAt,
});

/**
 * The current dossier from its stored row. Its JSON is parsed only when read: deciding a change
 * compares the stored text, and needs the parsed dossier only when a late event would move a
 * final status back.
 */
export function currentDossier(row: { id: number; version: number; status: string; holdReason: string | null; canonical: string }): CurrentDossier {
  let canonical: DossierDraft | undefined;
  return {
    id: row.id,
    version: row.version,
    status: row.status as CanonicalStatus,
    get canonical() {
      return (canonical ??= JSON.parse(row.canonical) as DossierDraft);
    },
    holdReason: row.holdReason as HoldReason | null,
    storedCanonical: row.canonical,
  };
}

/** The dossier row's columns besides its identity and creation time, alike in every store's schema. */
export interface DossierColumns {
  sourceCode: string;
  version: number;
  status: CanonicalStatus;
  holdReason: string | null;
  holdDetail: string | null;
  nationalCode: string | null;
  localCode: string | null;
  receivedAtMs: number | null;
  canonical: string;
  updatedAt: number;
}

export type VersionPlan =
  | { kind: 'unchanged' }
  | {
      kind: 'changed';
      version: number;
      canonical: string;
      /** The dossier row's columns besides its identity and creation time. */
      row: DossierColumns;
    };

/** Whether a decision changes the dossier and, if so, its next version as stored. */
export function planVersion(decision: Extract<Decision, { kind: 'dossier' }>, current: CurrentDossier | null, now: number): VersionPlan {
  const holdReason = decision.hold?.reason ?? null;
  const withVersion = stringifyWithVersion(decision.dossier as unknown as Record<string, unknown>);
  const stored = current && (current.storedCanonical ?? stableStringify(current.canonical));
  if (current && holdReason === current.holdReason && withVersion(current.version) === stored) {
    return { kind: 'unchanged' };
  }
  const version = (current?.version ?? 0) + 1;
  const canonical = withVersion(version);
  const d = decision.dossier;
  return {
    kind: 'changed',
    version,
    canonical,
    row: {
      sourceCode: d.sourceCode,
      version,
      status: d.status,
      holdReason,
      holdDetail: decision.hold?.detail ?? null,
      nationalCode: d.procedure.nationalCode ?? null,
      localCode: d.procedure.localCode ?? null,
      receivedAtMs: d.receivedAt ? Date.parse(d.receivedAt) : null,
      canonical,
      updatedAt: now,
    },
  };
}

/**
 * A claimed delivery over its stored dossier, parsed only when read: on Node the target thread is
 * sent the stored text, and parses it there.
 */
export function claimedOver(fields: Omit<ClaimedDelivery, 'dossier' | 'canonical'>, canonical: string): ClaimedDelivery {
  let dossier: DossierDraft | undefined;
  return {
    ...fields,
    canonical,
    get dossier() {
      return (dossier ??= JSON.parse(canonical) as DossierDraft);
    },
  };
}
