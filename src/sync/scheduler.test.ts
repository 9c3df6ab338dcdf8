import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../lib/log';
import { createScheduler, type Scheduler } from './scheduler';

/**
 * Delivery workers sleep `idleMs` when they find nothing to do; new work must not wait for that.
 * Here the idle sleep is a minute, so any run seen within a second was a wake-up.
 */
const IDLE_MS = 60_000;

function fakeWorker(roundMs = 0) {
  let queued = 0;
  const runs: number[] = [];
  return {
    runs,
    queue(n: number) {
      queued += n;
    },
    async runOnce() {
      runs.push(Date.now());
      if (roundMs) await new Promise((r) => setTimeout(r, roundMs));
      const handled = queued;
      queued = 0;
      return handled;
    },
  };
}

const until = async (what: string, check: () => boolean, ms = 2_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('scheduler wake-ups', () => {
  let scheduler: Scheduler | undefined;
  afterEach(() => scheduler?.stop());

  const start = (provinceRoundMs = 0) => {
    const province = fakeWorker(provinceRoundMs);
    const portal = fakeWorker();
    scheduler = createScheduler({ workers: [province, portal], pollers: [], idleMs: IDLE_MS, logger: createLogger(() => {}, 'error') });
    scheduler.start();
    return { province, portal, scheduler };
  };

  it('wakes idle workers at once for work due now', async () => {
    const { province, scheduler: s } = start();
    await until('the first round', () => province.runs.length === 1);
    province.queue(1);
    s.wakeIn(0);
    await until('a round after the wake-up', () => province.runs.length >= 2);
  });

  it('wakes them when delayed work falls due, not before, with one timer for the earliest', async () => {
    const { province, scheduler: s } = start();
    await until('the first round', () => province.runs.length === 1);
    const asked = Date.now();
    s.wakeIn(400);
    s.wakeIn(150);
    s.wakeIn(800);
    await until('the delayed wake-up', () => province.runs.length >= 2);
    const waited = province.runs[1]! - asked;
    expect(waited).toBeGreaterThanOrEqual(140);
    expect(waited).toBeLessThan(700);
  });

  it('wakes the other workers when one has delivered something (the portal follows the province)', async () => {
    // The province's first round takes a while and delivers; the portal found nothing and sleeps.
    const { province, portal } = start(100);
    province.queue(3);
    await until('the portal woken by the province', () => portal.runs.length >= 2);
    // Its second round came after the province's first had delivered, not before.
    expect(portal.runs[1]! - province.runs[0]!).toBeGreaterThanOrEqual(95);
  });
});

describe('scheduler with pipelined workers', () => {
  it('fills again as calls settle, wakes the others once a settled call is written, and drains on stop', async () => {
    const events: string[] = [];
    let out = 0;
    let due = 6;
    const listeners: (() => void)[] = [];
    const pipelined = {
      runOnce: async () => 0,
      pipeline: {
        async fill() {
          // Two slots; each call takes 30 ms and then settles.
          const n = Math.min(2 - out, due);
          if (n <= 0) return 0;
          due -= n;
          out += n;
          events.push(`claim ${n}`);
          for (let i = 0; i < n; i++) {
            setTimeout(() => {
              out--;
              events.push('settled');
              listeners.forEach((l) => l());
            }, 30);
          }
          return n;
        },
        nextClaimIn: () => 0,
        async drain() {
          while (out > 0) await new Promise((r) => setTimeout(r, 5));
          events.push('drained');
        },
        onSettled: (l: () => void) => (listeners.push(l), () => void listeners.splice(listeners.indexOf(l), 1)),
      },
    };
    const portal = fakeWorker();
    const s = createScheduler({ workers: [pipelined, portal], pollers: [], idleMs: IDLE_MS, logger: createLogger(() => {}, 'error') });
    s.start();
    await until('all six delivered', () => due === 0 && out === 0, 3_000);
    // Without the settle wake-ups the worker would have slept a minute after its first claim.
    expect(events.filter((e) => e.startsWith('claim')).length).toBeGreaterThanOrEqual(3);
    await until('the portal woken by settled calls', () => portal.runs.length >= 2);
    due = 1;
    s.nudge();
    await until('the last claim', () => out === 1 || due === 0);
    await s.stop();
    expect(events.at(-1)).toBe('drained');
    expect(out).toBe(0);
  });
});
