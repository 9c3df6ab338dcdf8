import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperatorService } from '../src/sync/operator';
import { silentLogger } from '../src/lib/log';
import { createEngine, type Engine } from './support/engine';

/**
 * Drift: a dossier changed behind the gateway's back at each target is found by reading the
 * targets, and the resync repairs it (checked at the simulators).
 */
const birth = readFileSync(new URL('../adapters/civil-status/fixtures/civil-status-birth.json', import.meta.url), 'utf8');

describe('drift detection and resync', () => {
  let e: Engine;
  let ops: ReturnType<typeof createOperatorService>;
  beforeAll(async () => {
    e = await createEngine();
    ops = createOperatorService({ store: e.store, gateway: e.gateway, config: { reconcile: { intervalMinutes: 0, maxPerRun: 1000 }, procedures: {} } as never, now: Date.now, logger: silentLogger });
    for (let i = 1; i <= 3; i++) {
      const code = `HT-380-2603-00000${i}`;
      await e.gateway.ingestor.accept('civil-status', { externalId: '', kind: 'snapshot', sourceTime: '2026-03-02T10:41:00+07:00', body: birth.replace('HT-380-2603-000117', code) });
    }
    await e.drain();
  });
  afterAll(() => e.close());

  const province = () => e.sandbox.province.sim.state;
  const portal = () => e.sandbox.dvcqg.sim.state;

  it('finds nothing when the targets hold what the gateway sent', async () => {
    expect(province().dossiers()).toHaveLength(3);
    const reports = await ops.reconcile();
    expect(reports.map((r) => [r.target, r.checked, r.drifted, r.errors])).toEqual([
      ['province', 3, 0, 0],
      ['dvcqg', 3, 0, 0],
    ]);
    expect(await e.store.openDrift()).toEqual([]);
  });

  it('finds each kind of change made behind its back, and the resync repairs it', async () => {
    // Deliveries run concurrently, so the province's numbering need not follow the source codes.
    const bySource = (i: number) => province().findBySource(`HT-380-2603-00000${i}`, 'civil-status')!;
    const [a, b, c] = [bySource(1), bySource(2), bySource(3)];
    // At the province: a step lost, a status changed, a step appended twice.
    province().tamper(a!.idHoSo, (d) => void d.TienTrinh.pop());
    province().tamper(b!.idHoSo, (d) => void (d.fields['TrangThai'] = 4));
    province().tamper(c!.idHoSo, (d) => void d.TienTrinh.push({ ...d.TienTrinh[0]! }));
    // At the national portal: the status of one changed, another one's steps lost.
    portal().tamper(a!.maHoSo, (d) => void (d.fields['TrangThaiHoSo'] = '2'));
    portal().tamper(b!.maHoSo, (d) => void (d.TienDo = []));

    await ops.reconcile();
    const found = (await e.store.openDrift()).map((f) => `${f.target}:${f.externalId.slice(-1)}:${f.kind}`).sort();
    expect(found).toEqual(['dvcqg:1:wrong_status', 'dvcqg:2:missing_steps', 'province:1:missing_steps', 'province:2:wrong_status', 'province:3:duplicate_steps'].sort());

    const resynced = await ops.resync('all');
    expect(resynced).toHaveLength(5);
    await e.drain();
    expect(province().dossier(a!.idHoSo)!.TienTrinh).toHaveLength(2);
    expect(province().dossier(b!.idHoSo)!['TrangThai']).toBe(9);
    expect(portal().dossier(a!.maHoSo)!['TrangThaiHoSo']).toBe('9');
    expect(portal().dossier(b!.maHoSo)!.TienDo).toHaveLength(2);

    await ops.reconcile();
    // A step appended twice cannot be removed through the province's API: it stays reported.
    expect((await e.store.openDrift()).map((f) => `${f.target}:${f.kind}`)).toEqual(['province:duplicate_steps']);
  });
});
