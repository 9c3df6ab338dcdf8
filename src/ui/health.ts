import type { DeliveryStats, SourceStatus, TargetStatus } from '../store/types';

/**
 * Green / amber / red for the overview. A target is judged by how long its oldest undelivered
 * change has waited and by its recent error rate; a source by how fresh its data is and whether
 * anything was refused or is held back.
 */
export type Light = 'green' | 'amber' | 'red';

export interface TargetHealth {
  light: Light;
  oldestMinutes: number | null;
  errorRate: number;
  reasons: string[];
}

export function targetHealth(t: TargetStatus, attempts: { delivered: number; failed: number }): TargetHealth {
  const oldest = t.oldestPendingMs === null ? null : t.oldestPendingMs / 60_000;
  const total = attempts.delivered + attempts.failed;
  const errorRate = total === 0 ? 0 : attempts.failed / total;
  const reasons: string[] = [];
  let light: Light = 'green';
  const raise = (to: Light, why: string) => {
    reasons.push(why);
    if (to === 'red' || light === 'green') light = to;
  };
  if (t.counts.dead > 0) raise('red', `${t.counts.dead} dead`);
  if (oldest !== null && oldest >= 60) raise('red', `oldest change ${Math.round(oldest)} min`);
  else if (oldest !== null && oldest >= 10) raise('amber', `oldest change ${Math.round(oldest)} min`);
  if (errorRate >= 0.5 && total >= 10) raise('red', `${Math.round(errorRate * 100)}% errors`);
  else if (errorRate >= 0.1 && total >= 10) raise('amber', `${Math.round(errorRate * 100)}% errors`);
  if (t.counts.failed > 0) raise('amber', `${t.counts.failed} waiting for an operator`);
  return { light, oldestMinutes: oldest, errorRate, reasons };
}

export function sourceHealth(s: SourceStatus, transport: 'push' | 'poll', pollIntervalMs: number, now: number): { light: Light; reasons: string[] } {
  const reasons: string[] = [];
  let light: Light = 'green';
  const raise = (to: Light, why: string) => {
    reasons.push(why);
    if (to === 'red' || light === 'green') light = to;
  };
  if (transport === 'poll') {
    const since = s.lastSuccessAt === null ? Infinity : now - s.lastSuccessAt;
    if (since > Math.max(30 * 60_000, 20 * pollIntervalMs)) raise('red', s.lastSuccessAt === null ? 'never polled successfully' : 'no successful poll for a long time');
    else if (since > 5 * pollIntervalMs) raise('amber', 'polls are failing');
    if (s.lastError && s.lastPollAt !== null && s.lastPollAt > (s.lastSuccessAt ?? 0)) raise('amber', 'the last poll failed');
  }
  if (s.rejected > 0) raise('amber', `${s.rejected} rejected`);
  if ((s.held.UNMAPPED_PROCEDURE ?? 0) > 0) raise('amber', `${s.held.UNMAPPED_PROCEDURE} unmapped`);
  if ((s.held.INVALID ?? 0) > 0) raise('amber', `${s.held.INVALID} invalid`);
  return { light, reasons };
}

/** Attempts per target in the last hour, from the hourly throughput buckets. */
export function lastHour(stats: DeliveryStats, target: string, now: number) {
  const rows = stats.throughput.filter((r) => r.target === target && r.bucketStart >= now - 2 * 3600_000);
  const latest = rows.filter((r) => r.bucketStart >= now - 3600_000);
  const use = latest.length ? latest : rows.slice(-1);
  return use.reduce((a, r) => ({ delivered: a.delivered + r.delivered, failed: a.failed + r.failed }), { delivered: 0, failed: 0 });
}
