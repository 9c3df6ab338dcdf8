import { canonicalDossier, statusCode, type TargetSystem } from '../../contracts';
import { GatewayError } from '../lib/errors';
import type { Logger } from '../lib/log';
import { instantMs, toDvcqgDate, toProvinceDate, toSecondIso } from '../lib/time';
import type { DriftKind, ReconcileItem, Store } from '../store/types';
import { heldStepKey, stepKey } from '../targets/steps';
import type { Gateway } from '../gateway';

/**
 * Drift: reads what each target actually holds of every delivered dossier and compares it with
 * the canonical dossier. Mismatches (missing, wrong status, missing, duplicate or out-of-order
 * steps, wrong fields) are recorded for operators, counted in metrics, and can be resynced.
 */
export interface ReconcileReport {
  target: TargetSystem;
  checked: number;
  drifted: number;
  errors: number;
}

type Finding = { kind: DriftKind; detail: string };

function stepFindings(wanted: string[], held: string[], compare: (k: string) => string = (k) => k): Finding[] {
  const counts = new Map<string, number>();
  for (const k of held) counts.set(k, (counts.get(k) ?? 0) + 1);
  const findings: Finding[] = [];
  const missing = wanted.filter((k) => !counts.has(compare(k)));
  if (missing.length) findings.push({ kind: 'missing_steps', detail: `${missing.length} of ${wanted.length} steps are missing` });
  const duplicated = [...counts.values()].filter((n) => n > 1).length;
  if (duplicated) findings.push({ kind: 'duplicate_steps', detail: `${duplicated} steps are held more than once` });
  return findings;
}

/**
 * The province shows steps in the order it received them and cannot reorder them (targets/province.md).
 * A source event that arrives after the reorder window (a land callback resent late) is therefore
 * appended after later steps, and the dossier's history reads out of time order for every clerk.
 * Sending again cannot repair it, so it stays reported until someone corrects it at the province.
 * Only the gateway's own steps are compared (the held steps whose keys the dossier has), each at its
 * first place: a step held twice is reported as duplicated, not again as out of order.
 */
function orderFindings(wanted: readonly string[], held: readonly { key: string; at: string }[]): Finding[] {
  const ours = new Set(wanted);
  let latest: { ms: number; at: string } | undefined;
  let late = 0;
  let first: { at: string; after: string } | undefined;
  for (const step of held) {
    if (!ours.delete(step.key)) continue;
    const ms = instantMs(step.at);
    if (latest && ms < latest.ms) {
      late++;
      first ??= { at: step.at, after: latest.at };
    } else latest = { ms, at: step.at };
  }
  if (!first) return [];
  return [
    {
      kind: 'out_of_order_steps',
      detail:
        `${late} step${late === 1 ? ' is' : 's are'} held after a later one (the step of ${toSecondIso(first.at)} follows the one of ${toSecondIso(first.after)}): ` +
        'the province keeps steps in the order received and cannot reorder them (a source event that arrived after the reorder window); correct the history at the province',
    },
  ];
}

async function checkProvince(gateway: Gateway, item: ReconcileItem): Promise<Finding[]> {
  const d = canonicalDossier.parse(item.dossier);
  if (!item.remoteId) return [{ kind: 'missing', detail: 'the gateway never learnt the province id of this dossier' }];
  let held;
  try {
    held = await gateway.targets.province.read(item.remoteId);
  } catch (err) {
    if (err instanceof GatewayError && err.code === 'PROVINCE_NOT_FOUND') return [{ kind: 'missing', detail: `the province no longer holds dossier ${item.remoteId}` }];
    throw err;
  }
  const findings: Finding[] = [];
  if (held.TrangThai !== statusCode(d.status)) findings.push({ kind: 'wrong_status', detail: `the province holds status ${held.TrangThai}, the dossier is ${statusCode(d.status)}` });
  const wanted = d.events.map(stepKey);
  const heldSteps = held.TienTrinh.map((s) => ({ key: heldStepKey(s.ThoiDiemXuLy, s.TrangThai, s.NoiDungXuLy), at: s.ThoiDiemXuLy }));
  findings.push(...stepFindings(wanted, heldSteps.map((s) => s.key)), ...orderFindings(wanted, heldSteps));
  const fields: [string, unknown, unknown][] = [
    ['MaTTHC', held['MaTTHC'], d.procedure.nationalCode],
    ['NgayTiepNhan', held['NgayTiepNhan'], toProvinceDate(d.receivedAt)],
    ['NgayHenTra', held['NgayHenTra'] ?? null, d.dueAt ? toProvinceDate(d.dueAt) : null],
  ];
  const wrong = fields.filter(([, a, b]) => a !== b).map(([f]) => f);
  if (wrong.length) findings.push({ kind: 'wrong_fields', detail: `fields differ: ${wrong.join(', ')}` });
  return findings;
}

