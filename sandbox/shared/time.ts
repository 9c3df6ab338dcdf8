/**
 * Vietnam-time formatting and parsing for the simulators. Every simulated system speaks Vietnam
 * time (UTC+07:00, no daylight saving) in its own format; the simulators keep instants as epoch ms.
 */
const VN_OFFSET_MS = 7 * 3600_000;

export interface VnParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 Sunday .. 6 Saturday */
  weekday: number;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function vnParts(ms: number): VnParts {
  const d = new Date(ms + VN_OFFSET_MS);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
  };
}

/** Epoch ms of a Vietnam wall-clock time; undefined when the parts are not a real time. */
export function vnMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  const d = new Date(utc);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return utc - VN_OFFSET_MS;
}

/** Truncates to the second, as every simulated system stores times. */
export const toSecond = (ms: number) => Math.floor(ms / 1000) * 1000;

/** `yyyy-MM-dd HH:mm:ss` (province dossier dates). */
export function formatDashed(ms: number): string {
  const p = vnParts(ms);
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

/** `dd/MM/yyyy HH:mm:ss` (civil-status). */
export function formatSlashed(ms: number): string {
  const p = vnParts(ms);
  return `${pad(p.day)}/${pad(p.month)}/${p.year} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

/** `yyyyMMddHHmmss` (DVCQG). */
export function formatCompact(ms: number): string {
  const p = vnParts(ms);
  return `${p.year}${pad(p.month)}${pad(p.day)}${pad(p.hour)}${pad(p.minute)}${pad(p.second)}`;
}

/** `yyyyMMdd` (dates inside the civil-status XML). */
export function formatDateCompact(ms: number): string {
  return formatCompact(ms).slice(0, 8);
}

/** `yyMMdd` (the date part of a one-stop dossier code). */
export function formatYyMMdd(ms: number): string {
  return formatCompact(ms).slice(2, 8);
}

/** ISO-8601 with the Vietnam offset, second precision. */
export function formatIsoVn(ms: number): string {
  const p = vnParts(ms);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}+07:00`;
}

const DASHED = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const SLASHED = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;
const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/;

export function parseDashed(text: string): number | undefined {
  const m = DASHED.exec(text);
  return m ? vnMs(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : undefined;
}

export function parseSlashed(text: string): number | undefined {
  const m = SLASHED.exec(text);
  return m ? vnMs(+m[3]!, +m[2]!, +m[1]!, +m[4]!, +m[5]!, +m[6]!) : undefined;
}

export function parseCompact(text: string): number | undefined {
  const m = COMPACT.exec(text);
  return m ? vnMs(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : undefined;
}

/** ISO-8601 that carries an offset (`Z` or `±hh:mm`); a local time without one is refused. */
export function parseIsoWithOffset(text: string): number | undefined {
  const m = ISO_WITH_OFFSET.exec(text);
  if (!m) return undefined;
  const local = vnMs(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, m[6] ? +m[6] : 0);
  if (local === undefined) return undefined;
  if (m[7] !== 'Z' && (+m[8]! > 23 || +m[9]! > 59)) return undefined;
  return Date.parse(text);
}
