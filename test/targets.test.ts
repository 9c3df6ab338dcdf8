import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { canonicalDossier, type DossierDraft } from '../contracts';
import { createDvcqgSimulator, createProvinceSimulator, type Listening, SANDBOX_CREDENTIALS } from '../sandbox';
import { NATIONAL_CATALOG } from '../sandbox/catalog';
import type { ClaimedDelivery, DeliveryProgress } from '../src/store/types';
import { createDvcqgClient } from '../src/targets/dvcqg';
import { createProvinceClient } from '../src/targets/province';
import { makeDossier } from './support/dossier';

/**
 * The target clients against the simulators, one failure mode at a time, checked at the simulator.
 */
const fresh = (): DeliveryProgress => ({ remoteId: null, remoteCode: null, remoteStatus: null, remoteFieldsHash: null, remoteSteps: [], uncertain: false });
const events = [
  { seq: 0, at: '2026-03-02T08:05:10+07:00', actor: 'Phạm Thu Trang', content: 'Tiếp nhận hồ sơ', status: 'IN_PROGRESS' as const },
  { seq: 1, at: '2026-03-02T10:41:00+07:00', actor: 'Phạm Thu Trang', content: 'Đã đăng ký khai sinh', status: 'RESULT_READY' as const },
];
function work(id: number, overrides: Partial<DossierDraft> = {}, progress = fresh(), upstreamCode: string | null = null): ClaimedDelivery {
  const externalId = `HT-380-2603-${String(id).padStart(6, '0')}`;
  const dossier = canonicalDossier.parse({
    ...makeDossier({ source: { system: 'civil-status', externalId }, sourceCode: externalId, events: [events[0]!] }),
    version: 1,
    ...overrides,
  });
  return { id, dossierId: id, target: 'province', version: 1, dossier, holdReason: null, progress, attempts: 0, firstFailedAt: null, upstreamCode };
}

