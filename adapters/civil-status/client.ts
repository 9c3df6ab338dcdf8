import type { CivilStatusSourceConfig } from '../../contracts';
import { GatewayError, httpStatusError } from '../../src/lib/errors';
import { createHttpClient, jsonOf, retryTransient, type HttpClient, type HttpRequest, type HttpResponse } from '../../src/lib/http';
import { createRateLimiter } from '../../src/lib/rate-limit';
import { formatVnDateTime, instantMs, parseVnDateTime, toVnIso } from '../../src/lib/time';
import type { PollContext, PollReport, Poller } from '../types';
import { errorAnswer, listAnswer, listItem, loginAnswer, type ListItem } from './wire';

/**
 * Polls the civil-status system. Each poll reads the window from the last completed window's end
 * (minus an overlap) to now. Pages are read by key, not by offset: after each page the next request
 * starts at the last item's second, so a dossier that moves while we page cannot shift another one
 * past us. A second holding more than a page is read by offset and then re-read until nothing new
 * appears (items only ever leave a past second). Unchanged dossiers are skipped by their marker
 * (`ngayCapNhat`) before fetching and by content hash after.
 *
 * A dossier that cannot be read must not hold every later change back. When the source itself
 * settles it (a list entry without a readable code or time, a detail answering 404, a detail the
 * mapper refuses) it is kept for an operator, once, and passed. A transient failure of its detail
 * (timeout, 5xx, 429, a dropped connection) settles nothing: the poll fails and the window is read again.
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
/** How many unreadable list entries a poller remembers as kept, so that it does not keep them again at every poll. */
const HANDLED_MEMORY = 10_000;

/** A change list page: its readable entries in order, the entries that have no place in it, and how many it held. */
interface ListPage {
  items: ListItem[];
  unreadable: { raw: unknown; reason: string }[];
  size: number;
}

type Detail = { found: true; body: string } | { found: false; status: number; body: string };

