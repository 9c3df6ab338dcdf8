import pRetry from 'p-retry';
import type { CivilStatusSourceConfig } from '../../contracts';
import { GatewayError, httpStatusError } from '../../src/lib/errors';
import { createHttpClient, jsonOf, type HttpClient, type HttpRequest, type HttpResponse } from '../../src/lib/http';
import { createRateLimiter } from '../../src/lib/rate-limit';
import { formatVnDateTime, instantMs, parseVnDateTime, toVnIso } from '../../src/lib/time';
import type { PollContext, PollReport, Poller } from '../types';
import { errorAnswer, listAnswer, loginAnswer, type ListItem } from './wire';

/**
 * Polls the civil-status system. Each poll reads the window from the last completed window's end
 * (minus an overlap) to now. Pages are read by key, not by offset: after each page the next request
 * starts at the last item's second, so a dossier that moves while we page cannot shift another one
 * past us. A second holding more than a page is read by offset and then re-read until nothing new
 * appears (items only ever leave a past second). Unchanged dossiers are skipped by their marker
 * (`ngayCapNhat`) before fetching and by content hash after.
 */
export interface CivilStatusCursor {
  /** End of the last completed window, ISO. */
  windowEnd: string;
}

const MAX_DENSE_PASSES = 5;
const MARKER_MEMORY = 50_000;
/**
 * `ngayCapNhat` has whole seconds, so a dossier can change again within the second its detail was
 * read and still list the same marker. A marker counts as settled (safe to skip by) only when the
 * detail was read after its second had passed, with this much margin for the two clocks.
 */
const CLOCK_MARGIN_MS = 1_000;
const UNSETTLED = '~unsettled';