describe('province client', () => {
  const sim = createProvinceSimulator({ rateLimitPerSecond: 0 });
  let server: Listening;
  let client: ReturnType<typeof createProvinceClient>;
  const config = { clientId: SANDBOX_CREDENTIALS.province.clientId, clientSecret: SANDBOX_CREDENTIALS.province.clientSecret, requestsPerSecond: 1000, concurrency: 4, timeoutMs: 1_000 };
  beforeAll(async () => {
    server = await sim.listen();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    sim.reset();
    sim.setFaults(null);
    // A fresh client per test: the simulator's reset forgets the tokens it issued.
    client = createProvinceClient({ ...config, baseUrl: server.url });
  });
  const held = (id: number) => sim.state.findBySource(`HT-380-2603-${String(id).padStart(6, '0')}`, 'civil-status');

  it('creates, then sends only new steps and the status', async () => {
    const [first] = await client.deliver([work(1)]);
    expect(first!.error).toBeUndefined();
    expect(first!.operations).toEqual(['create', 'steps:1']);
    const [second] = await client.deliver([work(1, { events, status: 'RESULT_READY', completedAt: events[1]!.at }, first!.progress)]);
    expect(second!.error).toBeUndefined();
    // Only the status changed among the dossier's fields: no update call, just the new step and the status.
    expect(second!.operations).toEqual(['steps:1', 'status']);
    const d = held(1)!;
    expect(d.TienTrinh.map((s) => s['NoiDungXuLy'])).toEqual(['Tiếp nhận hồ sơ', 'Đã đăng ký khai sinh']);
    expect(d['TrangThai']).toBe(9);
    expect(d['NgayKetThucXuLy']).toBe('2026-03-02 10:41:00');
  });

  it('adopts a create that was carried out but whose answer was lost, without a second dossier or step', async () => {
    sim.setFaults({ rate: 1, seed: 1, kinds: ['ambiguous'], max: 1, methods: ['POST'], paths: ['/api/v1/hoso'] });
    const [lost] = await client.deliver([work(2)]);
    expect(lost!.error?.errorClass).toBe('transient');
    expect(lost!.progress.uncertain).toBe(true);
    expect(sim.state.dossiers()).toHaveLength(1);
    const [retried] = await client.deliver([work(2, {}, lost!.progress)]);
    expect(retried!.error).toBeUndefined();
    expect(retried!.operations.slice(0, 2)).toEqual(['lookup', 'read']);
    expect(sim.state.dossiers()).toHaveLength(1);
    expect(held(2)!.TienTrinh).toHaveLength(1);
  });

  it('takes the code from 409 HOSO_DA_TON_TAI when a lost create is retried blind', async () => {
    sim.setFaults({ rate: 1, seed: 1, kinds: ['ambiguous'], max: 1, methods: ['POST'], paths: ['/api/v1/hoso'] });
    const [lost] = await client.deliver([work(3)]);
    const [retried] = await client.deliver([work(3, {}, { ...lost!.progress, uncertain: false })]);
    expect(retried!.error).toBeUndefined();
    expect(retried!.operations).toContain('read');
    expect(retried!.progress.remoteCode).toBe(held(3)!.maHoSo);
    expect(held(3)!.TienTrinh).toHaveLength(1);
  });

  it('never appends a step twice when the step call was carried out but timed out', async () => {
    const [created] = await client.deliver([work(4)]);
    sim.setFaults({ rate: 1, seed: 1, kinds: ['ambiguous'], max: 1, paths: ['/api/v1/hoso/'], methods: ['POST'] });
    const next = work(4, { events, status: 'RESULT_READY', completedAt: events[1]!.at }, created!.progress);
    const [lost] = await client.deliver([next]);
    expect(lost!.error).toBeDefined();
    expect(held(4)!.TienTrinh).toHaveLength(2);
    const [retried] = await client.deliver([{ ...next, progress: lost!.progress }]);
    expect(retried!.error).toBeUndefined();
    expect(retried!.operations).not.toContain('steps:1');
    expect(held(4)!.TienTrinh).toHaveLength(2);
  });

  it('gets a new token when the old one is refused', async () => {
    const [a] = await client.deliver([work(5)]);
    sim.state.revokeTokens();
    const [b] = await client.deliver([work(5, { events, status: 'RESULT_READY', completedAt: events[1]!.at }, a!.progress)]);
    expect(b!.error).toBeUndefined();
  });

  it('classifies refusals: invalid content names the field, throttling carries Retry-After, bad credentials are configuration', async () => {
    const [bad] = await client.deliver([work(6, { receivingAgency: { code: '000.00.16.H56', name: 'x' }, summary: 'y'.repeat(600) })]);
    expect(bad!.error).toMatchObject({ errorClass: 'invalid_content' });
    expect(bad!.error!.message).toMatch(/TrichYeu/);
    sim.setFaults({ rate: 1, seed: 1, kinds: ['429'], retryAfterSeconds: 7, max: 1, paths: ['/api/'] });
    const [throttled] = await client.deliver([work(7)]);
    expect(throttled!.error).toMatchObject({ errorClass: 'throttled', retryAfterMs: 7_000 });
    const wrong = createProvinceClient({ ...config, baseUrl: server.url, clientSecret: 'wrong' });
    const [refused] = await wrong.deliver([work(8)]);
    expect(refused!.error).toMatchObject({ errorClass: 'configuration', code: 'PROVINCE_AUTH_FAILED' });
    expect(sim.state.dossiers()).toHaveLength(0);
  });

  it('treats a terminal status already held as done, and a different one as rejected', async () => {
    const closed = { events, status: 'REJECTED_AT_INTAKE' as const, completedAt: events[1]!.at };
    const [a] = await client.deliver([work(9, closed)]);
    expect(a!.error).toBeUndefined();
    // The gateway lost track of the status: the province answers 409 and holds the same status.
    const [b] = await client.deliver([work(9, closed, { ...a!.progress, remoteStatus: 4 })]);
    expect(b!.error).toBeUndefined();
    const [c] = await client.deliver([work(9, { ...closed, status: 'RESULT_READY' }, { ...a!.progress, remoteStatus: 4 })]);
    expect(c!.error).toMatchObject({ errorClass: 'rejected', code: 'PROVINCE_TRANG_THAI_KHONG_HOP_LE' });
  });
});

