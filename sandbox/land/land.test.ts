import { Hono } from 'hono';
import { describe, expect, it, onTestFinished } from 'vitest';
import { LAND_EVENT_SCHEMAS } from '../../adapters/land/wire';
import { LAND_PROCEDURES, LAND_UNMAPPED_CODES } from '../catalog';
import { listen } from '../shared/server';
import { call, manualClock } from '../shared/testing';
import { createLandSimulator, TIME_FIELD, type LandDossier, type LandEventBodies, type LandSimulatorOptions } from './index';
import { dueAfterWorkingDays, formatDotNetUtc } from './time';

const T0 = '2026-03-02T01:30:00Z'; // Monday 08:30 in Vietnam
const CODE = 'sandbox-land-code';
const UTC_NAIVE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?$/;

interface Hit {
  code: string;
  event: string;
  contentType: string;
  raw: string;
  body: { SoBienNhan: string } & Record<string, unknown>;
  arrivedAt: number;
}
/** How the test gateway answers; `nth` counts this event of this dossier, from 1. */
type Answer = (hit: Hit, nth: number) => Response | Promise<Response>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
const ok = () => json(200, { Result: 1, Message: 'Thành công' });

/** A stand-in gateway on loopback that records every callback and answers like the real one. */
async function gateway(answer: Answer = ok) {
  const hits: Hit[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const app = new Hono();
  app.post('/ingest/land/:code/:event', async (c) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const raw = await c.req.text();
      const hit: Hit = { code: c.req.param('code'), event: c.req.param('event'), contentType: c.req.header('content-type') ?? '', raw, body: JSON.parse(raw), arrivedAt: performance.now() };
      hits.push(hit);
      return await answer(hit, hits.filter((h) => h.event === hit.event && h.body.SoBienNhan === hit.body.SoBienNhan).length);
    } finally {
      inFlight--;
    }
  });
  const listening = await listen(app);
  onTestFinished(() => listening.close());
  return { url: listening.url, hits, maxInFlight: () => maxInFlight };
}

/** A simulator with a frozen clock, no duplicates or reordering, one push at a time and a tiny schedule unless told. */
function land(options: LandSimulatorOptions = {}) {
  const sim = createLandSimulator({
    now: manualClock(T0).now,
    duplicateRate: 0,
    reorderRate: 0,
    resendScheduleMs: [20, 40, 60],
    concurrency: 1,
    seed: 1,
    ...options,
  });
  onTestFinished(() => sim.stop());
  return sim;
}

/** Receives a dossier and plays its whole life at once. */
function playOne(sim: ReturnType<typeof land>, options: Parameters<ReturnType<typeof land>['generator']['create']>[0] = {}): string {
  const code = sim.generator.create(options);
  while (sim.generator.advance(code));
  return code;
}

const eventsOf = (d: LandDossier) => d.events.map((e) => e.event);

