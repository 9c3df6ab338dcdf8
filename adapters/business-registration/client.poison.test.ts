import { describe, expect, it } from 'vitest';
import type { BusinessSourceConfig } from '../../contracts';
import { createBusinessSimulator, SANDBOX_BUSINESS_CREDENTIALS } from '../../sandbox';
import { HOSTILE_KINDS } from '../../sandbox/business-registration';
import { BUSINESS_PROCEDURES } from '../../sandbox/catalog';
import { manualClock, serveForTest } from '../../sandbox/shared/testing';
import { silentLogger } from '../../src/lib/log';
import { normalizeInstant } from '../../src/lib/time';
import type { PollContext, RawRecord } from '../types';
import { createBusinessPoller, type BusinessCursor } from './client';
import { sliceDossiers } from './soap';

/**
 * The poller against the business registration simulator, with one listed `<HoSo>` made
 * unreadable on the way (as a broken release or a poisoned dossier writes it): it is read alone with
 * LayHoSo, taken when that reads, kept for an operator when the source's answer settles it
 * (`KHONG_TIM_THAY`, or no code to ask by), and never given up on a transient `soap:Server` fault.
 */
const T0 = '2026-03-02T02:00:00Z'; // 09:00 in Vietnam

async function setup(pageSize = 7) {
  const clock = manualClock(T0);
  const sim = createBusinessSimulator({ now: clock.now, rateLimitPerSecond: 0, ncrShare: 0 });
  const { url } = await serveForTest(sim);
  const codes = [0, 1, 2, 3, 4].map((n) => {
    const code = sim.generator.create({ seed: 70 + n, unmappedShare: 0, pendingShare: 0, changes: [0, 0], finish: false });
    sim.state.update(code, () => {}, clock.now() + n * 1000);
    return code;
  });
  clock.advance(60_000);
  const config: BusinessSourceConfig = {
    enabled: true,
    procedureMap: { ...BUSINESS_PROCEDURES },
    baseUrl: url,
    username: SANDBOX_BUSINESS_CREDENTIALS.username,
    password: SANDBOX_BUSINESS_CREDENTIALS.password,
    pollIntervalSeconds: 1,
    overlapSeconds: 120,
    startFrom: '2026-03-02T08:00:00+07:00',
    pageSize,
    requestsPerSecond: 1000,
    timeoutMs: 5_000,
  };
  return { sim, clock, codes, config };
}

type Rewrite = (hoSo: string) => string;

/** The gateway's fetch with the listed `<HoSo>` of some dossiers rewritten, and LayHoSo answered by `layHoSo` when given. */
function rewriting(list: Record<string, Rewrite>, layHoSo?: () => Response): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const action = request.headers.get('soapaction');
    if (action === '"LayHoSo"' && layHoSo) return layHoSo();
    const res = await fetch(request);
    if (action !== '"LayDanhSachHoSoThayDoi"') return res;
    let xml = await res.text();
    for (const slice of sliceDossiers(xml)) {
      const code = /MaHoSo>([^<]*)</.exec(slice)?.[1] ?? '';
      if (list[code]) xml = xml.replace(slice, list[code]!(slice));
    }
    return new Response(xml, { status: res.status, headers: { 'content-type': 'text/xml; charset=utf-8' } });
  };
}

const garbleTime: Rewrite = (hoSo) => hoSo.replace(/(ThoiDiemCapNhat>)[^<]+/, '$102/03/2026 09:00:00');
const blankCode: Rewrite = (hoSo) => hoSo.replace(/(MaHoSo>)[^<]+/, '$1');

function context(clock: { now(): number }) {
  let cursor: unknown = null;
  const accepted: RawRecord[] = [];
  const rejected: { body: string; code: string; reason: string; meta?: { externalId?: string; kind?: string } }[] = [];
  const markers = new Map<string, string>();
  const ctx: PollContext = {
    fetch,
    now: clock.now,
    logger: silentLogger,
    loadCursor: async () => cursor,
    saveCursor: async (c) => void (cursor = c),
    lastMarker: async (id) => markers.get(id),
    accept: async (r) => {
      accepted.push(r);
      markers.set(r.externalId, r.marker!);
      return 'stored';
    },
    reject: async (body, code, reason, meta) => void rejected.push({ body, code, reason, meta }),
  };
  return { ctx, accepted, rejected, cursor: () => cursor as BusinessCursor | null };
}

