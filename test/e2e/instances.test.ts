import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_KINDS } from '../../sandbox/shared/faults';
import { checkBusiness } from '../support/check-business';
import { checkCivilStatus } from '../support/check-civil-status';
import { checkLand } from '../support/check-land';
import { waitFor } from '../support/gateway-process';
import { TEST_PG_URL, uniqueSchema, withPg } from '../support/postgres';
import { createWorld, waitDelivered, type Check, type World } from '../support/world';

/**
 * Three gateway instances sharing one PostgreSQL database, all three sources at once (2,000
 * dossiers), every simulator failing a tenth of its requests with every kind of fault, the land
 * callbacks pushed through a round-robin balancer over the live instances, and one instance killed
 * with SIGKILL mid-run. Every dossier is delivered, no effect is duplicated at any simulator, and
 * the killed instance's claimed work is taken over by the others once its lease runs out.
 */
const LEASE_SECONDS = 10;

describe('three instances on PostgreSQL', () => {
  let world: World;
  const schema = uniqueSchema('lt_e2e');
  beforeAll(async () => {
    world = await createWorld({
      seed: 79,
      faults: { rate: 0.1, seed: 7900, kinds: [...FAULT_KINDS], slowMs: [100, 600], retryAfterSeconds: 1 },
      postgres: { url: TEST_PG_URL, schema },
      balanced: true,
      rateLimits: false,
      leaseSeconds: LEASE_SECONDS,
      // Two cores carry three instances, the simulators and 2,000 dossiers in 30 s: the land system's
      // pushes queue up, and a resend waits behind the queue while its dossier's later events pass.
      // A wide window keeps most of them in order; checkLand allows only the ones later than it.
      reorderWindowSeconds: 40,
    });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('delivers 2,000 dossiers exactly once in effect and takes over a killed instance’s work', { timeout: 600_000 }, async () => {
    const { sandbox } = world;
    const started = Date.now();
    const [first] = await Promise.all([world.startGateway(), world.startGateway(), world.startGateway()]);
    const generating = Promise.all([
      sandbox.civilStatus.sim.generator.run({ count: 700, durationMs: 30_000, changes: [1, 4], seed: 79 }),
      sandbox.land.sim.generator.run({ count: 650, durationMs: 30_000, seed: 79 }),
      sandbox.business.sim.generator.run({ count: 650, durationMs: 30_000, changes: [1, 4], seed: 79 }),
    ]);

    // Kill one instance while it holds claimed work.
    const leased = (owner: string) =>
      withPg(TEST_PG_URL, async (c) => Number((await c.query(`SELECT count(*)::int AS n FROM "${schema}".deliveries WHERE lease_owner = $1`, [owner])).rows[0].n));
    await waitFor('the first instance holding claimed deliveries', async () => (await leased(first!.instance)) > 0, 120_000, 50);
    await first!.kill('SIGKILL');
    const killedAt = Date.now();
    const orphaned = await leased(first!.instance);
    await waitFor('the killed instance’s deliveries taken over', async () => (await leased(first!.instance)) === 0, (LEASE_SECONDS + 20) * 1000, 200);
    const takeOverSeconds = (Date.now() - killedAt) / 1000;
    expect(takeOverSeconds).toBeLessThan(LEASE_SECONDS + 20);

    await generating;
    await sandbox.land.sim.whenIdle(180_000);
    const all = (): Check => {
      const parts = [checkCivilStatus(sandbox), checkLand(sandbox, world.landReorderWindowSeconds), checkBusiness(sandbox)];
      return {
        expectedHeld: parts.reduce((n, p) => n + p.expectedHeld, 0),
        expectedNotHeld: parts.reduce((n, p) => n + p.expectedNotHeld, 0),
        problems: parts.flatMap((p) => p.problems),
      };
    };
    const check = await waitDelivered('every dossier delivered by the two remaining instances', all, 420_000);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `three instances on PostgreSQL: ${check.expectedHeld} dossiers delivered to both targets in ${seconds.toFixed(1)} s (${(check.expectedHeld / seconds).toFixed(1)}/s); ` +
        `${orphaned} claimed deliveries of the killed instance taken over in ${takeOverSeconds.toFixed(1)} s (lease ${LEASE_SECONDS} s)`,
    );
    expect(check.expectedHeld + check.expectedNotHeld).toBe(2_000);
    expect(check.expectedHeld).toBeGreaterThan(1_500);
    for (const [system, c] of Object.entries({ province: sandbox.province.sim.faultCounts(), dvcqg: sandbox.dvcqg.sim.faultCounts() })) {
      for (const kind of FAULT_KINDS) expect(c[kind], `${system} ${kind}`).toBeGreaterThan(0);
    }
    // Push routes work on every instance: each one took some of the land callbacks.
    for (const g of world.gateways) expect(g.logs.filter((l) => l.includes('/ingest/land/')).length, g.instance).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(all().problems).toEqual([]);
  });
});
