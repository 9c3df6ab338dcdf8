import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE_KINDS } from '../../sandbox/business-registration/hostile';
import { FAULT_KINDS } from '../../sandbox/shared/faults';
import { checkBusiness } from '../support/check-business';
import { signIn, waitFor } from '../support/gateway-process';
import { E2E_ADMIN_PASSWORD, createWorld, tamperedProblems, waitDelivered, type World } from '../support/world';

/**
 * Business registration end to end: 150 household-business and enterprise dossiers polled over
 * SOAP while they change (shared timestamps, rotating namespace prefixes, numeric character
 * references), every simulator failing a fifth of its requests with every kind of fault, the
 * gateway killed with SIGKILL twice mid-run, and the service answering every kind of XML attack
 * for a while. Checked at the simulated targets.
 */
describe('business registration end to end, with faults and across SIGKILL', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({ seed: 67, faults: { rate: 0.2, seed: 6700, kinds: [...FAULT_KINDS], slowMs: [100, 800], retryAfterSeconds: 1 } });
    world.sandbox.business.sim.setPrefixes('rotate');
  });
  afterAll(async () => {
    await world?.close();
  });

  it('delivers every mapped dossier once, each step once and in order; refuses hostile answers and harms nothing', { timeout: 290_000 }, async () => {
    const business = world.sandbox.business.sim;
    const province = world.sandbox.province.sim.state;
    let gateway = await world.startGateway();
    const started = Date.now();
    const generating = business.generator.run({ count: 150, durationMs: 20_000, changes: [1, 4], seed: 67 });

    for (const share of [30, 90]) {
      await waitFor(`the province holding ${share} business dossiers`, () => province.dossiers().length >= share, 150_000, 100);
      await gateway.kill('SIGKILL');
      gateway = await world.startGateway();
    }
    await generating;

    // Every kind of XML attack in turn, each answered to the gateway's polls for a moment: refused
    // without expanding anything, kept for an operator, and the polling goes on afterwards.
    const cookie = await signIn(gateway.url, 'admin', E2E_ADMIN_PASSWORD);
    const rejected = async () =>
      ((await (await fetch(`${gateway.url}/api/v1/sync/status`, { headers: { cookie } })).json()) as { sources: Record<string, { rejected: number }> }).sources[
        'business-registration'
      ]!.rejected;
    for (const kind of HOSTILE_KINDS) {
      const before = await rejected();
      business.setHostile(kind);
      await waitFor(`a ${kind} answer refused`, async () => (await rejected()) > before, 30_000, 200);
      business.setHostile(null);
    }

    const check = await waitDelivered('every business dossier delivered', () => checkBusiness(world.sandbox), 180_000);
    const seconds = (Date.now() - started) / 1000;
    console.log(`business e2e with faults and two SIGKILLs: ${check.expectedHeld} dossiers delivered to both targets in ${seconds.toFixed(1)} s (${(check.expectedHeld / seconds).toFixed(1)}/s)`);
    expect(check.expectedHeld).toBeGreaterThan(100);
    expect(check.expectedNotHeld).toBeGreaterThan(0);
    const counts = { business: business.faultCounts(), province: world.sandbox.province.sim.faultCounts(), dvcqg: world.sandbox.dvcqg.sim.faultCounts() };
    for (const [system, c] of Object.entries(counts)) for (const kind of FAULT_KINDS) expect(c[kind], `${system} ${kind}`).toBeGreaterThan(0);

    // Nothing moves afterwards: no late duplicate, no second copy.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(checkBusiness(world.sandbox).problems).toEqual([]);
    // The gateway is still healthy after the attacks.
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);

    // The check itself sees a duplicated step and a wrong status.
    const tampered = tamperedProblems(world.sandbox, 'business-registration', () => checkBusiness(world.sandbox));
    expect(tampered.some((p) => p.includes('province steps'))).toBe(true);
    expect(tampered.some((p) => p.includes('portal TrangThaiHoSo'))).toBe(true);
  });
});
