import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig, type SourceSystem } from '../contracts';
import { startSandbox, type RunningSandbox } from '../sandbox';
import { createApp } from '../src/app';
import { bootstrapAccess } from '../src/auth/bootstrap';
import { tokenHash } from '../src/auth/credentials';
import { createGateway, type Gateway } from '../src/gateway';
import { silentLogger } from '../src/lib/log';
import { normalizeInstant, toVnIso } from '../src/lib/time';
import { sandboxConfigFile, sandboxSecrets } from '../src/runtime/sandbox-mode';
import { openPgStore } from '../src/store/pg/store';
import { openSqliteStore } from '../src/store/sqlite/store';
import type { RejectedGroup, RejectedRecordView, Store } from '../src/store/types';
import { createOperatorService } from '../src/sync/operator';
import { dropSchema, TEST_PG_URL, uniqueSchema } from './support/postgres';

/**
 * A poisoned dossier in a polled source must not hold every later change back. Against the
 * civil-status and business-registration simulators over real HTTP, on a real database: dossiers
 * the source itself settles as unreadable (a broken XML document, a module or a dossier type the
 * mapper refuses, a listed <HoSo> without a code, a <HoSo> written with a raw `&`) are kept for an
 * operator once, with their reason and their body as received, however often they are listed and
 * after a restart; the dossiers after them reach both targets and the cursor passes them. A
 * transient failure reading one dossier passes nothing: the poll fails, the cursor stays, and the
 * dossier and those after it arrive once the source answers again.
 */
const birth = JSON.parse(readFileSync(new URL('../adapters/civil-status/fixtures/civil-status-birth.json', import.meta.url), 'utf8')) as Record<string, unknown>;

/** The text a release of the business service writes without escaping its `&`. */
const AMPERSAND = 'Ban ve A&B';

interface Control {
  /** Business answers carry AMPERSAND raw, as a broken release would write it. */
  rawAmpersand: boolean;
  /** How the business service answers `LayHoSo` while it is failing, or null when it answers. */
  layHoSo: null | '503' | 'drop';
}

/**
 * The gateway's own fetch, through which a test plays a business release that writes one dossier's
 * `&` unescaped, or a `LayHoSo` that is overloaded or drops the connection; everything else goes to
 * the simulators unchanged.
 */
function controlledFetch(control: Control): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const action = request.headers.get('soapaction');
    if (action === '"LayHoSo"' && control.layHoSo === '503') {
      return new Response('<!DOCTYPE html><html><body><h1>503 Service Unavailable</h1></body></html>', { status: 503, headers: { 'content-type': 'text/html' } });
    }
    if (action === '"LayHoSo"' && control.layHoSo === 'drop') throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
    const res = await fetch(request);
    if (!action || !control.rawAmpersand) return res;
    const text = (await res.text()).replaceAll(AMPERSAND.replace('&', '&amp;'), AMPERSAND);
    const headers = new Headers(res.headers);
    headers.delete('content-length');
    return new Response(text, { status: res.status, headers });
  };
}

interface PollWorld {
  sandbox: RunningSandbox;
  store: Store;
  control: Control;
  /** A gateway instance on the world's database; a new one is a restart (nothing remembered in memory). */
  gateway(owner: string): Gateway;
  poll(gateway: Gateway, source: SourceSystem): ReturnType<Gateway['pollers'][number]['runner']['runOnce']>;
  drain(gateway: Gateway): Promise<void>;
  operator(path: string): Promise<unknown>;
  close(): Promise<void>;
}

