import { describe, expect, it } from 'vitest';
import {
  TimeFormatError,
  formatVnDateTime,
  parseCompactDate,
  parseDvcqgDate,
  parseProvinceDate,
  parseUtcNaive,
  parseVnDateTime,
  toDvcqgDate,
  toProvinceDate,
  toVnIso,
} from './time';

describe('time at the edges', () => {
  it('reads land UTC times without an offset as UTC and stores Vietnam time', () => {
    expect(parseUtcNaive('2026-03-02T01:30:00')).toBe('2026-03-02T08:30:00+07:00');
    expect(parseUtcNaive('2026-03-05T10:20:00.417')).toBe('2026-03-05T17:20:00.417+07:00');
    expect(parseUtcNaive('2026-03-02T20:00:00')).toBe('2026-03-03T03:00:00+07:00');
  });

  it('reads civil-status dd/MM/yyyy as Vietnam time', () => {
    expect(parseVnDateTime('02/03/2026 08:05:10')).toBe('2026-03-02T08:05:10+07:00');
    expect(formatVnDateTime('2026-03-02T01:05:10Z')).toBe('02/03/2026 08:05:10');
  });

  it('writes the province and DVCQG formats in Vietnam time whatever the input offset', () => {
    expect(toProvinceDate('2026-03-16T08:00:00Z')).toBe('2026-03-16 15:00:00');
    expect(toDvcqgDate('2026-03-02T08:30:00+07:00')).toBe('20260302083000');
    expect(toDvcqgDate(undefined)).toBe('');
    expect(parseProvinceDate('2026-03-16 15:00:00')).toBe('2026-03-16T15:00:00+07:00');
    expect(parseDvcqgDate('20260302083000')).toBe('2026-03-02T08:30:00+07:00');
  });

  it('refuses impossible or malformed times with a typed error', () => {
    expect(() => parseVnDateTime('31/02/2026 08:00:00')).toThrow(TimeFormatError);
    expect(() => parseVnDateTime('2026-03-02 08:00:00')).toThrow(TimeFormatError);
    expect(() => parseUtcNaive('2026-03-02T01:30:00Z')).toThrow(TimeFormatError);
    expect(() => parseCompactDate('20261301')).toThrow(TimeFormatError);
    expect(parseCompactDate('20260225')).toBe('2026-02-25');
  });

  it('normalizes to +07:00 with milliseconds only when present', () => {
    expect(toVnIso(Date.UTC(2026, 0, 1, 17, 0, 0))).toBe('2026-01-02T00:00:00+07:00');
    expect(toVnIso(Date.UTC(2026, 0, 1, 17, 0, 0, 5))).toBe('2026-01-02T00:00:00.005+07:00');
  });
});