export function createCivilStatusPoller(config: CivilStatusSourceConfig, fetchImpl?: typeof fetch): Poller {
  const limiter = createRateLimiter(config.requestsPerSecond);
  let token: { value: string; expiresAt: number } | undefined;
  const seen = new Map<string, string>();
  const handled = new Set<string>();
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

  /** What outlasts the short in-poll retries fails the poll, and the next poll repeats the window. */
  const withRetry = <T>(ctx: PollContext, fn: () => Promise<T>) =>
    retryTransient(fn, (error) => ctx.logger.debug('civil-status call failed, retrying', { code: error instanceof GatewayError ? error.code : error.name }));

  async function listPage(ctx: PollContext, from: number, to: number, page: number): Promise<ListPage> {
    return withRetry(ctx, async () => {
      const res = await call(ctx, '/api/hoso', {
        searchParams: { tuNgay: formatVnDateTime(from), denNgay: formatVnDateTime(to), trang: page, soLuong: config.pageSize },
      });
      if (res.status !== 200) throw httpStatusError('civil-status', res.status, res.headers.get('retry-after'));
      const answer = listAnswer.safeParse(jsonOf(res));
      if (!answer.success) throw new GatewayError('transient', 'CIVIL_STATUS_BAD_LIST', 'civil-status answered the list call with an unreadable body');
      const read: ListPage = { items: [], unreadable: [], size: answer.data.value.length };
      for (const raw of answer.data.value) {
        const item = listItem.safeParse(raw);
        if (item.success) read.items.push(item.data);
        else {
          const issue = item.error.issues[0];
          read.unreadable.push({ raw, reason: `${issue?.path.join('.') || 'entry'}: ${issue?.message ?? 'unreadable'}` });
        }
      }
      return read;
    });
  }

  /** The detail as answered, or the source's own word that it holds no such dossier (404, sources/civil-status.md). */
  async function fetchDetail(ctx: PollContext, maHoSo: string): Promise<Detail> {
    return withRetry(ctx, async () => {
      const res = await call(ctx, `/api/hoso/${encodeURIComponent(maHoSo)}`);
      if (res.status === 404) return { found: false, status: 404, body: res.text };
      if (res.status !== 200) throw httpStatusError('civil-status', res.status, res.headers.get('retry-after'));
      return { found: true, body: res.text };
    });
  }

  return {
    async poll(ctx) {
      const report = { listed: 0, fetched: 0, accepted: 0, skipped: 0, rejected: 0 } satisfies PollReport;
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
        const detail = await fetchDetail(ctx, item.maHoSo);
        report.fetched++;
        const sourceTime = parseVnDateTime(marker);
        // An unsettled marker never equals a listed one: the next poll reads the detail again, and
        // the content hash makes that free when nothing changed.
        const settled = fetchedAt >= instantMs(sourceTime) + 1000 + CLOCK_MARGIN_MS;
        const stored = settled ? marker : `${marker}${UNSETTLED}`;
        if (detail.found) {
          // A detail the mapper refuses comes back `rejected`: the engine kept it (once, by its content) for an operator.
          const outcome = await ctx.accept({ externalId: item.maHoSo, kind: 'snapshot', sourceTime, body: detail.body, marker: stored });
          if (outcome === 'rejected') report.rejected++;
          else report.accepted++;
        } else {
          // Listed, yet the source holds no such dossier: nothing to deliver until it lists a new change.
          // The listing is part of the kept body, so that each listing of each dossier is kept once.
          await ctx.reject(
            JSON.stringify({ listed: item, status: detail.status, answer: detail.body.slice(0, 4096) }),
            'CIVIL_STATUS_DETAIL_NOT_FOUND',
            `the change list names this dossier as changed at ${item.ngayCapNhat}, but its detail answers ${detail.status}: the source holds no such dossier`,
            { externalId: item.maHoSo, kind: 'detail' },
          );
          report.rejected++;
        }
        if (seen.size >= MARKER_MEMORY) seen.clear();
        seen.set(item.maHoSo, stored);
      };

      /** An entry without a readable code or time cannot be placed in the list: kept for an operator, once, and passed. */
      const passUnreadable = async (entry: ListPage['unreadable'][number]) => {
        report.listed++;
        const body = JSON.stringify(entry.raw) ?? 'null';
        if (handled.has(body)) {
          report.skipped++;
          return;
        }
        const code = (entry.raw as { maHoSo?: unknown } | null)?.maHoSo;
        await ctx.reject(body, 'CIVIL_STATUS_UNREADABLE_ENTRY', `a change list entry cannot be read (${entry.reason}), so it has no place in the list`, {
          externalId: typeof code === 'string' && /^[^\s]{1,100}$/.test(code) ? code : undefined,
          kind: 'list-entry',
        });
        report.rejected++;
        if (handled.size >= HANDLED_MEMORY) handled.clear();
        handled.add(body);
      };

      const dense = new Set<number>();
      let start = from;
      let page = 1;
      let last: { at: number; id: string } | undefined;
      for (;;) {
        const read = await listPage(ctx, start, to, page);
        for (const entry of read.unreadable) await passUnreadable(entry);
        for (const item of read.items) {
          const at = instantMs(parseVnDateTime(item.ngayCapNhat));
          if (last && (at < last.at || (at === last.at && item.maHoSo <= last.id))) continue;
          await process(item);
          last = { at, id: item.maHoSo };
        }
        if (read.size < config.pageSize) break;
        const tail = read.items.at(-1);
        if (!tail) {
          // A full page without one readable entry gives no key to go on from: the next page by number.
          page++;
          continue;
        }
        const lastAt = instantMs(parseVnDateTime(tail.ngayCapNhat));
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
            const read = await listPage(ctx, second, second, p);
            for (const entry of read.unreadable) await passUnreadable(entry);
            for (const item of read.items) await process(item);
            if (read.size < config.pageSize) break;
          }
          if (done.size === before) break;
        }
      }
      const windowEnd = toVnIso(to);
      await ctx.saveCursor({ windowEnd } satisfies CivilStatusCursor);
      return { ...report, windowEnd };
    },
  };
}
