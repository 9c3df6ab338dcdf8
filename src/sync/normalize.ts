import {
  canMove,
  canonicalDossier,
  dossierDraft,
  isFinished,
  type HoldReason,
  type ProcedureCatalog,
  type ProcedureMap,
  type SourceDossier,
} from '../../contracts';
import type { z } from 'zod';
import { instantMs } from '../lib/time';
import type { WorkingCalendar } from '../lib/working-time';
import type { CurrentDossier, Decision } from '../store/types';

// Built once: zod compiles a schema on its first use, and `omit` makes a new schema each call.
const draftSchema = dossierDraft.omit({ version: true });
const strictSchema = canonicalDossier.omit({ version: true });

export interface NormalizeContext {
  /** How long this source's changes wait before delivery (0 for sources that never reorder). */
  deliveryDelayMs?: number;
  procedureMap: ProcedureMap;
  catalog: ProcedureCatalog;
  calendar: WorkingCalendar;
}

/**
 * Completes what an adapter mapped with what the gateway owns: the national procedure from the
 * integrator's table, the due date from the statutory duration, completion and delivery times, the
 * rule that a status never moves backwards, and the reason a dossier is held back, if any.
 */
export function normalizeDossier(input: SourceDossier, ctx: NormalizeContext, current: CurrentDossier | null): Decision {
  // Only top-level fields are reassigned below, never changed in place: a shallow copy leaves the
  // input as it was (a deep clone was a tenth of an accepted record's cost).
  const d: SourceDossier = { ...input };
  d.events = [...d.events].sort((a, b) => instantMs(a.at) - instantMs(b.at) || a.seq - b.seq);

  let hold: { reason: HoldReason; detail: string } | null = null;
  const local = d.procedure.localCode;
  const national = d.procedure.nationalCode ?? (local !== undefined ? ctx.procedureMap[local] : undefined);
  const entry = national ? ctx.catalog[national] : undefined;
  if (national && entry) {
    d.procedure = {
      ...d.procedure,
      nationalCode: national,
      name: entry.name,
      sectorCode: entry.sectorCode,
      statutoryDays: d.procedure.statutoryDays ?? entry.statutoryDays,
    };
  } else {
    d.procedure = { ...d.procedure, nationalCode: undefined };
    hold = {
      reason: 'UNMAPPED_PROCEDURE',
      detail: national
        ? `national code ${national} (from local code ${local ?? '-'}) has no entry in the procedure catalogue`
        : `local procedure code ${local ?? '(none)'} has no national code in the ${d.source.system} mapping table`,
    };
  }

  // A late event never moves a dossier out of a final status (canonical.md).
  if (current && !canMove(current.status, d.status)) {
    d.status = current.status;
    d.rawStatus = current.canonical.rawStatus;
  }

  // Due date: the source's own, else the statutory duration from reception. A supplement pause that
  // ended moves it by the paused working time, unless the source set a new due date (which wins) or
  // moved it since the request (its dueAt no longer equals the one the pause started with).
  const statutory = !d.dueAt && d.receivedAt && d.procedure.statutoryDays !== undefined;
  let due = d.dueAt ?? (statutory ? ctx.calendar.dueDate(d.receivedAt!, d.procedure.statutoryDays!) : undefined);
  d.pauses = d.pauses.map((p) => {
    if (p.kind !== 'SUPPLEMENT' || !p.resumedAt || p.dueAfter || !due) return p;
    if (p.dueBefore === undefined ? !statutory : p.dueBefore !== due) return p;
    const before = due;
    due = ctx.calendar.extendBy(due, p.requestedAt, p.resumedAt);
    return { ...p, dueBefore: before, dueAfter: due };
  });
  if (due) d.dueAt = due;

  // Business registration's summary is "<national procedure name> - <owner name>" (canonical.md).
  if (d.sector.kind === 'business-registration' && d.procedure.name) d.summary = `${d.procedure.name} - ${d.owner.name}`;

  if (!d.completedAt && isFinished(d.status)) {
    const ready = d.events.find((e) => e.status === 'RESULT_READY');
    const finished = ready ?? d.events.find((e) => isFinished(e.status));
    d.completedAt = finished?.at ?? d.events.at(-1)?.at;
  }
  if (!d.deliveredAt && d.status === 'RESULT_DELIVERED') {
    d.deliveredAt = d.events.find((e) => e.status === 'RESULT_DELIVERED')?.at ?? d.completedAt;
  }

  // One validation in the common case: a dossier that passes the strict schema passes the draft's.
  if (!hold) {
    const strict = strictSchema.safeParse(d);
    if (strict.success) return { kind: 'dossier', dossier: strict.data, hold: null };
  }
  const draft = draftSchema.safeParse(d);
  if (!draft.success) return { kind: 'dossier', dossier: d, hold: { reason: 'INVALID', detail: firstIssue(draft.error) } };
  if (!hold && !draft.data.receivedAt) {
    hold = { reason: 'NOT_RECEIVED', detail: 'submitted but not yet received: both targets require the reception time' };
  }
  hold ??= { reason: 'INVALID', detail: firstIssue(strictSchema.safeParse(draft.data).error) };
  return { kind: 'dossier', dossier: draft.data, hold };
}

function firstIssue(error: z.ZodError | undefined): string {
  const issue = error?.issues[0];
  return `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`;
}
