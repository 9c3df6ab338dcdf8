import type { DeliveryConfig } from '../../contracts';
import type { GatewayError } from '../lib/errors';
import type { DeliveryCompletion } from '../store/types';

/**
 * What happens after a failed delivery: the one place that decides (STYLE.md habit 4). Transient
 * and throttled failures retry with exponential backoff and jitter, never sooner than the target's
 * Retry-After, until the retry budget is spent; then the delivery is dead, with its reason. Every
 * other class waits for an operator.
 */
export function nextAfterFailure(
  error: GatewayError,
  attempt: number,
  firstFailedAt: number | null,
  now: number,
  config: DeliveryConfig,
  random: () => number = Math.random,
): NonNullable<DeliveryCompletion['next']> {
  if (!error.retryable) return { state: 'failed' };
  const since = firstFailedAt ?? now;
  if (now - since >= config.retryBudgetHours * 3600_000) return { state: 'dead' };
  const exponential = Math.min(config.backoffMaxMs, config.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
  // "Equal jitter": at least half the backoff, so retries spread out but never collapse to zero.
  const delay = exponential / 2 + random() * (exponential / 2);
  // Whole milliseconds: PostgreSQL keeps instants in bigint columns and refuses a fraction.
  return { state: 'retrying', at: Math.ceil(now + Math.max(delay, error.retryAfterMs ?? 0)) };
}
