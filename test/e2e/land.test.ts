import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_KINDS } from '../../sandbox/shared/faults';
import { sandboxSecrets } from '../../src/runtime/sandbox-mode';
import { checkLand } from '../support/check-land';
import { signIn, waitFor } from '../support/gateway-process';
import { leaks } from '../support/leaks';
import { E2E_ADMIN_PASSWORD, createWorld, tamperedProblems, waitDelivered, type World } from '../support/world';

/**
 * Land callbacks end to end: 150 dossiers pushed by the land simulator on its (shortened) resend
 * schedule, with duplicates and reordered events, every simulator failing a fifth of its requests
 * with every kind of fault, the gateway killed with SIGKILL twice mid-run, and hostile callbacks
 * sent alongside. Checked at the simulated targets.
 */
describe('land end to end, with faults and across SIGKILL', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({ seed: 53, faults: { rate: 0.2, seed: 5300, kinds: [...FAULT_KINDS], slowMs: [100, 800], retryAfterSeconds: 1 } });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('delivers every mapped dossier once, each step once and in order; refuses hostile callbacks and harms nothing', { timeout: 290_000 }, async () => {
    const land = world.sandbox.land.sim;
    const province = world.sandbox.province.sim.state;
    let gateway = await world.startGateway();
    const code = world.sandbox.credentials.land.securityCode;
    const started = Date.now();
    const generating = land.generator.run({ count: 150, durationMs: 20_000, seed: 53 });

    // Hostile and bad callbacks while the real ones flow: each refused with an answer the land
    // system understands, the wrong code with nothing stored.
    const post = (path: string, body: string, type = 'application/json; charset=utf-8') =>
      fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
    const refused = [
      await post(`/ingest/land/${code}/TiepNhanHoSo`, '{"SoBienNhan": '),
      await post(`/ingest/land/${code}/TiepNhanHoSo`, JSON.stringify({ NgayTiepNhan: '2026-03-02T01:30:00' })),
      await post(`/ingest/land/${code}/XoaHoSo`, JSON.stringify({ SoBienNhan: 'VPDK-000000-0001' })),
      await post(`/ingest/land/${code}/ChuyenHoSo`, JSON.stringify({ SoBienNhan: 'VPDK-000000-0002', NgayChuyen: 42 })),
      await post(`/ingest/land/${code}/ChuyenHoSo`, 'x'.repeat(2_000_000)),
    ];
    for (const res of refused) {
      expect(res.status).toBe(400);
      const answer = (await res.json()) as { Result: number; Message: string };
      expect(answer.Result).toBe(0);
      expect(answer.Message.length).toBeGreaterThan(5);
    }
    const wrong = await post('/ingest/land/not-the-code/TiepNhanHoSo', JSON.stringify({ SoBienNhan: 'VPDK-000000-0003' }));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ Result: 0, Message: 'Sai mã bảo mật' });

    for (const share of [30, 90]) {
      await waitFor(`the province holding ${share} land dossiers`, () => province.dossiers().length >= share, 150_000, 100);
      await gateway.kill('SIGKILL');
      gateway = await world.startGateway();
    }
    await generating;
    await land.whenIdle(120_000);
    const check = await waitDelivered('every land dossier delivered', () => checkLand(world.sandbox, world.landReorderWindowSeconds), 150_000);
    const seconds = (Date.now() - started) / 1000;
    console.log(`land e2e with faults and two SIGKILLs: ${check.expectedHeld} dossiers delivered to both targets in ${seconds.toFixed(1)} s (${(check.expectedHeld / seconds).toFixed(1)}/s)`);
    expect(check.expectedHeld).toBeGreaterThan(100);
    expect(check.expectedNotHeld).toBeGreaterThan(0);

    // The faults and the land system's quirks really happened.
    const counts = { land: land.faultCounts(), province: world.sandbox.province.sim.faultCounts(), dvcqg: world.sandbox.dvcqg.sim.faultCounts() };
    for (const [system, c] of Object.entries(counts)) for (const kind of FAULT_KINDS) expect(c[kind], `${system} ${kind}`).toBeGreaterThan(0);
    const pushed = land.state.counters();
    expect(pushed.duplicatesSent, 'duplicates sent').toBeGreaterThan(0);
    expect(pushed.reordered, 'events reordered').toBeGreaterThan(0);
    expect(land.state.givenUp()).toEqual([]);

    // Nothing moves afterwards: no late duplicate, no second copy.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(checkLand(world.sandbox, world.landReorderWindowSeconds).problems).toEqual([]);

    // The bad bodies were kept for an operator, with their reasons; the wrong code left nothing.
    const cookie = await signIn(gateway.url, 'admin', E2E_ADMIN_PASSWORD);
    const status = (await (await fetch(`${gateway.url}/api/v1/sync/status`, { headers: { cookie } })).json()) as {
      sources: Record<string, { rejected: number; held: Record<string, number> }>;
    };
    expect(status.sources['land']!.rejected).toBe(refused.length);
    expect(status.sources['land']!.held['UNMAPPED_PROCEDURE']).toBe(check.expectedNotHeld);
    // The security code never reached a log line.
    expect(leaks(gateway.logs, [code, ...Object.values(sandboxSecrets(world.sandbox))])).toEqual([]);

    // The check itself sees a duplicated step and a wrong status.
    const tampered = tamperedProblems(world.sandbox, 'land', () => checkLand(world.sandbox, world.landReorderWindowSeconds));
    expect(tampered.some((p) => p.includes('province steps'))).toBe(true);
    expect(tampered.some((p) => p.includes('portal TrangThaiHoSo'))).toBe(true);
  });
});
