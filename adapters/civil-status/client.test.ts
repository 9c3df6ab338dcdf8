import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCivilStatusSimulator, SANDBOX_CREDENTIALS, type Listening } from '../../sandbox';
import { GatewayError } from '../../src/lib/errors';
import { silentLogger } from '../../src/lib/log';
import type { PollContext, RawRecord } from '../types';
import { createCivilStatusPoller } from './client';

/** The poller against the civil-status simulator: cursors, dense seconds, changes while paging, re-login. */
const base = JSON.parse(readFileSync(new URL('./fixtures/civil-status-birth.json', import.meta.url), 'utf8'));
const T0 = Date.parse('2026-03-02T09:00:00+07:00');

describe('civil-status poller', () => {
  let clock = T0;
  const sim = createCivilStatusSimulator({ rateLimitPerSecond: 0, now: () => clock });
  let server: Listening;
  beforeAll(async () => {
    server = await sim.listen();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    sim.reset();
    clock = T0;
  });

  const config = (overrides: Partial<Parameters<typeof createCivilStatusPoller>[0]> = {}) => ({
    enabled: true,
    baseUrl: server.url,
    userName: SANDBOX_CREDENTIALS.civilStatus.userName,
    password: SANDBOX_CREDENTIALS.civilStatus.password,
    pollIntervalSeconds: 1,
    overlapSeconds: 30,
    startFrom: '2026-03-02T08:00:00+07:00',
    pageSize: 5,
    requestsPerSecond: 1000,
    timeoutMs: 2_000,
    procedureMap: {},
    ...overrides,
  });

  function context(onAccept: (r: RawRecord) => void = () => {}) {
    let cursor: unknown = null;
    const accepted: RawRecord[] = [];
    const rejected: { body: string; code: string; reason: string; meta?: { externalId?: string; kind?: string } }[] = [];
    const markers = new Map<string, string>();
    const ctx: PollContext = {
      fetch,
      now: () => clock,
      logger: silentLogger,
      loadCursor: async () => cursor,
      saveCursor: async (c) => {
        cursor = c;
      },
      lastMarker: async (id) => markers.get(id),
      reject: async (body, code, reason, meta) => void rejected.push({ body, code, reason, meta }),
      accept: async (r) => {
        accepted.push(r);
        markers.set(r.externalId, r.marker!);
        onAccept(r);
      },
    };
    return { ctx, accepted, rejected, cursor: () => cursor };
  }

  const put = (n: number, at: number) =>
    sim.state.put({ ...structuredClone(base), maHoSo: `HT-380-2603-${String(n).padStart(6, '0')}` }, at);

  it('reads a second holding more dossiers than a page, and skips what has not changed', async () => {
    for (let i = 0; i < 23; i++) put(i, T0 + 500);
    for (let i = 23; i < 30; i++) put(i, T0 + 2_000 + i * 1000);
    clock = T0 + 60_000;
    const { ctx, accepted } = context();
    const poller = createCivilStatusPoller(config());
    const report = await poller.poll(ctx);
    expect(new Set(accepted.map((r) => r.externalId)).size).toBe(30);
    expect(accepted).toHaveLength(30);
    expect(report.windowEnd).toBe('2026-03-02T09:01:00+07:00');
    expect(accepted[0]).toMatchObject({ kind: 'snapshot', sourceTime: '2026-03-02T09:00:00+07:00', marker: '02/03/2026 09:00:00' });
    // Nothing changed: the overlap re-lists recent dossiers but fetches none of them.
    clock += 5_000;
    const again = await poller.poll(ctx);
    expect(again.fetched).toBe(0);
    expect(accepted).toHaveLength(30);
  });

  it('misses nothing when dossiers change while being paged', async () => {
    for (let i = 0; i < 40; i++) put(i, T0 + i * 1000);
    clock = T0 + 100_000;
    // Each accepted dossier among the first ones changes right away, moving out of its page.
    const { ctx, accepted } = context((r) => {
      const n = Number(r.externalId.slice(-6));
      if (n % 3 === 0 && n < 30 && accepted.filter((a) => a.externalId === r.externalId).length === 1) {
        sim.state.update(r.externalId, (d) => void (d.trangThai = 6), clock);
      }
    });
    const poller = createCivilStatusPoller(config());
    await poller.poll(ctx);
    expect(new Set(accepted.map((r) => r.externalId)).size).toBe(40);
    clock += 2_000;
    await poller.poll(ctx);
    // The changed ones are read again in their new state (maybe twice: they changed within the
    // second they were read, and the store drops a repeated body by its hash).
    const changed = accepted.filter((r) => JSON.parse(r.body).trangThai === 6).map((r) => r.externalId);
    expect(new Set(changed).size).toBe(10);
  });

  it('misses no change made within the same second its detail was read', async () => {
    clock = T0 + 200;
    put(1, clock);
    const { ctx, accepted } = context();
    const poller = createCivilStatusPoller(config());
    await poller.poll(ctx);
    expect(accepted).toHaveLength(1);
    // Changed again 500 ms later: the list still shows the same whole-second ngayCapNhat.
    sim.state.update('HT-380-2603-000001', (d) => void (d.trangThai = 6), T0 + 700);
    clock = T0 + 5_000;
    await poller.poll(ctx);
    expect(accepted.map((r) => JSON.parse(r.body).trangThai)).toContain(6);
    // Once read after its second had passed, the marker is trusted: an unchanged dossier is skipped.
    const before = accepted.length;
    clock += 5_000;
    await poller.poll(ctx);
    expect(accepted).toHaveLength(before);
  });

  it('logs in again when its token is revoked, and reports bad credentials as configuration', async () => {
    put(1, T0);
    clock = T0 + 10_000;
    const { ctx, accepted } = context();
    const poller = createCivilStatusPoller(config());
    await poller.poll(ctx);
    sim.state.revokeTokens();
    put(2, clock);
    clock += 10_000;
    await poller.poll(ctx);
    expect(accepted.map((r) => r.externalId)).toEqual(['HT-380-2603-000001', 'HT-380-2603-000002']);
    const wrong = createCivilStatusPoller(config({ password: 'wrong' }));
    await expect(wrong.poll(context().ctx)).rejects.toMatchObject({ errorClass: 'configuration' });
  });

  it('keeps the cursor where it was when the source fails, so the window is read again', async () => {
    put(1, T0);
    clock = T0 + 10_000;
    sim.setFaults({ rate: 1, seed: 3, kinds: ['5xx'], paths: ['/api/hoso'] });
    const { ctx, cursor } = context();
    const poller = createCivilStatusPoller(config());
    const failure = await poller.poll(ctx).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(GatewayError);
    expect(cursor()).toBeNull();
    sim.setFaults(null);
  }, 30_000);

  /**
   * The gateway's fetch with one of the source's answers changed: a detail answered 404, or list
   * entries rewritten, as a source holding a poisoned dossier answers.
   */
  function answering(change: { notFound?: string; entry?: (e: Record<string, unknown>) => Record<string, unknown> }): typeof fetch {
    return async (input, init) => {
      const request = new Request(input, init);
      const path = new URL(request.url).pathname;
      if (change.notFound && path === `/api/hoso/${change.notFound}`) return Response.json({ errorCode: 'NOT_FOUND' }, { status: 404 });
      const res = await fetch(request);
      if (path !== '/api/hoso' || !change.entry || res.status !== 200) return res;
      const list = (await res.json()) as { value: Record<string, unknown>[] };
      return Response.json({ ...list, value: list.value.map(change.entry) });
    };
  }

  it('keeps a listed dossier whose detail answers 404 once for an operator, and reads on past it', async () => {
    for (let i = 1; i <= 4; i++) put(i, T0 + i * 1000);
    clock = T0 + 60_000;
    const gone = 'HT-380-2603-000002';
    const { ctx, accepted, rejected, cursor } = context();
    const poller = createCivilStatusPoller(config({ pageSize: 2 }), answering({ notFound: gone }));
    expect(await poller.poll(ctx)).toMatchObject({ listed: 4, fetched: 4, accepted: 3, rejected: 1 });
    expect(accepted.map((r) => r.externalId)).toEqual(['HT-380-2603-000001', 'HT-380-2603-000003', 'HT-380-2603-000004']);
    expect(cursor()).toEqual({ windowEnd: '2026-03-02T09:01:00+07:00' });
    expect(rejected).toEqual([{ body: expect.any(String), code: 'CIVIL_STATUS_DETAIL_NOT_FOUND', reason: expect.stringMatching(/02\/03\/2026 09:00:02.*answers 404/), meta: { externalId: gone, kind: 'detail' } }]);
    // The listing is part of what is kept: another dossier gone, or this one gone again at a later change, is kept apart.
    expect(JSON.parse(rejected[0]!.body)).toEqual({ listed: { maHoSo: gone, module: 'LTKS', ngayCapNhat: '02/03/2026 09:00:02' }, status: 404, answer: '{"errorCode":"NOT_FOUND"}' });
    clock += 5_000;
    expect(await poller.poll(ctx)).toMatchObject({ fetched: 0, rejected: 0 });
    expect(rejected).toHaveLength(1);
  });

  it('keeps a list entry without a readable change time once, and reads its neighbours, even when a whole page holds nothing else', async () => {
    for (let i = 1; i <= 5; i++) put(i, T0 + i * 1000);
    clock = T0 + 60_000;
    const broken = new Set(['HT-380-2603-000001', 'HT-380-2603-000002']);
    const { ctx, accepted, rejected } = context();
    const poller = createCivilStatusPoller(
      config({ pageSize: 2 }),
      answering({ entry: (e) => (broken.has(e['maHoSo'] as string) ? { ...e, ngayCapNhat: '2026-03-02 09:00:01' } : e) }),
    );
    expect(await poller.poll(ctx)).toMatchObject({ accepted: 3, rejected: 2 });
    expect(accepted.map((r) => r.externalId)).toEqual(['HT-380-2603-000003', 'HT-380-2603-000004', 'HT-380-2603-000005']);
    expect(rejected.map((r) => [r.code, r.meta?.externalId, r.meta?.kind])).toEqual([
      ['CIVIL_STATUS_UNREADABLE_ENTRY', 'HT-380-2603-000001', 'list-entry'],
      ['CIVIL_STATUS_UNREADABLE_ENTRY', 'HT-380-2603-000002', 'list-entry'],
    ]);
    expect(JSON.parse(rejected[0]!.body)).toEqual({ maHoSo: 'HT-380-2603-000001', module: 'LTKS', ngayCapNhat: '2026-03-02 09:00:01' });
    expect(rejected[0]!.reason).toMatch(/^a change list entry cannot be read \(ngayCapNhat: must be dd\/MM\/yyyy HH:mm:ss\)/);
    clock += 5_000;
    expect(await poller.poll(ctx)).toMatchObject({ accepted: 0, rejected: 0 });
    expect(rejected).toHaveLength(2);
  });

  it('passes nothing when one detail keeps failing transiently: the poll fails and the cursor stays', async () => {
    for (let i = 1; i <= 3; i++) put(i, T0 + i * 1000);
    clock = T0 + 60_000;
    sim.setFaults({ rate: 1, seed: 5, kinds: ['5xx'], paths: ['/api/hoso/HT-380-2603-000002'] });
    const { ctx, accepted, rejected, cursor } = context();
    const poller = createCivilStatusPoller(config());
    await expect(poller.poll(ctx)).rejects.toMatchObject({ code: 'CIVIL_STATUS_HTTP_503', retryable: true });
    expect(sim.faultCounts()['5xx']).toBe(5); // the first attempt and its four retries
    expect([accepted.map((r) => r.externalId), rejected, cursor()]).toEqual([['HT-380-2603-000001'], [], null]);
    sim.setFaults(null);
    await poller.poll(ctx);
    expect(accepted.map((r) => r.externalId)).toEqual(['HT-380-2603-000001', 'HT-380-2603-000002', 'HT-380-2603-000003']);
    expect(rejected).toEqual([]);
  }, 60_000);
});
