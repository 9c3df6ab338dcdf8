/**
 * A token bucket that spaces calls to what a system accepts (province 20/s, DVCQG 5/s, civil-status
 * 10/s), so that the gateway stays below the limit instead of learning it from 429s.
 */
export interface RateLimiter {
  acquire(): Promise<void>;
  /** Holds every caller back until `ms` from now (after a 429 with Retry-After). */
  pause(ms: number): void;
}

export function createRateLimiter(perSecond: number, now: () => number = Date.now): RateLimiter {
  const interval = 1000 / perSecond;
  let next = 0;
  let pausedUntil = 0;
  return {
    async acquire() {
      const t = now();
      // Each caller books the next free slot.
      // No burst: targets count calls in a sliding second, so evenly spaced calls are the only safe ones.
      next = Math.max(next, t, pausedUntil);
      const wait = next - t;
      next += interval;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    },
    pause(ms: number) {
      pausedUntil = Math.max(pausedUntil, now() + ms);
    },
  };
}

export const unlimited: RateLimiter = { acquire: async () => {}, pause: () => {} };
