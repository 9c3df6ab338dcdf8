/**
 * Time at the edges. Vietnam is UTC+07:00 all year; the gateway stores instants as ISO-8601 with
 * the +07:00 offset and converts each system's own format here, and only here.
 */
import { MappingError } from './errors';

export const VN_OFFSET_MS = 7 * 3600_000;

/**
 * A bad time as the reason may quote it: only when it looks like a mistyped time (time characters
 * with a separator, or the 8 or 14 digits of the compact formats). Anything else (a sender's
 * columns shifted: a name, an e-mail, a phone number or a personal ID where a date belongs) is
 * described by its length, since the reason is answered to the sender, stored and listed.
 */
const quotable = (value: string) =>
  (/^[0-9TZ:+\-./ ]{1,40}$/.test(value) && /[:/-]/.test(value)) || /^(\d{8}|\d{14})$/.test(value) ? `"${value}"` : `a text of ${value.length} characters`;

/** A MappingError, so that a source's unreadable time is refused like any other unreadable field. */
export class TimeFormatError extends MappingError {
  override readonly name: string = 'TimeFormatError';
  constructor(
    readonly value: string,
    readonly expected: string,
  ) {
    super('BAD_TIME', `${quotable(value)} is not a time in the format ${expected}`);
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Wall-clock parts of an instant in Vietnam time. */
function vnParts(ms: number) {
  const d = new Date(ms + VN_OFFSET_MS);
  return {
    y: d.getUTCFullYear(),
    mo: d.getUTCMonth() + 1,
    d: d.getUTCDate(),
    h: d.getUTCHours(),
    mi: d.getUTCMinutes(),
    s: d.getUTCSeconds(),
    ms: d.getUTCMilliseconds(),
  };
}

/** Epoch ms of a Vietnam wall-clock time, checking that the parts form a real date. */
function fromVnWall(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, raw: string, fmt: string): number {
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const back = new Date(t);
  if (
    Number.isNaN(t) ||
    back.getUTCFullYear() !== y ||
    back.getUTCMonth() !== mo - 1 ||
    back.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59
  ) {
    throw new TimeFormatError(raw, fmt);
  }
  return t - VN_OFFSET_MS;
}

/** `2026-03-02T08:15:00+07:00` (milliseconds only when not zero). */
export function toVnIso(at: number | Date | string): string {
  const ms = typeof at === 'number' ? at : typeof at === 'string' ? instantMs(at) : at.getTime();
  const p = vnParts(ms);
  const frac = p.ms ? `.${pad(p.ms, 3)}` : '';
  return `${p.y}-${pad(p.mo)}-${pad(p.d)}T${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}${frac}+07:00`;
}

/** Epoch ms of an ISO-8601 instant with an offset. */
export function instantMs(iso: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(iso)) {
    throw new TimeFormatError(iso, 'ISO-8601 with an offset');
  }
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new TimeFormatError(iso, 'ISO-8601 with an offset');
  return t;
}

/** Normalizes any ISO instant with an offset to the gateway's +07:00 form. */
export const normalizeInstant = (iso: string): string => toVnIso(instantMs(iso));

/** civil-status: `dd/MM/yyyy HH:mm:ss`, Vietnam time. */
export function parseVnDateTime(value: string): string {
  const m = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  if (!m) throw new TimeFormatError(value, 'dd/MM/yyyy HH:mm:ss');
  const [, d, mo, y, h, mi, s] = m.map(Number) as number[];
  return toVnIso(fromVnWall(y!, mo!, d!, h!, mi!, s!, 0, value, 'dd/MM/yyyy HH:mm:ss'));
}
export function formatVnDateTime(at: number | string): string {
  const p = vnParts(typeof at === 'number' ? at : instantMs(at));
  return `${pad(p.d)}/${pad(p.mo)}/${p.y} ${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}`;
}

/** land: a .NET DateTime in UTC without an offset, `2026-03-02T01:30:00` or with fractions. */
export function parseUtcNaive(value: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(value);
  if (!m) throw new TimeFormatError(value, 'yyyy-MM-ddTHH:mm:ss[.fff] (UTC)');
  const [, y, mo, d, h, mi, s] = m.slice(0, 7).map(Number) as number[];
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  return toVnIso(fromVnWall(y!, mo!, d!, h!, mi!, s!, ms, value, 'yyyy-MM-ddTHH:mm:ss (UTC)') + VN_OFFSET_MS);
}

/** A date `yyyyMMdd` (civil-status XML) to `yyyy-MM-dd`. */
export function parseCompactDate(value: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (!m) throw new TimeFormatError(value, 'yyyyMMdd');
  fromVnWall(Number(m[1]), Number(m[2]), Number(m[3]), 0, 0, 0, 0, value, 'yyyyMMdd');
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** province: `yyyy-MM-dd HH:mm:ss`, Vietnam time. */
export function toProvinceDate(iso: string): string {
  const p = vnParts(instantMs(iso));
  return `${p.y}-${pad(p.mo)}-${pad(p.d)} ${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}`;
}
export function parseProvinceDate(value: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  if (!m) throw new TimeFormatError(value, 'yyyy-MM-dd HH:mm:ss');
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return toVnIso(fromVnWall(y!, mo!, d!, h!, mi!, s!, 0, value, 'yyyy-MM-dd HH:mm:ss'));
}

/** DVCQG: `yyyyMMddHHmmss`, Vietnam time. */
export function toDvcqgDate(iso: string | undefined): string {
  if (!iso) return '';
  const p = vnParts(instantMs(iso));
  return `${p.y}${pad(p.mo)}${pad(p.d)}${pad(p.h)}${pad(p.mi)}${pad(p.s)}`;
}
export function parseDvcqgDate(value: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value);
  if (!m) throw new TimeFormatError(value, 'yyyyMMddHHmmss');
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return toVnIso(fromVnWall(y!, mo!, d!, h!, mi!, s!, 0, value, 'yyyyMMddHHmmss'));
}

/** Second-precision ISO (the province and DVCQG keep seconds only): for comparing what a target holds. */
export const toSecondIso = (iso: string): string => toVnIso(Math.floor(instantMs(iso) / 1000) * 1000);

/** Vietnam calendar date `yyyy-MM-dd` of an instant. */
export function vnDate(ms: number): string {
  const p = vnParts(ms);
  return `${p.y}-${pad(p.mo)}-${pad(p.d)}`;
}
