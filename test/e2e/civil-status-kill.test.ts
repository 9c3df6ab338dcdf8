import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCivilStatus as checkTargets } from '../support/check-civil-status';
import { createWorld, type World } from '../support/world';
import { waitFor } from '../support/gateway-process';

/** The gateway killed with SIGKILL mid-run, twice, and restarted on the same database. */
describe('civil-status end to end across SIGKILL', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({ seed: 37 });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('loses nothing and duplicates nothing', { timeout: 280_000 }, async () => {
    const province = world.sandbox.province.sim.state;
    let gateway = await world.startGateway();
    const generating = world.sandbox.civilStatus.sim.generator.run({ count: 200, durationMs: 15_000, changes: [1, 4], seed: 37 });
    for (const share of [20, 80]) {
      await waitFor(`the province holding ${share} dossiers`, () => province.dossiers().length >= share, 120_000, 100);
      await gateway.kill('SIGKILL');
      gateway = await world.startGateway();
    }
    await generating;
    const check = await waitFor('every dossier delivered', () => {
      const c = checkTargets(world.sandbox);
      return c.problems.length === 0 ? c : undefined;
    }, 200_000, 500).catch((err: Error) => {
      const last = checkTargets(world.sandbox);
      throw new Error(`${err.message}\n${last.problems.slice(0, 15).join('\n')}\n(${last.problems.length} problems)`);
    });
    expect(check.expectedHeld).toBeGreaterThan(100);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(checkTargets(world.sandbox).problems).toEqual([]);
  });
});