describe('business-registration poller with a poisoned listed dossier', () => {
  it('reads a listed dossier it cannot place alone with LayHoSo, and takes it when that reads', async () => {
    const { sim, clock, codes, config } = await setup();
    const { ctx, accepted, rejected, cursor } = context(clock);
    const poller = createBusinessPoller(config, rewriting({ [codes[2]!]: garbleTime }));
    expect(await poller.poll(ctx)).toMatchObject({ listed: 5, fetched: 1, accepted: 5, rejected: 0 });
    expect(rejected).toEqual([]);
    const alone = accepted.find((r) => r.externalId === codes[2])!;
    expect(alone.body).toBe(sim.state.xml(codes[2]!));
    expect(alone.sourceTime).toBe(normalizeInstant(sim.state.dossier(codes[2]!)!.ThoiDiemCapNhat));
    expect(cursor()).toEqual({ at: normalizeInstant(sim.state.dossier(codes[4]!)!.ThoiDiemCapNhat), id: codes[4] });
    // Listed again as unreadable: not asked for again.
    clock.advance(5_000);
    expect(await poller.poll(ctx)).toMatchObject({ listed: 5, fetched: 0, accepted: 0, rejected: 0 });
  });

  it('keeps the listed text for an operator when LayHoSo answers KHONG_TIM_THAY, and reads on', async () => {
    const { sim, clock, codes, config } = await setup();
    const { ctx, accepted, rejected, cursor } = context(clock);
    const unknown = 'HKD-H56-2603-99999';
    const poller = createBusinessPoller(config, rewriting({ [codes[1]!]: (h) => garbleTime(h).replace(codes[1]!, unknown) }));
    expect(await poller.poll(ctx)).toMatchObject({ listed: 5, fetched: 1, accepted: 4, rejected: 1 });
    expect(accepted.map((r) => r.externalId)).toEqual([codes[0], codes[2], codes[3], codes[4]]);
    expect(rejected).toEqual([
      {
        body: garbleTime(sim.state.xml(codes[1]!)!).replace(codes[1]!, unknown),
        code: 'BUSINESS_UNREADABLE_DOSSIER',
        reason: expect.stringMatching(/^a listed <HoSo> cannot be read \(ThoiDiemCapNhat: must be ISO-8601 with an offset\); read alone: LayHoSo answers KHONG_TIM_THAY/),
        meta: { externalId: unknown, kind: 'listed-dossier' },
      },
    ]);
    expect(cursor()?.id).toBe(codes[4]);
    clock.advance(5_000);
    await poller.poll(ctx);
    expect(rejected).toHaveLength(1);
  });

  it('pages on by number past a full page that holds no readable dossier', async () => {
    const { clock, codes, config } = await setup(2);
    const { ctx, accepted, rejected, cursor } = context(clock);
    const poller = createBusinessPoller(config, rewriting({ [codes[0]!]: blankCode, [codes[1]!]: blankCode }));
    expect(await poller.poll(ctx)).toMatchObject({ fetched: 0, accepted: 3, rejected: 2 });
    expect(accepted.map((r) => r.externalId)).toEqual(codes.slice(2));
    expect(rejected.map((r) => [r.code, r.meta?.externalId, r.reason.endsWith('it names no dossier code to read it alone by')])).toEqual([
      ['BUSINESS_UNREADABLE_DOSSIER', undefined, true],
      ['BUSINESS_UNREADABLE_DOSSIER', undefined, true],
    ]);
    expect(cursor()?.id).toBe(codes[4]);
  });

  it('gives nothing up on a soap:Server fault for LayHoSo: the poll fails and the cursor stays', async () => {
    const { clock, codes, config } = await setup();
    const { ctx, accepted, rejected, cursor } = context(clock);
    let calls = 0;
    const busy = () => {
      calls++;
      return new Response(
        '<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>' +
          '<faultcode>s:Server</faultcode><faultstring>HE_THONG_BAN: Hệ thống đang bận, vui lòng thử lại sau</faultstring></s:Fault></s:Body></s:Envelope>',
        { status: 500, headers: { 'content-type': 'text/xml; charset=utf-8' } },
      );
    };
    await expect(createBusinessPoller(config, rewriting({ [codes[2]!]: garbleTime }, busy)).poll(ctx)).rejects.toMatchObject({ code: 'BUSINESS_HE_THONG_BAN', retryable: true });
    expect(calls).toBe(5); // the first attempt and its four retries
    expect([accepted.map((r) => r.externalId), rejected, cursor()]).toEqual([codes.slice(0, 2), [], null]);
  }, 60_000);

  it('still refuses every hostile answer: nothing accepted, no cursor moved, each attack kept for an operator', async () => {
    const { sim, clock, config } = await setup();
    for (const kind of HOSTILE_KINDS) {
      sim.setHostile(kind);
      const { ctx, accepted, rejected, cursor } = context(clock);
      const outcome = await createBusinessPoller(config)
        .poll(ctx)
        .then(
          (report) => ({ report }),
          (error: unknown) => ({ error }),
        );
      if (kind === 'deep-nesting') {
        // The page around it reads: the one <HoSo> holding the nesting is kept as that dossier (it names no code to ask for).
        expect(outcome, kind).toMatchObject({ report: { accepted: 0, rejected: 1 } });
        expect(rejected.map((r) => r.code), kind).toEqual(['BUSINESS_UNREADABLE_DOSSIER']);
      } else {
        // Declarations and sizes are attacks on the whole answer: refused whole, never taken apart.
        expect(outcome, kind).toMatchObject({ error: { code: 'XML_REFUSED' } });
        expect(rejected.map((r) => r.code), kind).toEqual(['XML_REFUSED']);
      }
      expect([accepted, cursor()], kind).toEqual([[], null]);
    }
  });
});