describe('DVCQG client', () => {
  const sim = createDvcqgSimulator({ rateLimitPerSecond: 0 });
  let server: Listening;
  let client: ReturnType<typeof createDvcqgClient>;
  const creds = SANDBOX_CREDENTIALS.dvcqg;
  const catalog = Object.fromEntries(Object.entries(NATIONAL_CATALOG).map(([k, v]) => [k, { name: v.name, sectorCode: v.sectorCode, sectorName: v.sectorName }]));
  beforeAll(async () => {
    server = await sim.listen();
    client = createDvcqgClient(
      { baseUrl: server.url, username: creds.username, password: creds.password, madonvi: creds.madonvi, dstcode: creds.dstcode, requestsPerSecond: 1000, batchSize: 50, concurrency: 2, timeoutMs: 1_000 },
      catalog,
    );
  });
  afterAll(() => server.close());
  beforeEach(() => {
    sim.reset();
    sim.setFaults(null);
  });
  const code = (n: number) => `000.00.16.H56-260302-${String(n).padStart(4, '0')}`;
  const dv = (n: number, overrides: Partial<DossierDraft> = {}, progress = fresh()) => ({ ...work(n, overrides, progress, code(n)), target: 'dvcqg' as const });

  it('sends a batch, with per-item errors kept to their own dossier', async () => {
    const outcomes = await client.deliver([dv(1, { events }), dv(2, { procedure: { nationalCode: '9.999999', name: 'Không có', sectorCode: 'G15-TP07' } }), dv(3)]);
    expect(outcomes.map((o) => o.error?.errorClass ?? 'ok')).toEqual(['ok', 'invalid_content', 'ok']);
    expect(outcomes[1]!.error!.message).toMatch(/9\.999999/);
    expect(sim.state.dossier(code(1))!.TienDo).toHaveLength(2);
    expect(sim.state.dossier(code(2))).toBeUndefined();
  });

  it('handles "already exists" as an update and renews an expired session', async () => {
    const [first] = await client.deliver([dv(4)]);
    sim.state.revokeSessions();
    // The gateway forgot it had created the dossier: the portal answers 3/-3 and gets an update.
    const [again] = await client.deliver([dv(4, { status: 'RESULT_READY', events, completedAt: events[1]!.at }, { ...first!.progress, remoteCode: null, remoteFieldsHash: null })]);
    expect(again!.error).toBeUndefined();
    expect(again!.operations).toEqual(['create', 'update', 'steps:1']);
    expect(sim.state.dossier(code(4))!['TrangThaiHoSo']).toBe('9');
  });

  it('reports every dossier of a call the infrastructure refused', async () => {
    sim.setFaults({ rate: 1, seed: 1, kinds: ['5xx'], max: 1, paths: ['/api/integration'] });
    const outcomes = await client.deliver([dv(5), dv(6)]);
    expect(outcomes.every((o) => o.error?.errorClass === 'transient')).toBe(true);
    const retried = await client.deliver([dv(5), dv(6)]);
    expect(retried.every((o) => !o.error)).toBe(true);
    expect(sim.state.dossiers()).toHaveLength(2);
  });

  it('reads what the portal holds', async () => {
    await client.deliver([dv(7, { events })]);
    const held = await client.lookup(code(7));
    expect(held?.TienDo).toHaveLength(2);
    expect(await client.lookup(code(8))).toBeNull();
  });
});