export function createCivilStatusPoller(config: CivilStatusSourceConfig, fetchImpl?: typeof fetch): Poller {
  const limiter = createRateLimiter(config.requestsPerSecond);
  let token: { value: string; expiresAt: number } | undefined;
  const seen = new Map<string, string>();
  let http: HttpClient | undefined;

  const client = (ctx: PollContext) =>
    (http ??= createHttpClient({ system: 'civil-status', fetch: fetchImpl ?? ctx.fetch, timeoutMs: config.timeoutMs, limiter }));

  async function login(ctx: PollContext): Promise<string> {
    const res = await client(ctx)(`${config.baseUrl}/api/auth/login`, {
      method: 'POST',
      json: { userName: config.userName, password: config.password },
    });
    if (res.status === 401 || res.status === 403) {
      const code = errorAnswer.safeParse(jsonOf(res)).data?.errorCode ?? 'AUTH_FAILED';
      throw new GatewayError('configuration', `CIVIL_STATUS_${code}`, 'civil-status refused the configured user name or password: fix sources.civil-status credentials', {
        httpStatus: res.status,
      });
    }
    if (res.status !== 200) throw httpStatusError('civil-status', res.status, res.headers.get('retry-after'));
    const answer = loginAnswer.safeParse(jsonOf(res));
    if (!answer.success) throw new GatewayError('transient', 'CIVIL_STATUS_BAD_LOGIN_ANSWER', 'civil-status login answered without a token');
    token = { value: answer.data.token, expiresAt: ctx.now() + answer.data.expiresIn * 1000 - 60_000 };
    return token.value;
  }

  /** A call with the bearer token; on 401 it logs in again once and repeats. */
  async function call(ctx: PollContext, path: string, request: HttpRequest = {}): Promise<HttpResponse> {
    const attempt = async (bearer: string) =>
      client(ctx)(`${config.baseUrl}${path}`, { ...request, headers: { ...request.headers, authorization: `Bearer ${bearer}` } });
    const current = token && token.expiresAt > ctx.now() ? token.value : await login(ctx);
    let res = await attempt(current);
    if (res.status === 401) {
      token = undefined;
      res = await attempt(await login(ctx));
    }
    return res;
  }

  /** Short in-poll retries for transient trouble; what outlasts them fails the poll, and the next poll repeats the window. */
  const withRetry = <T>(ctx: PollContext, fn: () => Promise<T>) =>
    pRetry(fn, {
      retries: 4,
      minTimeout: 300,
      maxTimeout: 5_000,
      randomize: true,
      shouldRetry: ({ error }) => error instanceof GatewayError && error.retryable,
      onFailedAttempt: async ({ error }) => {
        const wait = error instanceof GatewayError ? error.retryAfterMs : undefined;
        if (wait) await new Promise((r) => setTimeout(r, Math.min(wait, 60_000)));
        ctx.logger.debug('civil-status call failed, retrying', { code: error instanceof GatewayError ? error.code : error.name });
      },
    });

  async function listPage(ctx: PollContext, from: number, to: number, page: number) {
    return withRetry(ctx, async () => {
      const res = await call(ctx, '/api/hoso', {
        searchParams: { tuNgay: formatVnDateTime(from), denNgay: formatVnDateTime(to), trang: page, soLuong: config.pageSize },
      });
      if (res.status !== 200) throw httpStatusError('civil-status', res.status, res.headers.get('retry-after'));
      const answer = listAnswer.safeParse(jsonOf(res));
      if (!answer.success) throw new GatewayError('transient', 'CIVIL_STATUS_BAD_LIST', 'civil-status answered the list call with an unreadable body');
      return answer.data.value;
    });
  }

  async function fetchDetail(ctx: PollContext, maHoSo: string): Promise<string | null> {
    return withRetry(ctx, async () => {
      const res = await call(ctx, `/api/hoso/${encodeURIComponent(maHoSo)}`);
      if (res.status === 404) return null;
      if (res.status !== 200) throw httpStatusError('civil-status', res.status, res.headers.get('retry-after'));
      return res.text;
    });
  }

  return {
    async poll(ctx) {
      const report: PollReport = { listed: 0, fetched: 0, accepted: 0, skipped: 0 };
      const cursor = (await ctx.loadCursor()) as CivilStatusCursor | null;
      const now = Math.floor(ctx.now() / 1000) * 1000;
      const from = cursor
        ? instantMs(cursor.windowEnd) - config.overlapSeconds * 1000
        : config.startFrom
          ? instantMs(config.startFrom)
          : now - 7 * 86_400_000;
      const to = now;
      const done = new Set<string>();

      const process = async (item: ListItem) => {
        report.listed++;
        const key = `${item.maHoSo}\u0000${item.ngayCapNhat}`;
        if (done.has(key)) return;
        done.add(key);
        const marker = item.ngayCapNhat;
        const known = seen.get(item.maHoSo) ?? (await ctx.lastMarker(item.maHoSo));
        if (known === marker) {
          report.skipped++;
          return;
        }
        const fetchedAt = ctx.now();
        const body = await fetchDetail(ctx, item.maHoSo);
        report.fetched++;
        if (body === null) {
          ctx.logger.warn('civil-status listed a dossier it then could not find', { marker });
          return;
        }
        const sourceTime = parseVnDateTime(marker);
        // An unsettled marker never equals a listed one: the next poll reads the detail again, and
        // the content hash makes that free when nothing changed.
        const settled = fetchedAt >= instantMs(sourceTime) + 1000 + CLOCK_MARGIN_MS;
        const stored = settled ? marker : `${marker}${UNSETTLED}`;
        await ctx.accept({ externalId: item.maHoSo, kind: 'snapshot', sourceTime, body, marker: stored });
        report.accepted++;
        if (seen.size >= MARKER_MEMORY) seen.clear();
        seen.set(item.maHoSo, stored);
      };

      const dense = new Set<number>();
      let start = from;
      let page = 1;
      let last: { at: number; id: string } | undefined;
      for (;;) {
        const items = await listPage(ctx, start, to, page);
        for (const item of items) {
          const at = instantMs(parseVnDateTime(item.ngayCapNhat));
          if (last && (at < last.at || (at === last.at && item.maHoSo <= last.id))) continue;
          await process(item);
          last = { at, id: item.maHoSo };
        }
        if (items.length < config.pageSize) break;
        const lastAt = instantMs(parseVnDateTime(items.at(-1)!.ngayCapNhat));
        if (lastAt === start) {
          // A whole page in one second: read that second by offset, and re-check it afterwards.
          dense.add(start);
          page++;
        } else {
          start = lastAt;
          page = 1;
        }
      }
      for (const second of dense) {
        for (let pass = 0; pass < MAX_DENSE_PASSES; pass++) {
          const before = done.size;
          for (let p = 1; ; p++) {
            const items = await listPage(ctx, second, second, p);
            for (const item of items) await process(item);
            if (items.length < config.pageSize) break;
          }
          if (done.size === before) break;
        }
      }
      report.windowEnd = toVnIso(to);
      await ctx.saveCursor({ windowEnd: report.windowEnd } satisfies CivilStatusCursor);
      return report;
    },
  };
}
