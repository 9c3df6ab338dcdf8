import type { CanonicalStatus } from '../../contracts';
import { stableStringify, stringifyWithVersion } from '../lib/hash';
import type { CurrentDossier, Decision } from './types';

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

