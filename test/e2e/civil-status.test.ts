import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCivilStatus as checkTargets } from '../support/check-civil-status';
import { E2E_ADMIN_PASSWORD, createWorld, type World } from '../support/world';
import { signIn, waitFor } from '../support/gateway-process';
import { leaks, personalData, unstructured } from '../support/leaks';
import { sandboxSecrets } from '../../src/runtime/sandbox-mode';

/**
 * 200 civil-status dossiers changing status over time, through the real gateway process over real
 * HTTP to the simulators, with the specification's rate limits. Checked at the simulators.
 */
describe('civil-status end to end', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({ seed: 11 });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('delivers every mapped dossier once, each step once and in order, to the province and the national portal', { timeout: 200_000 }, async () => {
    const gateway = await world.startGateway();
    const started = Date.now();
    await world.sandbox.civilStatus.sim.generator.run({ count: 200, durationMs: 12_000, changes: [1, 4], seed: 11 });
    const check = await waitFor('every dossier delivered', () => {
      const c = checkTargets(world.sandbox);
      return c.problems.length === 0 ? c : undefined;
    }, 150_000, 500).catch((err: Error) => {
      const last = checkTargets(world.sandbox);
      throw new Error(`${err.message}\n${last.problems.slice(0, 15).join('\n')}\n(${last.problems.length} problems)`);
    });
    const seconds = (Date.now() - started) / 1000;
    console.log(`civil-status e2e: ${check.expectedHeld} dossiers delivered to both targets in ${seconds.toFixed(1)} s (${(check.expectedHeld / seconds).toFixed(1)}/s)`);
    expect(check.expectedHeld).toBeGreaterThan(100);
    expect(check.expectedNotHeld).toBeGreaterThan(0);

    // Nothing moves afterwards: no late duplicate, no second copy.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(checkTargets(world.sandbox).problems).toEqual([]);

    const cookie = await signIn(gateway.url, 'admin', E2E_ADMIN_PASSWORD);
    const status = (await (await fetch(`${gateway.url}/api/v1/sync/status`, { headers: { cookie } })).json()) as {
      targets: Record<string, { counts: Record<string, number> }>;
      sources: Record<string, { held: Record<string, number> }>;
    };
    expect(status.targets['province']!.counts['delivered']).toBe(check.expectedHeld);
    expect(status.targets['dvcqg']!.counts['delivered']).toBe(check.expectedHeld);
    const held = status.sources['civil-status']!.held;
    expect((held['UNMAPPED_PROCEDURE'] ?? 0) + (held['NOT_RECEIVED'] ?? 0)).toBe(check.expectedNotHeld);

    // The run's logs (at debug level), its metrics and its error bodies carry no personal data and
    // no secret: every name, ID, phone, e-mail and address the province now holds is looked for.
    const texts = [
      ...gateway.logs,
      await (await fetch(`${gateway.url}/metrics`, { headers: { cookie } })).text(),
      await (await fetch(`${gateway.url}/api/v1/dossiers/civil-status/HT-000-0000-000000`, { headers: { cookie } })).text(),
      await (await fetch(`${gateway.url}/api/v1/sync/status`)).text(),
    ];
    const needles = personalData(world.sandbox);
    expect(needles.length).toBeGreaterThan(300);
    expect(leaks(texts, [...needles, ...Object.values(sandboxSecrets(world.sandbox)), E2E_ADMIN_PASSWORD, cookie.split('=')[1]!])).toEqual([]);
    expect(gateway.logs.length).toBeGreaterThan(100);
    expect(unstructured(gateway.logs)).toEqual([]);
  });
});