describe('land: callbacks', () => {
  it('posts every event to {target}/ingest/land/{securityCode}/{event} as JSON, in source order', async () => {
    const gw = await gateway();
    const sim = land();
    sim.setTarget(`${gw.url}/`);
    const code = playOne(sim);
    await sim.whenIdle(2000);
    const dossier = sim.state.dossier(code)!;
    expect(gw.hits.map((h) => h.event)).toEqual(eventsOf(dossier));
    expect(gw.hits.map((h) => h.body)).toEqual(dossier.events.map((e) => e.body));
    for (const hit of gw.hits) {
      expect(hit.code).toBe(CODE);
      expect(hit.contentType).toBe('application/json; charset=utf-8');
    }
    const n = dossier.events.length;
    expect(sim.state.counters()).toEqual({ events: n, attempts: n, acknowledged: n, failed: 0, resent: 0, duplicatesSent: 0, reordered: 0, givenUp: 0 });
    expect(sim.state.pending()).toBe(0);
    expect(sim.state.pushes().every((p) => p.outcome === 'acknowledged' && p.status === 200 && p.attempt === 1)).toBe(true);
  });

  it('resends the same bytes after a 500, a Result 0 and a timeout, on the scaled schedule', async () => {
    const gw = await gateway(async (_hit, nth) => {
      if (nth === 1) return json(500, { Message: 'Internal Server Error' });
      if (nth === 2) return json(200, { Result: 0, Message: 'Lỗi lưu trữ' });
      if (nth === 3) await sleep(200); // longer than the land system waits
      return ok();
    });
    const sim = land({ target: gw.url, resendScheduleMs: [30, 60, 90], answerTimeoutMs: 80 });
    sim.generator.create();
    await sim.whenIdle(3000);
    expect(gw.hits).toHaveLength(4);
    expect(new Set(gw.hits.map((h) => h.raw)).size).toBe(1);
    const gaps = gw.hits.slice(1).map((h, i) => h.arrivedAt - gw.hits[i]!.arrivedAt);
    expect(gaps[0]).toBeGreaterThanOrEqual(25);
    expect(gaps[1]).toBeGreaterThanOrEqual(55);
    expect(gaps[2]).toBeGreaterThanOrEqual(80 + 85); // the 80 ms wait for an answer, then the third delay
    expect(sim.state.pushes().map((p) => [p.attempt, p.outcome, p.status])).toEqual([
      [1, 'not-acknowledged', 500],
      [2, 'not-acknowledged', 200],
      [3, 'timeout', undefined],
      [4, 'acknowledged', 200],
    ]);
    expect(sim.state.counters()).toMatchObject({ events: 1, attempts: 4, acknowledged: 1, failed: 3, resent: 3, givenUp: 0 });
  });

  it('gives up once the schedule is spent, and whenIdle resolves', async () => {
    const gw = await gateway(() => new Response('Service Unavailable', { status: 503 }));
    const sim = land({ target: gw.url, resendScheduleMs: [10, 10] });
    const code = sim.generator.create();
    await sim.whenIdle(2000);
    expect(gw.hits).toHaveLength(3);
    expect(sim.state.givenUp()).toEqual([{ eventId: 1, soBienNhan: code, event: 'TiepNhanHoSo', copy: 'original', body: gw.hits[0]!.raw }]);
    expect(sim.state.counters()).toMatchObject({ attempts: 3, acknowledged: 0, failed: 3, resent: 2, givenUp: 1 });
    expect(sim.state.pending()).toBe(0);
  });

  it('keeps events until a target is set, spending no attempt, then sends them', async () => {
    const sim = land();
    playOne(sim);
    const n = sim.state.counters().events;
    await expect(sim.whenIdle(50)).rejects.toThrow(/still pending .*no target set/);
    expect(sim.state.pending()).toBe(n);
    expect(sim.state.counters().attempts).toBe(0);
    const gw = await gateway();
    sim.setTarget(gw.url);
    await sim.whenIdle(2000);
    expect(gw.hits).toHaveLength(n);
    expect(sim.state.counters().attempts).toBe(n);
  });

  it('keeps at most `concurrency` pushes in flight', async () => {
    const gw = await gateway(async () => {
      await sleep(20);
      return ok();
    });
    const sim = land({ target: gw.url, concurrency: 3 });
    await sim.generator.run({ count: 10, durationMs: 0, seed: 2 });
    await sim.whenIdle(5000);
    expect(gw.maxInFlight()).toBe(3);
    expect(gw.hits).toHaveLength(sim.state.counters().events);
  });

  it('refuses a bad option or target with a message naming it', () => {
    expect(() => createLandSimulator({ duplicateRate: 2 })).toThrow(/duplicateRate/);
    expect(() => createLandSimulator({ concurrency: 0 })).toThrow(/concurrency/);
    expect(() => land().setTarget('ftp://gateway')).toThrow(/http\(s\) URL/);
  });
});

