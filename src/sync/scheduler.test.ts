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
