import { describe, expect, it } from 'vitest';
import { createRandom } from './random';

describe('createRandom', () => {
  it('replays the same stream from the same seed and differs across seeds', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const c = createRandom(43);
    const seqA = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(seqA);
  });

  it('keeps int within both bounds and reaches both', () => {
    const r = createRandom(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const n = r.int(3, 7);
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(7);
      seen.add(n);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
  });

  it('shuffles without losing items, keeps leading zeros in digits, honours weights', () => {
    const r = createRandom(9);
    expect(r.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
    const d = Array.from({ length: 200 }, () => r.digits(6));
    expect(d.every((x) => /^\d{6}$/.test(x))).toBe(true);
    expect(d.some((x) => x.startsWith('0'))).toBe(true);
    const picks = Array.from({ length: 1000 }, () => r.weighted([['a', 9], ['b', 1]] as const));
    expect(picks.filter((p) => p === 'a').length).toBeGreaterThan(800);
  });
});