describe('land: duplicates and reordering', () => {
  /** The same 30 dossiers every time; the simulator's `seed` decides which events are duplicated or held. */
  async function scenario(options: LandSimulatorOptions) {
    const gw = await gateway();
    const sim = land({ target: gw.url, concurrency: 8, duplicateDelayMs: 5, ...options });
    await sim.generator.run({ count: 30, durationMs: 0, seed: 5 });
    await sim.whenIdle(5000);
    return { gw, sim };
  }

  it('sends an acknowledged event again at the duplicate rate, reproducibly', async () => {
    const { gw, sim } = await scenario({ duplicateRate: 0.3, seed: 9 });
    const c = sim.state.counters();
    expect(c.duplicatesSent).toBeGreaterThan(c.events * 0.15);
    expect(c.duplicatesSent).toBeLessThan(c.events * 0.45);
    expect(gw.hits).toHaveLength(c.events + c.duplicatesSent);
    expect(c.acknowledged).toBe(c.events + c.duplicatesSent);
    // A duplicate is the same bytes, sent only after the original was acknowledged.
    const duplicated = sim.state.pushes().filter((p) => p.copy === 'duplicate');
    const byBody = new Map<string, number>();
    for (const h of gw.hits) byBody.set(h.raw, (byBody.get(h.raw) ?? 0) + 1);
    expect([...byBody.values()].filter((n) => n === 2)).toHaveLength(duplicated.length);
    const ids = duplicated.map((p) => p.eventId).sort((a, b) => a - b);
    const again = await scenario({ duplicateRate: 0.3, seed: 9 });
    expect(again.sim.state.pushes().filter((p) => p.copy === 'duplicate').map((p) => p.eventId).sort((a, b) => a - b)).toEqual(ids);
    const other = await scenario({ duplicateRate: 0.3, seed: 10 });
    expect(other.sim.state.pushes().filter((p) => p.copy === 'duplicate').map((p) => p.eventId).sort((a, b) => a - b)).not.toEqual(ids);
  });

  it('holds an event back until the dossier’s next event has gone, never holding KetThucHoSo', async () => {
    const gw = await gateway();
    const sim = land({ target: gw.url, reorderRate: 1 });
    const code = playOne(sim);
    await sim.whenIdle(2000);
    const events = eventsOf(sim.state.dossier(code)!);
    // Every event but the last is held; the last overtakes them all, then they go in order.
    expect(gw.hits.map((h) => h.event)).toEqual(['KetThucHoSo', ...events.slice(0, -1)]);
    expect(sim.state.counters().reordered).toBe(events.length - 1);
  });

  it('sends a held event anyway after reorderDelayMs when no later event comes', async () => {
    const gw = await gateway();
    const sim = land({ target: gw.url, reorderRate: 1, reorderDelayMs: 60 });
    const started = performance.now();
    sim.generator.create();
    await sim.whenIdle(2000);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect(gw.hits.map((h) => h.event)).toEqual(['TiepNhanHoSo']);
    expect(sim.state.counters().reordered).toBe(0); // delayed, not overtaken
  });

  it('reorders at the configured rate, reproducibly', async () => {
    const { gw, sim } = await scenario({ reorderRate: 0.3 });
    const c = sim.state.counters();
    const eligible = c.events - 30; // every event but each dossier's KetThucHoSo
    expect(c.reordered).toBeGreaterThan(eligible * 0.15);
    expect(c.reordered).toBeLessThan(eligible * 0.45);
    const outOfOrder = sim.state.dossiers().filter((d) => {
      const arrival = gw.hits.filter((h) => h.body.SoBienNhan === d.soBienNhan).map((h) => h.event);
      return arrival.join() !== eventsOf(d).join();
    });
    expect(outOfOrder.length).toBeGreaterThan(0);
    expect((await scenario({ reorderRate: 0.3 })).sim.state.counters().reordered).toBe(c.reordered);
    expect((await scenario({ reorderRate: 0.3, seed: 2 })).sim.state.counters().reordered).not.toBe(c.reordered);
  });
});

