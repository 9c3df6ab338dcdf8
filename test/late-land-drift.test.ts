import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../contracts';
import { startSandbox, type RunningSandbox } from '../sandbox';
import { createApp } from '../src/app';
import { bootstrapAccess } from '../src/auth/bootstrap';
import { tokenHash } from '../src/auth/credentials';
import { createGateway, type Gateway } from '../src/gateway';
import { silentLogger } from '../src/lib/log';
import { sandboxConfigFile, sandboxSecrets } from '../src/runtime/sandbox-mode';
import { openSqliteStore } from '../src/store/sqlite/store';
import type { DriftFinding, Store } from '../src/store/types';
import { createOperatorService } from '../src/sync/operator';

/**
 * A land callback that arrives after the reorder window has let the later steps go is appended
 * after them at the province, which keeps steps in the order received and cannot reorder them.
 * Against the simulated targets over real HTTP: the drift check reports it (and only it: events
 * reordered within the window are delivered in order), an operator lists it at /api/v1/drift, and a
 * resync, which cannot repair it, leaves it reported without duplicating anything.
 */
const [received, moved] = readFileSync(new URL('../adapters/land/fixtures/land-events.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { event: string; body: Record<string, unknown> }) as [
  { event: string; body: Record<string, unknown> },
  { event: string; body: Record<string, unknown> },
];

/** The fixture's dossier under another receipt number. */
const dossier = (soBienNhan: string) => ({
  received: { ...received.body, SoBienNhan: soBienNhan },
  // 10:20 UTC: after reception (09:55 UTC).
  moved: { ...moved.body, SoBienNhan: soBienNhan },
  // 10:05 UTC: between the two, sent last.
  late: { ...moved.body, SoBienNhan: soBienNhan, MaTrangThai: 'THAM_DINH', NoiDungXuLy: 'Chuyển thẩm định hồ sơ', NgayChuyen: '2026-03-05T10:05:00' },
});

describe('a land event that arrives after the reorder window', () => {
  let sandbox: RunningSandbox;
  let store: Store;
  let gateway: Gateway;
  let app: ReturnType<typeof createApp>;
  let ops: ReturnType<typeof createOperatorService>;
  let dir: string;
  const viewer = 'lt_test_drift_viewer';

  beforeAll(async () => {
    sandbox = await startSandbox({ generator: false, province: { rateLimitPerSecond: 0 }, dvcqg: { rateLimitPerSecond: 0 } });
    dir = mkdtempSync(join(tmpdir(), 'lienthong-late-land-'));
    store = openSqliteStore({ file: join(dir, 'late.db') });
    const file = sandboxConfigFile(sandbox, { reorderWindowSeconds: 1 });
    const config = resolveConfig(
      {
        ...file,
        targets: { province: { ...file.targets.province, requestsPerSecond: 1000 }, dvcqg: { ...file.targets.dvcqg, requestsPerSecond: 1000 } },
        delivery: { ...file.delivery, backoffBaseMs: 1, backoffMaxMs: 5 },
      },
      sandboxSecrets(sandbox),
    );
    gateway = createGateway({ config, store, now: Date.now, logger: silentLogger, owner: 'late-land' });
    ops = createOperatorService({ store, gateway, config, now: Date.now, logger: silentLogger });
    const { sessionSecret } = await bootstrapAccess(store, {}, silentLogger, Date.now());
    app = createApp({ store, config, now: Date.now, logger: silentLogger, version: 'test', ingestor: gateway.ingestor, ops, sessionSecret });
    await store.createToken({ name: 'viewer', role: 'viewer', tokenHash: await tokenHash(viewer), createdBy: 'test', expiresAt: null }, Date.now());
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A callback through the gateway's land route, as the land system sends it. */
  async function push(event: string, body: unknown) {
    const res = await app.request(`/ingest/land/${sandbox.credentials.land.securityCode}/${event}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(body),
    });
    expect(await res.json()).toEqual({ Result: 1, Message: 'Thành công' });
  }

  const province = () => sandbox.province.sim.state;
  const stepsAt = (soBienNhan: string) => province().findBySource(soBienNhan, 'land')?.TienTrinh.map((s) => String(s.ThoiDiemXuLy)) ?? [];

  /** Delivery rounds until the province holds `count` steps of the dossier: the reorder window is a lower bound only. */
  async function deliverUntil(soBienNhan: string, count: number) {
    const deadline = Date.now() + 60_000;
    while (stepsAt(soBienNhan).length < count) {
      if (Date.now() > deadline) throw new Error(`the province holds ${stepsAt(soBienNhan).length} steps of ${soBienNhan}, not ${count}`);
      for (const w of gateway.workers) await w.runOnce();
      await new Promise((r) => setTimeout(r, 100));
    }
    // Let the portal's deliveries, which follow the province's, finish too.
    for (let round = 0; round < 50; round++) {
      let handled = 0;
      for (const w of gateway.workers) handled += await w.runOnce();
      if (handled === 0) break;
    }
  }

  const openDrift = async () => ((await (await app.request('/api/v1/drift', { headers: { authorization: `Bearer ${viewer}` } })).json()) as { findings: DriftFinding[] }).findings;

  it('is reported at the province as steps out of order; events reordered within the window are not', { timeout: 180_000 }, async () => {
    const late = dossier('VPDK-260305-0501');
    const inWindow = dossier('VPDK-260305-0502');
    // Within the window: the later step overtakes the reception and the middle step; all arrive before any delivery.
    await push('ChuyenHoSo', inWindow.moved);
    await push('TiepNhanHoSo', inWindow.received);
    await push('ChuyenHoSo', inWindow.late);
    // Past the window: reception and the later step are delivered, then the middle step arrives.
    await push('TiepNhanHoSo', late.received);
    await push('ChuyenHoSo', late.moved);
    await deliverUntil('VPDK-260305-0501', 2);
    await deliverUntil('VPDK-260305-0502', 3);
    await push('ChuyenHoSo', late.late);
    await deliverUntil('VPDK-260305-0501', 3);

    // The province appended the late step last; the dossier within the window reads in time order.
    const ms = (xs: string[]) => xs.map((x) => Date.parse(x));
    expect(ms(stepsAt('VPDK-260305-0501'))).toEqual([Date.parse('2026-03-05T09:55:00Z'), Date.parse('2026-03-05T10:20:00.417Z') - 417, Date.parse('2026-03-05T10:05:00Z')]);
    expect(ms(stepsAt('VPDK-260305-0502'))).toEqual([...ms(stepsAt('VPDK-260305-0502'))].sort((a, b) => a - b));

    const reports = await ops.reconcile();
    expect(reports.map((r) => [r.target, r.checked, r.drifted, r.errors])).toEqual([
      ['province', 2, 1, 0],
      ['dvcqg', 2, 0, 0],
    ]);
    const findings = await openDrift();
    expect(findings.map((f) => [f.target, f.externalId, f.kind])).toEqual([['province', 'VPDK-260305-0501', 'out_of_order_steps']]);
    expect(findings[0]!.detail).toBe(
      '1 step is held after a later one (the step of 2026-03-05T17:05:00+07:00 follows the one of 2026-03-05T17:20:00+07:00): ' +
        'the province keeps steps in the order received and cannot reorder them (a source event that arrived after the reorder window); correct the history at the province',
    );
  });

  it('stays reported after a resync, which sends nothing twice', { timeout: 120_000 }, async () => {
    expect(await ops.resync('all')).toHaveLength(1);
    for (let round = 0; round < 50; round++) {
      let handled = 0;
      for (const w of gateway.workers) handled += await w.runOnce();
      if (handled === 0) break;
    }
    expect(stepsAt('VPDK-260305-0501')).toHaveLength(3);
    await ops.reconcile();
    expect((await openDrift()).map((f) => [f.target, f.externalId, f.kind])).toEqual([['province', 'VPDK-260305-0501', 'out_of_order_steps']]);
  });
});
