import pRetry from 'p-retry';
import type { BusinessSourceConfig } from '../../contracts';
import { GatewayError, httpStatusError } from '../../src/lib/errors';
import { sha256Hex } from '../../src/lib/hash';
import { createHttpClient, type HttpClient } from '../../src/lib/http';
import { createRateLimiter } from '../../src/lib/rate-limit';
import { instantMs, normalizeInstant, toVnIso } from '../../src/lib/time';
import { XmlRefusedError } from '../../src/lib/xml';
import type { PollContext, PollReport, Poller } from '../types';
import { envelope, readSoapResponse, sliceDossiers } from './soap';
import { listResponse } from './wire';

/**
 * Polls `LayDanhSachHoSoThayDoi`, which lists whole dossiers changed since a point in time in
 * (ThoiDiemCapNhat, MaHoSo) order. Paging is by key: after each page the next request starts at
 * the last dossier's ThoiDiemCapNhat and skips what it already read, so a dossier changing while
 * we page cannot shift another past us; a page all in one instant is read by page number. The
 * cursor is the newest (ThoiDiemCapNhat, MaHoSo) read; each poll reaches back by an overlap, and
 * a dossier whose content hash has not changed is skipped.
 */
export interface BusinessCursor {
  at: string;
  id: string;
}

interface Listed {
  id: string;
  at: number;
  atIso: string;
  xml: string;
}

export function createBusinessClient(config: BusinessSourceConfig, fetchImpl?: typeof fetch) {
  let http: HttpClient | undefined;
  const limiter = createRateLimiter(config.requestsPerSecond);
  const client = (f?: typeof fetch) =>
    (http ??= createHttpClient({ system: 'business-registration', fetch: fetchImpl ?? f, timeoutMs: config.timeoutMs, limiter }));
  const credentials = { username: config.username, password: config.password };

  async function call(operation: string, params: Record<string, string | number>, f?: typeof fetch): Promise<{ xml: string; response: Record<string, unknown> }> {
    const res = await client(f)(`${config.baseUrl}/ws/HoSoDangKy`, {
      method: 'POST',
      body: envelope(operation, params, credentials),
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${operation}"` },
    });
    const isXml = /xml/i.test(res.headers.get('content-type') ?? '') || res.text.trimStart().startsWith('<?xml') || /<[\w:]*Envelope/.test(res.text);
    if (res.status === 200 || (res.status === 500 && isXml)) {
      try {
        return { xml: res.text, response: readSoapResponse(res.text, operation) };
      } catch (err) {
        // The refused answer itself is what an operator must be able to read, not only the reason.
        if (err instanceof XmlRefusedError) throw Object.assign(err, { document: res.text });
        throw err;
      }
    }
    throw httpStatusError('business-registration', res.status, res.headers.get('retry-after'));
  }

  /** Dossiers received in a date range (yyyy-MM-dd), for completeness checks. */
  async function count(from: string, to: string, f?: typeof fetch): Promise<number> {
    const { response } = await call('DemHoSo', { TuNgay: from, DenNgay: to }, f);
    const n = Number(response['TongSo']);
    if (!Number.isInteger(n)) throw new GatewayError('transient', 'BUSINESS_BAD_ANSWER', 'DemHoSo answered without a count');
    return n;
  }

  /** One dossier as the source holds it now, or null when the source does not know it. */
  async function get(code: string, f?: typeof fetch): Promise<string | null> {
    try {
      const { xml } = await call('LayHoSo', { MaHoSo: code }, f);
      return sliceDossiers(xml)[0] ?? null;
    } catch (err) {
      if (err instanceof GatewayError && err.code === 'BUSINESS_KHONG_TIM_THAY') return null;
      throw err;
    }
  }

  return { call, count, get };
}

export function createBusinessPoller(config: BusinessSourceConfig, fetchImpl?: typeof fetch): Poller {
  const business = createBusinessClient(config, fetchImpl);
  const seen = new Map<string, string>();

  const page = (ctx: PollContext, from: number, n: number) =>
    pRetry(
      async () => {
        const { xml, response } = await business.call('LayDanhSachHoSoThayDoi', { TuThoiDiem: toVnIso(from), Trang: n, KichThuocTrang: config.pageSize }, ctx.fetch);
        const parsed = listResponse.safeParse(response);
        if (!parsed.success) throw new GatewayError('transient', 'BUSINESS_BAD_ANSWER', 'the change list answer is not readable');
        const slices = sliceDossiers(xml);
        const list = parsed.data.DanhSachHoSo;
        const listed = list && typeof list === 'object' ? list.HoSo : [];
        if (slices.length !== listed.length) throw new GatewayError('transient', 'BUSINESS_BAD_ANSWER', 'the change list answer does not hold whole <HoSo> elements');
        const items: Listed[] = listed.map((node, i) => {
          const h = node as Record<string, unknown>;
          const atIso = normalizeInstant(String(h['ThoiDiemCapNhat']));
          return { id: String(h['MaHoSo']), at: instantMs(atIso), atIso, xml: slices[i]! };
        });
        return { items, pages: Number(parsed.data.TongSoTrang ?? 1) };
      },
      {
        retries: 4,
        minTimeout: 300,
        maxTimeout: 5_000,
        randomize: true,
        shouldRetry: ({ error }) => error instanceof GatewayError && error.retryable,
        onFailedAttempt: async ({ error }) => {
          const wait = error instanceof GatewayError ? error.retryAfterMs : undefined;
          if (wait) await new Promise((r) => setTimeout(r, Math.min(wait, 60_000)));
        },
      },
    );

  return {
    async poll(ctx) {
      const report: PollReport = { listed: 0, fetched: 0, accepted: 0, skipped: 0 };
      const cursor = (await ctx.loadCursor()) as BusinessCursor | null;
      let newest = cursor;
      let start = cursor
        ? instantMs(cursor.at) - config.overlapSeconds * 1000
        : config.startFrom
          ? instantMs(config.startFrom)
          : ctx.now() - 7 * 86_400_000;
      let n = 1;
      let last: { at: number; id: string } | undefined;
      const after = (a: { at: number; id: string }, b: { at: number; id: string }) => a.at > b.at || (a.at === b.at && a.id > b.id);
      for (;;) {
        let answer;
        try {
          answer = await page(ctx, start, n);
        } catch (err) {
          if (err instanceof XmlRefusedError) {
            const document = (err as XmlRefusedError & { document?: string }).document ?? err.message;
            await ctx.reject(document, err.code, `a change list answer was refused: ${err.message}`);
          }
          throw err;
        }
        const { items, pages } = answer;
        for (const item of items) {
          report.listed++;
          if (last && !after(item, last)) continue;
          last = { at: item.at, id: item.id };
          const hash = await sha256Hex(item.xml);
          const known = seen.get(item.id) ?? (await ctx.lastMarker(item.id));
          if (known === hash) {
            report.skipped++;
          } else {
            await ctx.accept({ externalId: item.id, kind: 'snapshot', sourceTime: item.atIso, body: item.xml, marker: hash });
            report.accepted++;
            if (seen.size > 50_000) seen.clear();
            seen.set(item.id, hash);
          }
          if (!newest || after(item, { at: instantMs(newest.at), id: newest.id })) newest = { at: item.atIso, id: item.id };
        }
        if (items.length < config.pageSize || n >= pages) break;
        const lastAt = items.at(-1)!.at;
        if (lastAt === start) n++;
        else {
          start = lastAt;
          n = 1;
        }
      }
      if (newest) await ctx.saveCursor(newest satisfies BusinessCursor);
      report.windowEnd = newest?.at;
      return report;
    },
  };
}