describe('land: outbound faults', () => {
  it('ambiguous: the gateway stores it, the land system never reads the answer and resends', async () => {
    const gw = await gateway();
    const sim = land({ target: gw.url, faults: { rate: 1, seed: 1, kinds: ['ambiguous'], max: 2 } });
    sim.generator.create();
    await sim.whenIdle(2000);
    expect(gw.hits).toHaveLength(3);
    expect(sim.state.pushes().map((p) => [p.outcome, p.fault])).toEqual([
      ['abandoned', 'ambiguous'],
      ['abandoned', 'ambiguous'],
      ['acknowledged', undefined],
    ]);
    expect(sim.faultCounts().ambiguous).toBe(2);
    expect(sim.state.counters()).toMatchObject({ attempts: 3, resent: 2, acknowledged: 1 });
  });

  it('drop: the request is cut after sending and resent; 5xx/429: nothing leaves and it is retried', async () => {
    const gw = await gateway();
    const sim = land({ target: gw.url, faults: { rate: 1, seed: 1, kinds: ['drop'], max: 1 } });
    sim.generator.create();
    await sim.whenIdle(2000);
    expect(sim.state.pushes().map((p) => p.outcome)).toEqual(['abandoned', 'acknowledged']);
    expect(gw.hits.length).toBeGreaterThanOrEqual(1); // whether the cut request got through is left to chance

    sim.reset();
    gw.hits.length = 0;
    sim.setFaults({ rate: 1, seed: 1, kinds: ['5xx', '429'], max: 2 });
    sim.generator.create();
    await sim.whenIdle(2000);
    expect(sim.state.pushes().map((p) => p.outcome)).toEqual(['not-sent', 'not-sent', 'acknowledged']);
    expect(gw.hits).toHaveLength(1);
    const counts = sim.faultCounts();
    expect(counts['5xx'] + counts['429']).toBe(2);
  });

  it('slow: waits before sending, no resend', async () => {
    const gw = await gateway();
    const sim = land({ target: gw.url, faults: { rate: 1, seed: 1, kinds: ['slow'], slowMs: [120, 120], max: 1 } });
    const started = performance.now();
    sim.generator.create();
    await sim.whenIdle(2000);
    expect(gw.hits[0]!.arrivedAt - started).toBeGreaterThanOrEqual(115);
    expect(sim.state.counters()).toMatchObject({ attempts: 1, resent: 0 });
  });

  it('faults at the configured rate, the same attempts for the same seed', async () => {
    const faulted = async (seed: number) => {
      const gw = await gateway();
      const sim = land({ target: gw.url, concurrency: 8, faults: { rate: 0.3, seed, kinds: ['5xx'] } });
      await sim.generator.run({ count: 20, durationMs: 0, seed: 3 });
      await sim.whenIdle(5000);
      expect(gw.hits).toHaveLength(sim.state.counters().events);
      return sim.state.pushes().filter((p) => p.fault).map((p) => `${p.eventId}/${p.attempt}`).sort();
    };
    const first = await faulted(7);
    expect(first.length).toBeGreaterThan(10);
    expect(await faulted(7)).toEqual(first);
    expect(await faulted(8)).not.toEqual(first);
  });
});

