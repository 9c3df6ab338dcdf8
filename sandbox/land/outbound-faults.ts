import { FAULT_KINDS, faultConfigSchema, type FaultConfig, type FaultCounts, type FaultKind } from '../shared/faults';
import { keyedRandom } from './keyed-random';

/**
 * The shared `FaultConfig` (shared/faults.ts) applied to the land system's own sending, since
 * nothing calls it. What each kind means for a sender:
 * - `drop`: the request is sent and the land system cuts it a moment later (0–20 ms) without
 *   reading the answer, so the gateway may or may not have got it; it is resent on the schedule.
 * - `ambiguous`: the gateway answers (so it stored the event), but the land system gives up before
 *   reading the answer, as its 10 s timeout does, and resends it on the schedule.
 * - `slow`: the land system waits `slowMs` (default [300, 1500]) before sending.
 * - `5xx`, `429`: a sender receives these, it does not produce them; here they stand for the land
 *   system's own transient failure: the attempt fails before anything is sent and is retried on the
 *   schedule (like their server-side meaning, the request is not carried out).
 * `retryAfterSeconds` and `hangMs` do not apply; `max`, `methods` (always POST) and `paths` (the
 * request path, `/ingest/land/{securityCode}/{event}`) do.
 */
export interface OutboundFault {
  kind: FaultKind;
  /** `slow`: the wait before sending; `drop`: how long after sending the request is cut; else 0. */
  delayMs: number;
}

export interface OutboundFaults {
  /** The fault for one attempt, or null; `key` names the attempt so the decision does not depend on timing. */
  decide(path: string, key: readonly number[]): OutboundFault | null;
  set(config: FaultConfig | null): void;
  config(): FaultConfig | null;
  counts(): FaultCounts;
  /** Zeroes the counts and restores the initial configuration. */
  reset(): void;
}

const DROP_WINDOW_MS = 20;
const zeroCounts = (): FaultCounts => ({ '5xx': 0, '429': 0, slow: 0, drop: 0, ambiguous: 0 });

export function createOutboundFaults(initial: FaultConfig | null | undefined): OutboundFaults {
  let current: FaultConfig | null = null;
  let injected = 0;
  let counts = zeroCounts();
  const set = (config: FaultConfig | null) => {
    current = config ? faultConfigSchema.parse(config) : null;
    injected = 0;
  };
  set(initial ?? null);

  return {
    decide(path, key) {
      const config = current;
      if (!config) return null;
      if (config.max !== undefined && injected >= config.max) return null;
      if (config.methods && !config.methods.some((m) => m.toUpperCase() === 'POST')) return null;
      if (config.paths && !config.paths.some((p) => path.startsWith(p))) return null;
      const random = keyedRandom(config.seed, ...key);
      if (!random.chance(config.rate)) return null;
      const kind = random.pick(config.kinds ?? FAULT_KINDS);
      injected++;
      counts[kind]++;
      const [min, max] = config.slowMs ?? [300, 1500];
      const delayMs = kind === 'slow' ? random.int(Math.min(min, max), Math.max(min, max)) : kind === 'drop' ? random.int(0, DROP_WINDOW_MS) : 0;
      return { kind, delayMs };
    },
    set,
    config: () => current,
    counts: () => ({ ...counts }),
    reset() {
      counts = zeroCounts();
      set(initial ?? null);
    },
  };
}