async function createPollWorld(db: 'sqlite' | 'postgres'): Promise<PollWorld> {
  const sandbox = await startSandbox({
    generator: false,
    province: { rateLimitPerSecond: 0 },
    dvcqg: { rateLimitPerSecond: 0 },
    civilStatus: { rateLimitPerSecond: 0 },
    business: { rateLimitPerSecond: 0 },
  });
  const dir = mkdtempSync(join(tmpdir(), 'lienthong-poison-'));
  const schema = uniqueSchema('poison');
  const store = db === 'sqlite' ? openSqliteStore({ file: join(dir, 'poison.db') }) : await openPgStore({ url: TEST_PG_URL, schema });
  const file = sandboxConfigFile(sandbox, { startFrom: toVnIso(Date.now() - 3600_000) });
  const config = resolveConfig(
    {
      ...file,
      sources: {
        ...file.sources,
        'civil-status': { ...file.sources['civil-status'], requestsPerSecond: 1000, overlapSeconds: 600 },
        'business-registration': { ...file.sources['business-registration'], requestsPerSecond: 1000, overlapSeconds: 600 },
      },
      targets: { province: { ...file.targets.province, requestsPerSecond: 1000 }, dvcqg: { ...file.targets.dvcqg, requestsPerSecond: 1000 } },
      delivery: { ...file.delivery, backoffBaseMs: 1, backoffMaxMs: 5 },
    },
    sandboxSecrets(sandbox),
  );
  const control: Control = { rawAmpersand: false, layHoSo: null };
  const fetchImpl = controlledFetch(control);
  const gateway = (owner: string) => createGateway({ config, store, now: Date.now, logger: silentLogger, owner, fetch: fetchImpl });

  const opsGateway = gateway('operator');
  const { sessionSecret } = await bootstrapAccess(store, {}, silentLogger, Date.now());
  const app = createApp({
    store,
    config,
    now: Date.now,
    logger: silentLogger,
    version: 'test',
    ingestor: opsGateway.ingestor,
    ops: createOperatorService({ store, gateway: opsGateway, config, now: Date.now, logger: silentLogger }),
    sessionSecret,
  });
  const token = 'lt_test_poison_operator';
  await store.createToken({ name: 'operator', role: 'operator', tokenHash: await tokenHash(token), createdBy: 'test', expiresAt: null }, Date.now());

  return {
    sandbox,
    store,
    control,
    gateway,
    async poll(g, source) {
      const runner = g.pollers.find((p) => p.runner.source === source)!.runner;
      // Given up after each poll, so that the next instance (a restart) need not wait for the lease to expire.
      const report = await runner.runOnce();
      await runner.release();
      return report;
    },
    async drain(g) {
      for (let round = 0; round < 200; round++) {
        let handled = 0;
        for (const w of g.workers) handled += await w.runOnce();
        if (handled === 0) return;
      }
      throw new Error('deliveries did not settle in 200 rounds');
    },
    async operator(path) {
      const res = await app.request(path, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status, path).toBe(200);
      return res.json();
    },
    async close() {
      await store.close();
      await sandbox.close();
      if (db === 'postgres') await dropSchema(TEST_PG_URL, schema);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The open rejected records of one source, each with its body, as an operator reads them. */
async function rejectedOf(world: PollWorld, source: string): Promise<RejectedRecordView[]> {
  const { rejected } = (await world.operator('/api/v1/problems?samples=100')) as { rejected: RejectedGroup[] };
  const ids = rejected.filter((g) => g.source === source).flatMap((g) => g.samples.map((s) => s.id));
  return Promise.all(ids.map(async (id) => (await world.operator(`/api/v1/rejected/${id}`)) as RejectedRecordView));
}

/** Whether a dossier reached both targets: the province by its source code, the portal by the province's one-stop code. */
function delivered(world: PollWorld, source: SourceSystem, code: string): boolean {
  const atProvince = world.sandbox.province.sim.state.findBySource(code, source);
  return atProvince !== undefined && world.sandbox.dvcqg.sim.state.dossier(atProvince.maHoSo) !== undefined;
}

describe.each(['sqlite', 'postgres'] as const)('a poisoned dossier does not block polling (%s)', (db) => {
  let world: PollWorld;
  beforeAll(async () => {
    world = await createPollWorld(db);
  }, 60_000);
  afterAll(() => world?.close());

  it('civil-status: a detail the mapper refuses is kept once with its body, and the later dossiers reach both targets', { timeout: 120_000 }, async () => {
    const cs = world.sandbox.civilStatus.sim.state;
    const at = Date.now() - 60_000;
    const code = (n: number) => `HT-380-2603-20000${n}`;
    const put = (n: number, change: Record<string, unknown> = {}) => cs.put({ ...structuredClone(birth), maHoSo: code(n), ...change } as never, at + n * 1000);
    put(1);
    put(2, { data: '<hoTich><nycHoTen>Lê Thị Mai</nycHoTen>' }); // not well formed: the document never closes
    put(3, { module: 'LTXX' }); // no such civil-status module
    put(4);

    const first = world.gateway('poison-a');
    const reports = [];
    for (let i = 0; i < 3; i++) reports.push(await world.poll(first, 'civil-status'));
    expect(reports[0]).toMatchObject({ listed: 4, fetched: 4, accepted: 2, rejected: 2 });
    // Listed again at every poll (the overlap reaches back over them), fetched no more.
    for (const r of reports.slice(1)) expect(r).toMatchObject({ listed: 4, fetched: 0, rejected: 0 });
    // A restart forgets what it read: the poisoned details are read and refused again, and kept no second time.
    expect(await world.poll(world.gateway('poison-b'), 'civil-status')).toMatchObject({ listed: 4, rejected: 2 });

    await world.drain(first);
    expect([1, 2, 3, 4].map((n) => delivered(world, 'civil-status', code(n)))).toEqual([true, false, false, true]);
    const kept = await rejectedOf(world, 'civil-status');
    expect(kept.map((r) => [r.externalId, r.kind, r.reasonCode]).sort()).toEqual([
      [code(2), 'snapshot', 'XML_REFUSED'],
      [code(3), 'snapshot', 'BAD_FIELD'],
    ]);
    for (const r of kept) expect(r.body).toBe(JSON.stringify(cs.dossier(r.externalId!)));
    expect(kept.find((r) => r.externalId === code(2))!.reason).toMatch(/not well formed/);
    expect(kept.find((r) => r.externalId === code(3))!.reason).toMatch(/^module: /);
    expect(await world.store.getCursor('civil-status')).toMatchObject({ windowEnd: expect.any(String) });
  });

  it('business-registration: unreadable and refused <HoSo> are kept once with their text, and the later dossiers reach both targets', { timeout: 120_000 }, async () => {
    const bs = world.sandbox.business.sim.state;
    const at = Date.now() - 60_000;
    const codes: string[] = [];
    for (let n = 0; n < 5; n++) {
      const code = world.sandbox.business.sim.generator.create({ seed: 40 + n, unmappedShare: 0, pendingShare: 0, changes: [0, 0], finish: false });
      bs.update(code, () => {}, at + n * 1000);
      codes.push(code);
    }
    const [good, noCode, ampersand, badType, later] = codes as [string, string, string, string, string];
    // A listed dossier whose code is empty: it can be neither placed in the list nor read alone.
    const { ThoiDiemCapNhat: _, ...copy } = bs.dossier(noCode)!;
    bs.put({ ...copy, MaHoSo: '' }, at + 1500);
    // A document name the broken release writes with a raw `&`, in the list and in LayHoSo alike.
    bs.update(ampersand, (d) => void d.TaiLieu.push({ Ten: AMPERSAND, DuongDan: 'https://dkkd.example/f/4242' }), at + 2000);
    // A dossier type the mapper does not know.
    bs.update(badType, (d) => void (d.LoaiHoSo = 'XYZ_KHAC' as never), at + 3000);
    world.control.rawAmpersand = true;

    const first = world.gateway('poison-c');
    const reports = [];
    for (let i = 0; i < 3; i++) reports.push(await world.poll(first, 'business-registration'));
    // Six listed: the five made here and the copy without a code. The one with the raw `&` is read
    // alone with LayHoSo before it is given up.
    expect(reports[0]).toMatchObject({ listed: 6, fetched: 1, accepted: 3, rejected: 3 });
    for (const r of reports.slice(1)) expect(r).toMatchObject({ listed: 6, fetched: 0, accepted: 0, rejected: 0 });
    expect(await world.poll(world.gateway('poison-d'), 'business-registration')).toMatchObject({ listed: 6, rejected: 3 });

    await world.drain(first);
    expect(codes.map((c) => delivered(world, 'business-registration', c))).toEqual([true, true, false, false, true]);
    expect(await world.store.getCursor('business-registration')).toEqual({ at: normalizeInstant(bs.dossier(later)!.ThoiDiemCapNhat), id: later });

    const kept = await rejectedOf(world, 'business-registration');
    expect(kept.map((r) => [r.externalId ?? '-', r.kind, r.reasonCode]).sort()).toEqual(
      [
        ['-', 'listed-dossier', 'BUSINESS_UNREADABLE_DOSSIER'],
        [ampersand, 'listed-dossier', 'BUSINESS_UNREADABLE_DOSSIER'],
        [badType, 'snapshot', 'BAD_FIELD'],
      ].sort(),
    );
    const byId = (id: string | null) => kept.find((r) => r.externalId === id)!;
    // Each body is the <HoSo> exactly as the service listed it.
    expect(byId(null).body).toBe(bs.xml(''));
    expect(byId(null).reason).toMatch(/^a listed <HoSo> cannot be read \(MaHoSo: .*\); it names no dossier code/);
    expect(byId(ampersand).body).toBe(bs.xml(ampersand)!.replace(AMPERSAND.replace('&', '&amp;'), AMPERSAND));
    expect(byId(ampersand).reason).toMatch(/not well formed.*; read alone: LayHoSo answers XML_REFUSED/);
    expect(byId(badType).body).toBe(bs.xml(badType));
    expect(good).toBeTruthy();
    world.control.rawAmpersand = false;
  });
});

describe('a transient failure reading one dossier passes nothing', () => {
  let world: PollWorld;
  beforeAll(async () => {
    world = await createPollWorld('sqlite');
  }, 60_000);
  afterAll(() => world?.close());

  it('civil-status: 5xx, 429 and dropped connections on one detail fail the poll and keep the cursor; the dossiers arrive once it answers', { timeout: 180_000 }, async () => {
    const cs = world.sandbox.civilStatus.sim;
    const at = Date.now() - 60_000;
    const code = (n: number) => `HT-380-2603-30000${n}`;
    for (const n of [1, 2, 3]) cs.state.put({ ...structuredClone(birth), maHoSo: code(n) } as never, at + n * 1000);
    const g = world.gateway('transient-a');
    const cursor = await world.store.getCursor('civil-status');
    for (const kind of ['5xx', '429', 'drop'] as const) {
      cs.setFaults({ rate: 1, seed: 3, kinds: [kind], paths: [`/api/hoso/${code(2)}`] });
      expect(await world.poll(g, 'civil-status'), kind).toBeNull();
      expect(cs.faultCounts()[kind], kind).toBeGreaterThan(0);
      expect(await world.store.getCursor('civil-status'), kind).toEqual(cursor);
      // The dossier before it is stored; it and the one after it wait; nothing is kept as poisoned.
      expect(await world.store.getDossierView('civil-status', code(1)), kind).not.toBeNull();
      expect(await world.store.getDossierView('civil-status', code(2)), kind).toBeNull();
      expect(await world.store.getDossierView('civil-status', code(3)), kind).toBeNull();
      expect(await rejectedOf(world, 'civil-status'), kind).toEqual([]);
      const status = (await world.store.syncStatus(Date.now())).sources['civil-status']!;
      expect(status.lastError, kind).toMatch(/^CIVIL_STATUS_/);
    }
    cs.setFaults(null);
    expect(await world.poll(g, 'civil-status')).toMatchObject({ accepted: 2, rejected: 0 });
    await world.drain(g);
    expect([1, 2, 3].map((n) => delivered(world, 'civil-status', code(n)))).toEqual([true, true, true]);
    expect(await world.store.getCursor('civil-status')).not.toEqual(cursor);
  });

  it('business-registration: an unreadable <HoSo> is not given up while LayHoSo is down; once it answers, it is kept and the next one flows', { timeout: 180_000 }, async () => {
    const bs = world.sandbox.business.sim;
    const at = Date.now() - 60_000;
    const [before, poisoned, after] = [0, 1, 2].map((n) => {
      const code = bs.generator.create({ seed: 60 + n, unmappedShare: 0, pendingShare: 0, changes: [0, 0], finish: false });
      bs.state.update(code, () => {}, at + n * 1000);
      return code;
    }) as [string, string, string];
    bs.state.update(poisoned, (d) => void d.TaiLieu.push({ Ten: AMPERSAND, DuongDan: 'https://dkkd.example/f/4343' }), at + 1000);
    world.control.rawAmpersand = true;
    const g = world.gateway('transient-b');
    const cursor = await world.store.getCursor('business-registration');
    for (const kind of ['503', 'drop'] as const) {
      world.control.layHoSo = kind;
      expect(await world.poll(g, 'business-registration'), kind).toBeNull();
      expect(await world.store.getCursor('business-registration'), kind).toEqual(cursor);
      expect(await world.store.getDossierView('business-registration', before), kind).not.toBeNull();
      expect(await world.store.getDossierView('business-registration', after), kind).toBeNull();
      expect(await rejectedOf(world, 'business-registration'), kind).toEqual([]);
      const status = (await world.store.syncStatus(Date.now())).sources['business-registration']!;
      expect(status.lastError, kind).toMatch(kind === '503' ? /^BUSINESS_REGISTRATION_HTTP_503/ : /^BUSINESS_REGISTRATION_/);
    }
    world.control.layHoSo = null;
    expect(await world.poll(g, 'business-registration')).toMatchObject({ accepted: 1, rejected: 1 });
    await world.drain(g);
    expect([before, poisoned, after].map((c) => delivered(world, 'business-registration', c))).toEqual([true, false, true]);
    expect((await rejectedOf(world, 'business-registration')).map((r) => [r.externalId, r.reasonCode])).toEqual([[poisoned, 'BUSINESS_UNREADABLE_DOSSIER']]);
    expect(await world.store.getCursor('business-registration')).toEqual({ at: normalizeInstant(bs.state.dossier(after)!.ThoiDiemCapNhat), id: after });
  });
});
