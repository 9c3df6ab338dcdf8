import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_KINDS } from '../../sandbox/shared/faults';
import { checkCivilStatus as checkTargets } from '../support/check-civil-status';
import { createWorld, type World } from '../support/world';
import { waitFor } from '../support/gateway-process';

/**
 * The same 200 dossiers with every simulator failing a quarter of its requests, with every kind of
 * fault: 5xx, 429 with Retry-After, slow answers, dropped connections, and requests carried out
 * whose answer never arrives. Nothing may be lost and nothing done twice.
 */
describe('civil-status end to end with faults', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({ seed: 23, faults: { rate: 0.25, seed: 2300, kinds: [...FAULT_KINDS], slowMs: [100, 1_000], retryAfterSeconds: 1 } });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('delivers everything exactly once in effect', { timeout: 280_000 }, async () => {
    await world.startGateway();
    const started = Date.now();
    await world.sandbox.civilStatus.sim.generator.run({ count: 200, durationMs: 12_000, changes: [1, 4], seed: 23 });
    const check = await waitFor('every dossier delivered', () => {
      const c = checkTargets(world.sandbox);
      return c.problems.length === 0 ? c : undefined;
    }, 240_000, 500).catch((err: Error) => {
      const last = checkTargets(world.sandbox);
      throw new Error(`${err.message}\n${last.problems.slice(0, 15).join('\n')}\n(${last.problems.length} problems)`);
    });
    const seconds = (Date.now() - started) / 1000;
    const counts = {
      province: world.sandbox.province.sim.faultCounts(),
      dvcqg: world.sandbox.dvcqg.sim.faultCounts(),
      civilStatus: world.sandbox.civilStatus.sim.faultCounts(),
    };
    console.log(`civil-status e2e with faults: ${check.expectedHeld} dossiers in ${seconds.toFixed(1)} s (${(check.expectedHeld / seconds).toFixed(1)}/s); faults injected: ${JSON.stringify(counts)}`);
    // Every kind of fault really happened at every target.
    for (const target of [counts.province, counts.dvcqg]) {
      for (const kind of FAULT_KINDS) expect(target[kind], kind).toBeGreaterThan(0);
    }
    await new Promise((r) => setTimeout(r, 3_000));
    expect(checkTargets(world.sandbox).problems).toEqual([]);
  });
});