describe('land: generated dossiers', () => {
  it('validate against the gateway’s land wire schema and live a realistic life', async () => {
    const sim = land();
    await sim.generator.run({ count: 250, durationMs: 0, seed: 11 });
    const dossiers = sim.state.dossiers();
    expect(dossiers).toHaveLength(250);
    expect(new Set(dossiers.map((d) => d.soBienNhan)).size).toBe(250);
    const all = dossiers.flatMap((d) => d.events);
    for (const e of all) {
      const parsed = LAND_EVENT_SCHEMAS[e.event].safeParse(JSON.parse(JSON.stringify(e.body)));
      expect(parsed.success, `${e.event} ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      expect((e.body as unknown as Record<string, string>)[TIME_FIELD[e.event]]).toBe(e.sourceTime);
      expect(e.sourceTime).toMatch(UTC_NAIVE);
    }
    for (const d of dossiers) {
      const names = eventsOf(d);
      expect(d.soBienNhan).toMatch(/^VPDK-260302-\d{4}$/);
      expect(names[0]).toBe('TiepNhanHoSo');
      expect(names.at(-1)).toBe('KetThucHoSo');
      expect(names.filter((n) => n === 'TiepNhanHoSo' || n === 'KetThucHoSo')).toHaveLength(2);
      const moves = names.filter((n) => n === 'ChuyenHoSo').length;
      expect(moves).toBeGreaterThanOrEqual(1);
      expect(moves).toBeLessThanOrEqual(3);
      const request = names.indexOf('YeuCauBoSungHoSo');
      if (request >= 0) expect(['NhanBoSungHoSo', 'KetThucHoSo']).toContain(names[request + 1]);
      for (let i = 1; i < d.events.length; i++) expect(d.events[i]!.at).toBeGreaterThan(d.events[i - 1]!.at);
      expect(d.mapped).toBe(d.maQuyTrinh in LAND_PROCEDURES);
      if (!d.mapped) expect(LAND_UNMAPPED_CODES).toContain(d.maQuyTrinh);
      const reception = d.events[0]!.body as LandEventBodies['TiepNhanHoSo'];
      expect(reception).toMatchObject({ SoBienNhan: d.soBienNhan, TinhId: 38, MaHoSoMotCua: null });
      expect(reception.NgayHenTra).toMatch(/T10:00:00$/); // 17:00 in Vietnam
      expect(reception.ThongTinThuaDat!.length).toBeGreaterThanOrEqual(1);
      for (const e of d.events) expect((e.body as { SoBienNhan: string }).SoBienNhan).toBe(d.soBienNhan);
      const resupply = d.events.find((e) => e.event === 'NhanBoSungHoSo')?.body as { NgayHenTraMoi: string } | undefined;
      if (resupply) expect(resupply.NgayHenTraMoi > reception.NgayHenTra).toBe(true);
    }
    const receptions = dossiers.map((d) => d.events[0]!.body as LandEventBodies['TiepNhanHoSo']);
    const ids = receptions.map((r) => r.ThongTinNguoiNopDon.SoChungMinh);
    expect(ids.every((id) => /^(\d{12}|\d{9})$/.test(id))).toBe(true);
    expect(ids.filter((id) => id.length === 12).every((id) => id.startsWith('0'))).toBe(true);
    expect(ids.some((id) => id.length === 9)).toBe(true);
    expect(new Set(receptions.map((r) => r.KenhTiepNhan))).toEqual(new Set([1, 2, 3]));
    expect(receptions.some((r) => r.ThongTinNguoiNopDon.HoTen !== r.ThongTinNguoiNopDon.HoTen.normalize('NFC'))).toBe(true);
    expect(receptions.some((r) => r.DanhSachGiayToDinhKem.some((g) => g.TapTin === null))).toBe(true);
    expect(all.some((e) => e.sourceTime.includes('.'))).toBe(true);
    expect(all.some((e) => e.event === 'GuiKetQuaThue')).toBe(true);
    const ends = all.filter((e) => e.event === 'KetThucHoSo').map((e) => (e.body as { TrangThaiKetThuc: number }).TrangThaiKetThuc);
    expect(ends.filter((s) => s === 1).length).toBeGreaterThan(5);
    expect(ends.filter((s) => s === 0).length).toBeGreaterThan(200);
    const unmapped = dossiers.filter((d) => !d.mapped).length;
    expect(unmapped).toBeGreaterThan(5);
    expect(unmapped).toBeLessThan(45);
  });

  it('is reproducible by seed', async () => {
    const snapshot = async (seed: number) => {
      const sim = land({ seed: 99 });
      await sim.generator.run({ count: 40, durationMs: 0, seed });
      return sim.state.dossiers();
    };
    const a = await snapshot(7);
    expect(await snapshot(7)).toEqual(a);
    expect(await snapshot(8)).not.toEqual(a);
  });

  it('steps one event at a time, times strictly increasing under a frozen clock', () => {
    const sim = land();
    const code = sim.generator.create({ fractionalShare: 0, unmappedShare: 0 });
    expect(code).toBe('VPDK-260302-0001');
    const planned = sim.generator.pendingSteps(code);
    expect(planned.at(-1)).toBe('KetThucHoSo');
    expect(sim.generator.advance(code)).toBe('ChuyenHoSo');
    expect(sim.generator.pendingSteps(code)).toEqual(planned.slice(1));
    const d = sim.state.dossier(code)!;
    expect(d.events.map((e) => e.sourceTime)).toEqual(['2026-03-02T01:30:00', '2026-03-02T01:30:01']);
    const days = d.maQuyTrinh === 'TACH-THUA' ? '2026-03-23' : '2026-03-16';
    expect((d.events[0]!.body as { NgayHenTra: string }).NgayHenTra).toBe(`${days}T10:00:00`);
    while (sim.generator.advance(code));
    expect(sim.generator.advance(code)).toBeUndefined();
    expect(sim.generator.pendingSteps(code)).toEqual([]);
    expect(sim.generator.create()).toBe('VPDK-260302-0002');
  });

  it('streams dossiers until stopped', async () => {
    const sim = land({ seed: 8 });
    sim.generator.start({ newPerMinute: 6000, lifetimeMs: 50 });
    await sleep(150);
    sim.generator.stop();
    const made = sim.state.dossiers().length;
    expect(made).toBeGreaterThan(2);
    await sleep(60);
    expect(sim.state.dossiers().length).toBe(made);
    expect(sim.generator.isRunning()).toBe(false);
  });
});

describe('land: control routes', () => {
  it('shows the state, sets faults and the target over HTTP, and resets', async () => {
    const gw = await gateway();
    const sim = land();
    const control = await sim.listen();
    onTestFinished(() => control.close());
    sim.generator.create();
    let state = await call(`${control.url}/__sandbox/state`);
    expect(state.body).toMatchObject({ target: null, pending: 1, counters: { events: 1, attempts: 0 } });
    expect(state.body.dossiers).toHaveLength(1);
    expect(state.text).not.toContain(CODE);

    expect((await call(`${control.url}/__sandbox/target`, { method: 'PUT', json: { url: 'not a url' } })).status).toBe(400);
    const put = await call(`${control.url}/__sandbox/target`, { method: 'PUT', json: { url: gw.url } });
    expect(put.body).toEqual({ target: gw.url });
    await sim.whenIdle(2000);
    expect(gw.hits).toHaveLength(1);

    const faults = await call(`${control.url}/__sandbox/faults`, { method: 'PUT', json: { rate: 1, seed: 1, kinds: ['5xx'], max: 1 } });
    expect(faults.body.config).toMatchObject({ rate: 1, kinds: ['5xx'] });
    sim.generator.advance(sim.state.dossiers()[0]!.soBienNhan);
    await sim.whenIdle(2000);
    expect((await call(`${control.url}/__sandbox/faults`)).body.counts['5xx']).toBe(1);

    expect((await call(`${control.url}/__sandbox/reset`, { method: 'POST' })).status).toBe(200);
    state = await call(`${control.url}/__sandbox/state`);
    expect(state.body).toMatchObject({ target: gw.url, pending: 0, dossiers: [], counters: { events: 0 }, faults: { config: null } });
  });
});

describe('land: times', () => {
  it('writes .NET UTC times without offset, fractions trimmed as FFFFFFF', () => {
    const t = Date.parse('2026-03-02T01:30:00Z');
    expect(formatDotNetUtc(t)).toBe('2026-03-02T01:30:00');
    expect(formatDotNetUtc(t + 417)).toBe('2026-03-02T01:30:00.417');
    expect(formatDotNetUtc(t + 400)).toBe('2026-03-02T01:30:00.4');
    expect(formatDotNetUtc(t + 417, 3621)).toBe('2026-03-02T01:30:00.4173621');
  });

  it('counts working days to 17:00 Vietnam time, from the next working day after 17:00 or on a day off', () => {
    const at = (iso: string) => new Date(dueAfterWorkingDays(Date.parse(iso), 10)).toISOString();
    expect(at('2026-03-02T01:30:00Z')).toBe('2026-03-16T10:00:00.000Z'); // Monday morning: the spec's example
    expect(at('2026-03-06T10:30:00Z')).toBe('2026-03-23T10:00:00.000Z'); // Friday 17:30: counts from Monday
    expect(at('2026-03-07T03:00:00Z')).toBe('2026-03-23T10:00:00.000Z'); // Saturday
  });
});
