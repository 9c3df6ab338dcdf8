import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limit';

describe('createRateLimiter', () => {
  it('accepts N per second per key, then answers a Retry-After in whole seconds', () => {
    let t = 1000;
    const limiter = createRateLimiter(3, { clock: () => t });
    expect([1, 2, 3].map(() => limiter.take('a').ok)).toEqual([true, true, true]);
    const refused = limiter.take('a');
    expect(refused).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.take('b').ok).toBe(true);
    t += 1001;
    expect(limiter.take('a').ok).toBe(true);
  });

  it('can be turned off and changed at runtime', () => {
    const limiter = createRateLimiter(1, { clock: () => 0 });
    expect(limiter.take('k').ok).toBe(true);
    expect(limiter.take('k').ok).toBe(false);
    limiter.setLimit(0);
    expect(limiter.take('k').ok).toBe(true);
  });
});
