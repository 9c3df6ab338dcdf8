import { describe, expect, it } from 'vitest';
import { cccdMatches, makeCccd, makePerson, THANH_HOA_COMMUNES } from './people';
import { createRandom } from './random';

describe('people', () => {
  it('issues CCCDs that agree with birth year and sex, with the province code (often leading 0)', () => {
    const r = createRandom(5);
    const people = Array.from({ length: 300 }, () => makePerson(r, { birthYears: [1940, 2006] }));
    for (const p of people) {
      expect(p.cccd).toMatch(/^\d{12}$/);
      expect(p.cccd.slice(0, 3)).toBe(p.provinceCode);
      expect(cccdMatches(p.cccd, p.birthDate.year, p.sex)).toBe(true);
      if (p.cmnd) expect(p.cmnd).toMatch(/^\d{9}$/);
      expect(p.phone).toMatch(/^0[398]\d{8}$/);
      expect(p.fullName.split(' ').length).toBeGreaterThanOrEqual(3);
    }
    expect(people.filter((p) => p.cccd.startsWith('0')).length).toBe(people.length);
    expect(people.some((p) => p.cmnd)).toBe(true);
  });

  it('uses the century/sex digits of the spec', () => {
    const r = createRandom(1);
    expect(makeCccd(r, '038', 1990, 'F').slice(0, 6)).toBe('038190');
    expect(makeCccd(r, '001', 1985, 'M').slice(0, 6)).toBe('001085');
    expect(makeCccd(r, '079', 2003, 'M').slice(0, 6)).toBe('079203');
    expect(makeCccd(r, '038', 2000, 'F').slice(0, 6)).toBe('038300');
  });

  it('lists Thanh Hóa communes with agency codes carrying H56', () => {
    expect(THANH_HOA_COMMUNES.length).toBeGreaterThan(5);
    for (const c of THANH_HOA_COMMUNES) expect(c.agencyCode).toMatch(/^[0-9.]+\.H56$/);
    expect(THANH_HOA_COMMUNES.find((c) => c.agencyCode === '000.00.16.H56')?.agencyName).toBe('UBND xã Quảng Phú');
  });
});
