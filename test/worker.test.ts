import type { D1Database } from '@cloudflare/workers-types/index.ts';
import { readFileSync } from 'node:fs';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../sandbox';
import { sandboxConfigFile, sandboxSecrets } from '../src/runtime/sandbox-mode';
import { bundleWorker } from './support/worker-bundle';

/**
 * The gateway as a Cloudflare Worker, for real: the bundled worker runs in workerd (Miniflare) with
 * a local D1, the five simulators run here on loopback, and the land callbacks, the cron run and
 * the deliveries all cross real HTTP. Nothing reaches beyond 127.0.0.1.
 */
const lines = readFileSync(new URL('../adapters/land/fixtures/land-events.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { event: string; body: Record<string, unknown> });
const reception = lines.find((l) => l.event === 'TiepNhanHoSo')!;
const transfer = lines.find((l) => l.event === 'ChuyenHoSo')!;
const RECEIPT = String(reception.body['SoBienNhan']);

describe('the worker on workerd with D1', () => {
  let sandbox: RunningSandbox;
  let mf: Miniflare;
  let db: D1Database;
  let securityCode: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ generator: false });
    securityCode = sandbox.credentials.land.securityCode;
    const { code } = await bundleWorker();
    mf = new Miniflare({
      modules: true,
      script: code,
      scriptPath: 'worker.js',
      compatibilityDate: '2026-04-01',
      d1Databases: ['DB'],
      bindings: {
        // Events are delivered as soon as they are stored: no reorder window to wait out here.
        LIENTHONG_CONFIG_JSON: JSON.stringify(sandboxConfigFile(sandbox, { reorderWindowSeconds: 0 })),
        ...sandboxSecrets(sandbox),
        LOG_LEVEL: 'warn',
      },
    });
    await mf.ready;
    db = (await mf.getD1Database('DB')) as unknown as D1Database;
  }, 60_000);

  afterAll(async () => {
    await mf?.dispose();
    await sandbox?.close();
  });

  const callback = (event: string, body: unknown) =>
    mf.dispatchFetch(`http://gateway.test/ingest/land/${securityCode}/${event}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(body),
    });

  it('is ready once its migrations are applied to D1', async () => {
    const res = await mf.dispatchFetch('http://gateway.test/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ready', migrations: 3 });
  });

  it('stores land callbacks in D1 before answering Result 1', async () => {
    for (const { event, body } of [reception, transfer]) {
      const res = await callback(event, body);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ Result: 1, Message: 'Thành công' });
    }
    const dossier = await db.prepare('SELECT id, version, status FROM dossiers WHERE source = ? AND external_id = ?').bind('land', RECEIPT).first<{ id: number; version: number; status: string }>();
    expect(dossier).toMatchObject({ version: 2, status: 'IN_PROGRESS' });
    const records = await db.prepare('SELECT kind, status FROM source_records WHERE external_id = ? ORDER BY source_time_ms').bind(RECEIPT).all<{ kind: string; status: string }>();
    expect(records.results).toEqual([
      { kind: 'TiepNhanHoSo', status: 'applied' },
      { kind: 'ChuyenHoSo', status: 'applied' },
    ]);
    const outbox = await db.prepare('SELECT target, state, want_version FROM deliveries WHERE dossier_id = ? ORDER BY target').bind(dossier!.id).all();
    expect(outbox.results).toEqual([
      { target: 'dvcqg', state: 'pending', want_version: 2 },
      { target: 'province', state: 'pending', want_version: 2 },
    ]);
    // A resent callback changes nothing.
    expect(await (await callback(transfer.event, transfer.body)).json()).toEqual({ Result: 1, Message: 'Thành công' });
    expect((await db.prepare('SELECT COUNT(*) AS n FROM source_records').first<{ n: number }>())!.n).toBe(2);
  });

  it('refuses a wrong security code', async () => {
    const res = await mf.dispatchFetch('http://gateway.test/ingest/land/wrong-code/TiepNhanHoSo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(reception.body),
    });
    expect(res.status).toBe(401);
  });

  it('delivers the dossier and both its steps to the province and the national portal in one cron run', async () => {
    const worker = await mf.getWorker();
    const result = await worker.scheduled({ cron: '* * * * *', scheduledTime: new Date() });
    expect(result.outcome).toBe('ok');

    const atProvince = sandbox.province.sim.state.dossiers().filter((d) => d['MaHoSoNguon'] === RECEIPT);
    expect(atProvince).toHaveLength(1);
    expect(atProvince[0]!.TrangThai).toBe(4);
    expect(atProvince[0]!.TienTrinh).toHaveLength(2);
    const atPortal = sandbox.dvcqg.sim.state.dossiers().filter((d) => d.MaHoSo === atProvince[0]!.maHoSo);
    expect(atPortal).toHaveLength(1);
    expect(atPortal[0]!.TienDo).toHaveLength(2);

    const deliveries = await db.prepare('SELECT target, state, sent_version, lease_owner FROM deliveries ORDER BY target').all();
    expect(deliveries.results).toEqual([
      { target: 'dvcqg', state: 'delivered', sent_version: 2, lease_owner: null },
      { target: 'province', state: 'delivered', sent_version: 2, lease_owner: null },
    ]);
    // The polling sources were polled from inside workerd too, and gave their poll leases back.
    const polls = await db.prepare('SELECT source, last_success_at, lease_owner FROM poll_cursors ORDER BY source').all<{ source: string; last_success_at: number | null; lease_owner: string | null }>();
    expect(polls.results.map((p) => [p.source, p.last_success_at !== null, p.lease_owner])).toEqual([
      ['business-registration', true, null],
      ['civil-status', true, null],
    ]);
  });

  it('runs again with nothing to do and sends nothing twice', async () => {
    const worker = await mf.getWorker();
    expect((await worker.scheduled({ cron: '* * * * *' })).outcome).toBe('ok');
    const atProvince = sandbox.province.sim.state.dossiers().filter((d) => d['MaHoSoNguon'] === RECEIPT);
    expect(atProvince[0]!.TienTrinh).toHaveLength(2);
    expect(sandbox.dvcqg.sim.state.dossiers()[0]!.TienDo).toHaveLength(2);
  });
});
