import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limit';

describe('rate limiter', () => {
  it('spaces calls evenly, never more than the limit in any second', async () => {
    const limiter = createRateLimiter(50);
    const times: number[] = [];
    await Promise.all(Array.from({ length: 30 }, async () => {
      await limiter.acquire();
      times.push(Date.now());
    }));
    times.sort((a, b) => a - b);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(29 * 20 - 15);
    for (let i = 0; i < times.length; i++) expect(times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length).toBeLessThanOrEqual(51);
  });

  it('holds everyone back after a Retry-After', async () => {
    const limiter = createRateLimiter(1000);
    limiter.pause(150);
    const start = Date.now();
    await limiter.acquire();
    expect(Date.now() - start).toBeGreaterThanOrEqual(140);
  });
});
