import type { Random } from './random';

/**
 * How every simulated source lets its dossiers happen over time: a bounded `play` of planned
 * dossiers spread over a duration (for tests and benchmarks), or an endless `stream` of new ones
 * (for `npm start`). A source's generator supplies what opening a dossier and taking its next step
 * mean; the pacer owns the clock, the timers and stopping. `stop()` bumps a generation, so a play
 * or stream started before it applies nothing more.
 */
export interface Planned {
  steps: readonly unknown[];
}

export interface PacerHooks<P extends Planned> {
  /** Creates or receives the planned dossier now; answers its code. `stamp` is the instant it happens at. */
  open(plan: P, stamp: number): string;
  /** The dossier's next planned step, now. */
  step(code: string, stamp: number): void;
  now(): number;
}

export interface PlayOptions<P extends Planned> {
  durationMs: number;
  /** Share of the duration within which a dossier opens (its steps follow within the rest). */
  opensWithin(plan: P): number;
  /**
   * With a share, runs of 2–8 consecutive changes happen at one instant, with no wait in between
   * (a reader never sees half such a batch). Without one, no random draw is spent on batching.
   */
  batchShare?: number;
}

export interface StreamOptions {
  newPerMinute: number;
  /** Each dossier's steps happen within this long after it opens. Default 90 s. */
  lifetimeMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createPacer<P extends Planned>(hooks: PacerHooks<P>) {
  let generation = 0;
  let streaming = false;
  const timers = new Set<NodeJS.Timeout>();

  const stop = () => {
    generation++;
    streaming = false;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  };

  return {
    async play(r: Random, plans: readonly P[], options: PlayOptions<P>): Promise<void> {
      const duration = Math.max(0, options.durationMs);
      type Event = { at: number; plan: P; step: number; tied: boolean };
      const events: Event[] = [];
      for (const plan of plans) {
        const opensAt = r.next() * duration * options.opensWithin(plan);
        events.push({ at: opensAt, plan, step: -1, tied: false });
        const offsets = plan.steps.map(() => opensAt + r.next() * (duration - opensAt)).sort((a, b) => a - b);
        offsets.forEach((at, step) => events.push({ at, plan, step, tied: false }));
      }
      events.sort((a, b) => a.at - b.at); // stable: a dossier's opening and steps keep their order on ties
      if (options.batchShare !== undefined) {
        for (let i = 0; i < events.length; ) {
          const size = r.chance(options.batchShare) ? r.int(2, 8) : 1;
          for (let j = i + 1; j < Math.min(i + size, events.length); j++) Object.assign(events[j]!, { at: events[i]!.at, tied: true });
          i += size;
        }
      }
      const codes = new Map<P, string>();
      const mine = generation;
      const started = performance.now();
      let sinceYield = 0;
      let stamp = 0; // set by the first event, which is never tied
      for (const event of events) {
        if (!event.tied) {
          const wait = started + event.at - performance.now();
          if (wait > 1) {
            await sleep(wait);
            sinceYield = 0;
          } else if (++sinceYield >= 100) {
            await yieldToIo();
            sinceYield = 0;
          }
          if (generation !== mine) return;
          stamp = hooks.now();
        }
        if (event.step < 0) codes.set(event.plan, hooks.open(event.plan, stamp));
        else hooks.step(codes.get(event.plan)!, stamp);
      }
    },

    stream(r: Random, options: StreamOptions, plan: (r: Random) => P): void {
      stop();
      streaming = true;
      const mine = generation;
      const lifetime = options.lifetimeMs ?? 90_000;
      const every = 60_000 / Math.max(options.newPerMinute, 0.001);
      const later = (ms: number, fn: () => void) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (generation === mine) fn();
        }, ms);
        timer.unref();
        timers.add(timer);
      };
      const tick = () => {
        const p = plan(r);
        const code = hooks.open(p, hooks.now());
        p.steps
          .map(() => r.next() * lifetime)
          .sort((a, b) => a - b)
          .forEach((ms) => later(ms, () => hooks.step(code, hooks.now())));
        later(every, tick);
      };
      later(0, tick);
    },

    stop,
    isRunning: () => streaming,
  };
}
