import { vnMs, vnParts } from '../shared/time';

/**
 * The land system's times: .NET `DateTime` values of kind Unspecified, serialized in UTC without
 * an offset (`2026-03-02T01:30:00`). The serializer writes the fraction as `FFFFFFF`: up to seven
 * digits of 100-ns ticks with trailing zeros trimmed, and nothing at all when it is zero, so one
 * system sends `…:00`, `…:00.4`, `…:00.417` and `…:00.4173621` side by side.
 */
export function formatDotNetUtc(ms: number, extraTicks = 0): string {
  const d = new Date(ms);
  const base = d.toISOString().slice(0, 19);
  const ticks = d.getUTCMilliseconds() * 10_000 + extraTicks;
  return ticks === 0 ? base : `${base}.${String(ticks).padStart(7, '0').replace(/0+$/, '')}`;
}

const DAY = 86_400_000;
const isWorkday = (ms: number) => {
  const weekday = vnParts(ms).weekday;
  return weekday >= 1 && weekday <= 5;
};

/**
 * 17:00 Vietnam time (10:00 UTC, how the land system writes due dates) of the `days`-th working
 * day after `from`; a start after 17:00 or on a day off counts from the next working day
 * (rules.md). Holidays are left out: they come from the gateway's configuration, not the source.
 */
export function dueAfterWorkingDays(from: number, days: number): number {
  let t = from;
  if (!isWorkday(t) || vnParts(t).hour >= 17) {
    do t += DAY;
    while (!isWorkday(t));
  }
  for (let i = 0; i < days; i++) {
    do t += DAY;
    while (!isWorkday(t));
  }
  const p = vnParts(t);
  return vnMs(p.year, p.month, p.day, 17)!;
}
