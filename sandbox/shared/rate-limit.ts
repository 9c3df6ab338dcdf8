import type { Context, MiddlewareHandler } from 'hono';

/**
 * A per-key sliding-window limiter (N accepted requests in any 1-second window), answering 429
 * with `Retry-After` in whole seconds. It runs on the real clock, not a simulator's injected
 * `now`: throughput is about wall time, and a frozen business clock must not freeze the window.
 */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface RateLimiter {
  take(key: string): RateDecision;
  /** 0 turns the limit off. */
  setLimit(perSecond: number): void;
  limit(): number;
  reset(): void;
}

export function createRateLimiter(perSecond: number, options: { windowMs?: number; clock?: () => number } = {}): RateLimiter {
  const windowMs = options.windowMs ?? 1000;
  const clock = options.clock ?? (() => performance.now());
  let limit = perSecond;
  const accepted = new Map<string, number[]>();
  return {
    take(key) {
      if (limit <= 0) return { ok: true };
      const t = clock();
      const times = (accepted.get(key) ?? []).filter((at) => at > t - windowMs);
      if (times.length >= limit) {
        accepted.set(key, times);
        const freeAt = times[times.length - limit]! + windowMs;
        return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((freeAt - t) / 1000)) };
      }
      times.push(t);
      accepted.set(key, times);
      return { ok: true };
    },
    setLimit(perSecond) {
      limit = perSecond;
    },
    limit: () => limit,
    reset() {
      accepted.clear();
    },
  };
}

/** Applies `limiter` per key; a request with no key (undefined) is not limited. */
export function rateLimit(
  limiter: RateLimiter,
  key: (c: Context) => string | undefined | Promise<string | undefined>,
  onLimited: (c: Context, retryAfterSeconds: number) => Response,
): MiddlewareHandler {
  return async (c, next) => {
    const k = await key(c);
    if (k !== undefined) {
      const decision = limiter.take(k);
      if (!decision.ok) return onLimited(c, decision.retryAfterSeconds);
    }
    await next();
  };
}
