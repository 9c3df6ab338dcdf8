import type { BusinessSourceConfig } from '../../contracts';
import { GatewayError, httpStatusError } from '../../src/lib/errors';
import { sha256Hex } from '../../src/lib/hash';
import { createHttpClient, retryTransient, type HttpClient } from '../../src/lib/http';
import { createRateLimiter } from '../../src/lib/rate-limit';
import { instantMs, toVnIso } from '../../src/lib/time';
import { XmlRefusedError } from '../../src/lib/xml';
import type { PollContext, PollReport, Poller } from '../types';
import { LIST_OPERATION, readDossierText, readListPage, readListPiecewise, type ListEntry, type ListPage, type ReadableEntry, type UnreadableEntry } from './list';
import { envelope, readSoapResponse, sliceDossiers } from './soap';

/**
 * Polls `LayDanhSachHoSoThayDoi`, which lists whole dossiers changed since a point in time in
 * (ThoiDiemCapNhat, MaHoSo) order. Paging is by key: after each page the next request starts at
 * the last dossier's ThoiDiemCapNhat and skips what it already read, so a dossier changing while
 * we page cannot shift another past us; a page all in one instant is read by page number. The
 * cursor is the newest (ThoiDiemCapNhat, MaHoSo) read; each poll reaches back by an overlap, and
 * a dossier whose content hash has not changed is skipped.
 *
 * A listed dossier that cannot be read must not hold every later change back: it is read alone with
 * `LayHoSo` and, when the source's own answer confirms it unreadable or gone, kept for an operator
 * (once: by its text) and passed, while its readable neighbours move the cursor as usual.
 */
export interface BusinessCursor {
  at: string;
  id: string;
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

/** How many handled unreadable list entries a poller remembers, so that it does not ask about them at every poll. */
const HANDLED_MEMORY = 10_000;

export function createBusinessPoller(config: BusinessSourceConfig, fetchImpl?: typeof fetch): Poller {
  const business = createBusinessClient(config, fetchImpl);
  const seen = new Map<string, string>();
  /** Hashes of unreadable list entries already kept for an operator (or read alone instead). */
  const handled = new Set<string>();


  const page = (ctx: PollContext, from: number, n: number): Promise<ListPage> =>
    retryTransient(async () => {
      try {
        const { xml, response } = await business.call(LIST_OPERATION, { TuThoiDiem: toVnIso(from), Trang: n, KichThuocTrang: config.pageSize }, ctx.fetch);
        return readListPage(xml, response);
      } catch (err) {
        // One dossier written badly (an unescaped `&`, a broken tag) must not make its neighbours unreadable.
        const document = err instanceof XmlRefusedError ? (err as XmlRefusedError & { document?: string }).document : undefined;
        const piecewise = document === undefined ? null : readListPiecewise(document);
        if (piecewise) return piecewise;
        throw err;
      }
    });

  /**
   * A listed dossier that cannot be read, read alone with `LayHoSo`. Only the source's own answer
   * decides that it stays unreadable: the dossier is gone (`KHONG_TIM_THAY`), refused (`soap:Client`)
   * or again unreadable. Transient failures outlasting the retries fail the poll, which repeats it.
   */
  async function readAlone(ctx: PollContext, id: string): Promise<ListEntry> {
    try {
      const xml = await retryTransient(() => business.get(id, ctx.fetch));
      if (xml === null) return { readable: false, id, xml: '', reason: 'LayHoSo answers KHONG_TIM_THAY: the source does not hold it' };
      return readDossierText(xml);
    } catch (err) {
      // A soap:Client fault (a typed error without an HTTP status of its own) or an answer refused as XML.
      const settled = err instanceof XmlRefusedError || (err instanceof GatewayError && err.errorClass === 'rejected' && err.httpStatus === undefined);
      if (settled) {
        return { readable: false, id, xml: '', reason: `LayHoSo answers ${err.code}: ${err.message}` };
      }
      throw err;
    }
  }

  return {
    async poll(ctx) {
      const report = { listed: 0, fetched: 0, accepted: 0, skipped: 0, rejected: 0 } satisfies PollReport;

      const take = async (entry: ReadableEntry) => {
        const hash = await sha256Hex(entry.xml);
        const known = seen.get(entry.id) ?? (await ctx.lastMarker(entry.id));
        if (known === hash) {
          report.skipped++;
          return;
        }
        // A dossier the mapper refuses is kept for an operator by the engine; its hash is remembered
        // like any other, so the same text is not offered again.
        if ((await ctx.accept({ externalId: entry.id, kind: 'snapshot', sourceTime: entry.atIso, body: entry.xml, marker: hash })) === 'rejected') report.rejected++;
        else report.accepted++;
        if (seen.size > 50_000) seen.clear();
        seen.set(entry.id, hash);
      };

      /** An entry that has no place in the list's order: read alone if it can be, else kept for an operator and passed. */
      const passUnreadable = async (entry: UnreadableEntry) => {
        const hash = await sha256Hex(entry.xml);
        if (handled.has(hash)) {
          report.skipped++;
          return;
        }
        const alone = entry.id ? await readAlone(ctx, entry.id) : undefined;
        report.fetched += alone ? 1 : 0;
        if (alone?.readable) {
          // Read alone it is whole: taken as a snapshot, though it moves no cursor (its place in the list is unknown).
          await take(alone);
        } else {
          const reason =
            `a listed <HoSo> cannot be read (${entry.reason})` +
            (alone ? `; read alone: ${alone.reason}` : '; it names no dossier code to read it alone by');
          await ctx.reject(entry.xml, 'BUSINESS_UNREADABLE_DOSSIER', reason, { externalId: entry.id, kind: 'listed-dossier' });
          report.rejected++;
        }
        if (handled.size >= HANDLED_MEMORY) handled.clear();
        handled.add(hash);
      };

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
        const { entries, pages } = answer;
        let lastAt: number | undefined;
        for (const entry of entries) {
          report.listed++;
          if (!entry.readable) {
            await passUnreadable(entry);
            continue;
          }
          lastAt = entry.at;
          if (last && !after(entry, last)) continue;
          last = { at: entry.at, id: entry.id };
          await take(entry);
          if (!newest || after(entry, { at: instantMs(newest.at), id: newest.id })) newest = { at: entry.atIso, id: entry.id };
        }
        if (entries.length < config.pageSize || n >= pages) break;
        // A page without a readable key, or all in one instant, is followed by page number.
        if (lastAt === undefined || lastAt === start) n++;
        else {
          start = lastAt;
          n = 1;
        }
      }
      if (newest) await ctx.saveCursor(newest satisfies BusinessCursor);
      return { ...report, windowEnd: newest?.at };
    },
  };
}