async function checkDvcqg(gateway: Gateway, item: ReconcileItem): Promise<Finding[]> {
  const d = canonicalDossier.parse(item.dossier);
  // A delivered dossier's remote code at the portal is its one-stop code.
  const code = item.remoteCode;
  if (!code) return [{ kind: 'missing', detail: 'the dossier has no one-stop code' }];
  const held = await gateway.targets.dvcqg.lookup(code);
  if (!held) return [{ kind: 'missing', detail: `the national portal does not hold ${code}` }];
  const findings: Finding[] = [];
  if (held.TrangThaiHoSo !== String(statusCode(d.status))) {
    findings.push({ kind: 'wrong_status', detail: `the portal holds status ${held.TrangThaiHoSo ?? '-'}, the dossier is ${statusCode(d.status)}` });
  }
  // The portal keys steps by time and status.
  const portalKey = (k: string) => {
    const [at, status] = k.split('|');
    return `${toDvcqgDate(at!)}|${status}`;
  };
  findings.push(...stepFindings(d.events.map(stepKey), held.TienDo.map((s) => `${s.ThoiDiemXuLy}|${s.TrangThai}`), portalKey).filter((f) => f.kind === 'missing_steps'));
  const fields: [string, unknown, unknown][] = [
    ['MaTTHC', held.MaTTHC, d.procedure.nationalCode],
    ['NgayTiepNhan', held.NgayTiepNhan, toDvcqgDate(d.receivedAt)],
  ];
  const wrong = fields.filter(([, a, b]) => a !== b).map(([f]) => f);
  if (wrong.length) findings.push({ kind: 'wrong_fields', detail: `fields differ: ${wrong.join(', ')}` });
  return findings;
}

/** Checks up to `limit` delivered dossiers of one target, starting after a cursor kept in settings. */
export async function reconcileTarget(deps: { store: Store; gateway: Gateway; logger: Logger; now: () => number }, target: TargetSystem, limit: number): Promise<ReconcileReport> {
  const { store } = deps;
  const key = `reconcile-cursor:${target}`;
  let after = Number((await store.getSetting(key)) ?? 0);
  const report: ReconcileReport = { target, checked: 0, drifted: 0, errors: 0 };
  while (report.checked < limit) {
    const batch = await store.reconcileBatch({ target, afterDossierId: after, limit: Math.min(100, limit - report.checked) });
    if (batch.length === 0) {
      after = 0; // a full pass is done: the next run starts over
      break;
    }
    for (const item of batch) {
      after = item.dossierId;
      report.checked++;
      try {
        const findings = target === 'province' ? await checkProvince(deps.gateway, item) : await checkDvcqg(deps.gateway, item);
        if (findings.length) report.drifted++;
        await store.saveDrift({ dossierId: item.dossierId, target, findings, now: deps.now() });
      } catch (err) {
        report.errors++;
        deps.logger.warn('reconciliation could not read the target', { target, dossierId: item.dossierId, code: err instanceof GatewayError ? err.code : 'UNEXPECTED' });
      }
    }
  }
  await store.putSetting(key, String(after));
  return report;
}
