import { describe, expect, it } from 'vitest';
import type { BusinessSourceConfig } from '../../contracts';
import { GatewayError } from '../../src/lib/errors';
import { silentLogger } from '../../src/lib/log';
import { XmlRefusedError } from '../../src/lib/xml';
import { DECLARATION_ATTACKS, DEEP_NESTING, MB, heapGrowth, hugeTextDocument } from '../../test/hostile/xml-attacks';
import type { PollContext } from '../types';
import { createBusinessClient, createBusinessPoller } from './client';
import { readEntry } from './list';

/**
 * The SOAP client path against hostile answers, over an injected fetch: every attack is refused
 * with XML_REFUSED, not retried, and the poller keeps the refused answer for an operator.
 */
const config: BusinessSourceConfig = {
  enabled: true,
  procedureMap: {},
  baseUrl: 'http://business.invalid',
  username: 'lienthong-h56',
  password: 'mat-khau',
  pollIntervalSeconds: 60,
  overlapSeconds: 30,
  startFrom: '2026-03-02T08:00:00+07:00',
  pageSize: 100,
  requestsPerSecond: 1000,
  timeoutMs: 5_000,
};

function answering(body: string, status = 200) {
  let calls = 0;
  const fetchImpl = (async () => {
    calls++;
    return new Response(body, { status, headers: { 'content-type': 'text/xml; charset=utf-8' } });
  }) as typeof fetch;
  return { fetchImpl, calls: () => calls };
}

function context(fetchImpl: typeof fetch) {
  const rejected: { body: string; code: string; reason: string }[] = [];
  const saved: unknown[] = [];
  const ctx: PollContext = {
    fetch: fetchImpl,
    now: () => Date.parse('2026-03-02T09:00:00+07:00'),
    logger: silentLogger,
    loadCursor: async () => null,
    saveCursor: async (c) => void saved.push(c),
    lastMarker: async () => undefined,
    accept: async () => {
      throw new Error('nothing should be accepted from a hostile answer');
    },
    reject: async (body, code, reason) => void rejected.push({ body, code, reason }),
  };
  return { ctx, rejected, saved };
}

const ATTACKS: [string, string][] = [...DECLARATION_ATTACKS, ['100,000 levels of nesting', DEEP_NESTING]];
const PARAMS = { TuThoiDiem: '2026-03-02T08:00:00+07:00', Trang: 1, KichThuocTrang: 100 };

describe('business-registration client against hostile answers', () => {
  it.each(ATTACKS)('refuses %s with XML_REFUSED, once, keeping the answer', async (_name, xml) => {
    for (const status of [200, 500]) {
      const { fetchImpl, calls } = answering(xml, status);
      const err = await createBusinessClient(config, fetchImpl)
        .call('LayDanhSachHoSoThayDoi', PARAMS)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(XmlRefusedError);
      // Decoding the answer as text drops a byte order mark; the rest is kept exactly.
      expect(err).toMatchObject({ code: 'XML_REFUSED', errorClass: 'invalid_content', retryable: false, document: xml.replace(/^\uFEFF/, '') });
      expect(calls()).toBe(1);
    }
  });

  it.each(ATTACKS)('fails the poll on %s with a typed error and keeps the answer for an operator', async (_name, xml) => {
    const { fetchImpl, calls } = answering(xml);
    const { ctx, rejected, saved } = context(fetchImpl);
    const err = await createBusinessPoller(config, fetchImpl)
      .poll(ctx)
      .catch((e: unknown) => e);
    // The poll runner reports a GatewayError by its code; anything else would show as UNEXPECTED.
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'XML_REFUSED' });
    expect(rejected).toEqual([{ body: xml.replace(/^\uFEFF/, ''), code: 'XML_REFUSED', reason: expect.stringMatching(/^a change list answer was refused: XML document/) }]);
    expect(saved).toEqual([]);
    expect(calls()).toBe(1);
  });

  it('refuses a 50 MB answer by its length, in bounded memory', async () => {
    const xml = hugeTextDocument();
    const { fetchImpl } = answering(xml);
    const { ctx, rejected } = context(fetchImpl);
    // The answer itself is 50 MB as bytes and again as text: only what reading adds on top is bounded.
    const growth = await heapGrowth(async () => {
      await expect(createBusinessPoller(config, fetchImpl).poll(ctx)).rejects.toMatchObject({ code: 'XML_REFUSED', message: expect.stringMatching(/larger than/) });
    });
    expect(rejected).toHaveLength(1);
    expect(growth).toBeLessThan(200 * MB);
  });

  it('slices an answer full of <HoSo> decoys in comments, CDATA and instructions in one pass', async () => {
    const decoys = '<!--<HoSo>--><![CDATA[<HoSo>]]><?x <HoSo>?>'.repeat(80_000);
    const xml =
      `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><LayDanhSachHoSoThayDoiResponse>` +
      `<TongSoTrang>1</TongSoTrang><Trang>1</Trang><GhiChu>${decoys}</GhiChu><DanhSachHoSo/></LayDanhSachHoSoThayDoiResponse></s:Body></s:Envelope>`;
    expect(xml.length).toBeGreaterThan(3_000_000);
    const { fetchImpl } = answering(xml);
    const { ctx, saved } = context(fetchImpl);
    await expect(createBusinessPoller(config, fetchImpl).poll(ctx)).resolves.toMatchObject({ listed: 0, accepted: 0 });
    expect(saved).toEqual([]);
  });

  it('reads a listed dossier whose code or change time cannot be read as one unreadable entry, not an untyped time error', () => {
    const entry = (MaHoSo: unknown, ThoiDiemCapNhat: unknown) => readEntry({ MaHoSo, ThoiDiemCapNhat }, '<HoSo/>');
    expect(entry('HKD-1', '2026-03-02T09:30:12.481+07:00')).toMatchObject({ readable: true, id: 'HKD-1', atIso: '2026-03-02T09:30:12.481+07:00' });
    for (const bad of ['02/03/2026 09:30:12', '2026-03-02T09:30:12', '', undefined, { '#text': 'x' }]) {
      expect(entry('HKD-1', bad)).toMatchObject({ readable: false, id: 'HKD-1', reason: expect.stringMatching(/^ThoiDiemCapNhat: /) });
    }
    for (const bad of ['', undefined, { '#text': 'x' }]) expect(entry(bad, '2026-03-02T09:30:12+07:00')).toMatchObject({ readable: false, id: undefined, reason: expect.stringMatching(/^MaHoSo: /) });
    // A code that could not be sent back as a parameter is not asked for.
    expect(entry('HKD 1 <x>', '')).toMatchObject({ readable: false, id: undefined });
  });
});
