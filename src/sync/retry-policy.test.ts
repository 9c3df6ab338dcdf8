import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../lib/errors';
import { nextAfterFailure } from './retry-policy';

/**
 * The next attempt of a retried delivery is stored as an instant in whole milliseconds: a bigint
 * column on PostgreSQL refuses a fraction (the jitter makes one), and the whole delivery round
 * then failed there. It is never sooner than the target's Retry-After nor later than the cap.
 */
describe('nextAfterFailure', () => {
  const config = { retryBudgetHours: 24, backoffBaseMs: 2_000, backoffMaxMs: 600_000, leaseSeconds: 120 } as never;

  it('schedules a retry at a whole millisecond, within the backoff and after any Retry-After', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.option(fc.integer({ min: 0, max: 120_000 }), { nil: undefined }),
        fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }),
        (attempt, r, retryAfterMs, now) => {
          const error = new GatewayError('transient', 'PROVINCE_HTTP_503', 'province is unavailable (503)', { retryAfterMs });
          const next = nextAfterFailure(error, attempt, now - 1_000, now, config, () => r);
          expect(next.state).toBe('retrying');
          const at = (next as { at: number }).at;
          expect(Number.isInteger(at), String(at)).toBe(true);
          expect(at).toBeGreaterThanOrEqual(now + (retryAfterMs ?? 0));
          expect(at).toBeLessThanOrEqual(now + Math.max(600_000, retryAfterMs ?? 0) + 1);
        },
      ),
    );
  });

  it('leaves content refusals to an operator and ends retries once the budget is spent', () => {
    const now = Date.now();
    expect(nextAfterFailure(new GatewayError('invalid_content', 'DVCQG_ITEM_2', 'refused'), 1, null, now, config)).toEqual({ state: 'failed' });
    expect(nextAfterFailure(new GatewayError('transient', 'X', 'down'), 9, now - 25 * 3600_000, now, config)).toEqual({ state: 'dead' });
  });
});
