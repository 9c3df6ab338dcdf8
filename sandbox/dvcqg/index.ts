import { Hono, type Context } from 'hono';
import { NATIONAL_CATALOG, type CatalogEntry } from '../catalog';
import { SANDBOX_DVCQG_CREDENTIALS } from '../credentials';
import { createFaults, type FaultConfig, type FaultCounts } from '../shared/faults';
import { controlRoutes, isObject, readJson } from '../shared/http';
import { createRandom } from '../shared/random';
import { createRateLimiter, rateLimit } from '../shared/rate-limit';
import { createRequestLog, type RequestRecord } from '../shared/request-log';
import { listen, type ListenOptions, type Listening } from '../shared/server';
import { createDvcqgStore, viewOf, type DvcqgDossier, type DvcqgDossierView } from './store';
import { agencyCarriesProvince, validateDossierItem, validateStep, type PortalRules } from './validate';

/**
 * The National Public Service Portal (targets/dvcqg.md): RPC over POST, a session token inside the
 * body, HTTP 200 for every business answer (read `error_code`), per-item results, steps replaced by
 * key, and infrastructure in front that answers 429/502/503 without JSON.
 *
 * The spec does not say what happens without the `dstcode` routing header: the sandbox answers
 * HTTP 400 with a plain-text body (the routing layer cannot route it), so a misconfigured gateway
 * fails loudly.
 */
export interface DvcqgSimulatorOptions {
  username?: string;
  password?: string;
  /** Default `H56`. */
  provinceCode?: string;
  dstcode?: string;
  /** Default 1800. */
  sessionTtlSeconds?: number;
  /** Calls per second per `madonvi`; default 5, 0 turns the limit off. */
  rateLimitPerSecond?: number;
  catalog?: Readonly<Record<string, CatalogEntry>>;
  faults?: FaultConfig | null;
  seed?: number;
  now?: () => number;
}

export interface DvcqgState {
  /** Every dossier as `TraCuuHoSo` shows it (copies). */
  dossiers(): DvcqgDossierView[];
  dossier(maHoSo: string): DvcqgDossierView | undefined;
  /** Changes a dossier behind the gateway's back (for drift tests). */
  tamper(maHoSo: string, change: (dossier: DvcqgDossier) => void): void;
  /** Ends every session issued so far. */
  revokeSessions(): void;
  /** Drops a dossier as if the portal had lost it (restored from an older backup); answers whether it was held. */
  remove(maHoSo: string): boolean;
  /** When each dossier and each of its steps (by `ThoiDiemXuLy|TrangThai`) was first held, epoch ms; no copies of the content. */
  receipts(): { MaHoSo: string; createdAt: number; steps: ReadonlyMap<string, number> }[];
}

export interface DvcqgSimulator {
  app: Hono;
  state: DvcqgState;
  setFaults(config: FaultConfig | null): void;
  faultCounts(): FaultCounts;
  setRateLimit(perSecond: number): void;
  /** Every request that reached the portal since the last reset, oldest first, with its service (test control). */
  requests(): RequestRecord[];
  /** Changes the account's password, as the portal's administrators may: logins with the old one get error_code 1 (test control). */
  setPassword(password: string): void;
  reset(): void;
  listen(options?: ListenOptions): Promise<Listening>;
}

export const MAX_DOSSIERS_PER_CALL = 50;
export const MAX_STEPS_PER_CALL = 10;

const OK = 'Thành công';
const callError = (c: Context, message: string) => c.json({ error_code: 2, message });
const tooMany = (c: Context, seconds: number) => c.body(null, 429, { 'Retry-After': String(seconds) });

export function createDvcqgSimulator(options: DvcqgSimulatorOptions = {}): DvcqgSimulator {
  const username = options.username ?? SANDBOX_DVCQG_CREDENTIALS.username;
  const initialPassword = options.password ?? SANDBOX_DVCQG_CREDENTIALS.password;
  let password = initialPassword;
  const dstcode = options.dstcode ?? SANDBOX_DVCQG_CREDENTIALS.dstcode;
  const rules: PortalRules = { provinceCode: options.provinceCode ?? SANDBOX_DVCQG_CREDENTIALS.provinceCode, catalog: options.catalog ?? NATIONAL_CATALOG };
  const ttlMs = (options.sessionTtlSeconds ?? 1800) * 1000;
  const now = options.now ?? Date.now;
  const seed = options.seed ?? 2;
  let random = createRandom(seed);
  const store = createDvcqgStore(now);
  const sessions = new Map<string, number>();
  const limiter = createRateLimiter(options.rateLimitPerSecond ?? 5);
  const faults = createFaults(options.faults, {
    serverError(c, r, variant) {
      const kind = variant === '502' || variant === '503' || variant === '99' ? variant : r.pick(['502', '503', '99'] as const);
      if (kind === '99') return c.json({ error_code: 99, message: 'Lỗi hệ thống, vui lòng thử lại sau' });
      return c.text(kind === '502' ? 'Bad Gateway' : 'Service Unavailable', kind === '502' ? 502 : 503);
    },
    tooManyRequests: tooMany,
  });

  const requestLog = createRequestLog({
    async call(c) {
      if (c.req.path !== '/api/integration') return undefined;
      const body = await readJson(c);
      if (!body.ok || !isObject(body.value)) return undefined;
      const service = typeof body.value['service'] === 'string' ? body.value['service'] : '?';
      return service === 'DongBoHoSoMC' ? `${service} isUpdating=${String(body.value['isUpdating'])}` : service;
    },
    answer: answerSummary,
  });
  const app = new Hono();
  app.onError((_err, c) => c.text('Internal Server Error', 500));
  app.route(
    '/__sandbox',
    controlRoutes({
      snapshot: () => ({ dossiers: store.all().map(viewOf), faults: { config: faults.config(), counts: faults.counts() } }),
      faults,
      reset,
      requests: requestLog,
    }),
  );
  app.use('*', requestLog.middleware);
  app.use('*', faults.middleware);
  app.use('/api/*', async (c, next) => {
    if (c.req.header('dstcode') !== dstcode) return c.text('Missing or unknown dstcode routing header', 400);
    await next();
  });

  app.post('/api/auth', async (c) => {
    const body = await readJson(c);
    if (!body.ok || !isObject(body.value)) return callError(c, 'Dữ liệu không hợp lệ');
    if (body.value['username'] !== username || body.value['password'] !== password)
      return c.json({ error_code: 1, message: 'Sai tên đăng nhập hoặc mật khẩu' });
    const session = random.hex(32);
    sessions.set(session, now() + ttlMs);
    return c.json({ error_code: 0, session });
  });

  app.use(
    '/api/integration',
    rateLimit(
      limiter,
      async (c) => {
        const body = await readJson(c);
        return body.ok && isObject(body.value) && typeof body.value['madonvi'] === 'string' ? body.value['madonvi'] : undefined;
      },
      tooMany,
    ),
  );

  app.post('/api/integration', async (c) => {
    const parsed = await readJson(c);
    if (!parsed.ok || !isObject(parsed.value)) return callError(c, 'Dữ liệu không hợp lệ: nội dung phải là JSON');
    const body = parsed.value;
    const expiresAt = typeof body['session'] === 'string' ? sessions.get(body['session']) : undefined;
    if (expiresAt === undefined || now() >= expiresAt) {
      if (expiresAt !== undefined) sessions.delete(body['session'] as string);
      return c.json({ error_code: -1, message: 'Phiên làm việc không hợp lệ' });
    }
    const madonvi = body['madonvi'];
    if (typeof madonvi !== 'string' || !agencyCarriesProvince(madonvi, rules.provinceCode)) return callError(c, 'madonvi: không hợp lệ');
    switch (body['service']) {
      case 'DongBoHoSoMC':
        return syncDossiers(c, body);
      case 'CapNhatTienDoHoSoMC':
        return syncSteps(c, body);
      case 'TraCuuHoSo': {
        if (typeof body['MaHoSo'] !== 'string') return callError(c, 'MaHoSo: bắt buộc');
        const d = store.get(body['MaHoSo']);
        return c.json({ error_code: 0, result: d ? [viewOf(d)] : [] });
      }
      case 'LayThuTuc': {
        if (typeof body['MaTTHC'] !== 'string') return callError(c, 'MaTTHC: bắt buộc');
        const entry = rules.catalog[body['MaTTHC']];
        return c.json({ error_code: 0, result: entry ? [catalogAnswer(body['MaTTHC'], entry)] : [] });
      }
      default:
        return callError(c, 'service: không hợp lệ');
    }
  });

  function dataOf(body: Record<string, unknown>, max: number): unknown[] | string {
    const data = body['data'];
    if (!Array.isArray(data) || data.length === 0) return 'data: phải là danh sách không rỗng';
    if (data.length > max) return `data: tối đa ${max} bản ghi mỗi lần gửi`;
    return data;
  }

  function syncDossiers(c: Context, body: Record<string, unknown>) {
    const isUpdating = body['isUpdating'];
    if (isUpdating !== 'False' && isUpdating !== 'True') return callError(c, 'isUpdating: phải là "True" hoặc "False"');
    const data = dataOf(body, MAX_DOSSIERS_PER_CALL);
    if (typeof data === 'string') return callError(c, data);
    const result = data.map((item) => {
      const maHoSo = isObject(item) && typeof item['MaHoSo'] === 'string' ? item['MaHoSo'] : '';
      const invalid = validateDossierItem(item, rules);
      if (invalid) return { MaHoSo: maHoSo, error_code: 2, message: invalid };
      const held = store.get(maHoSo);
      if (isUpdating === 'False') {
        // Both codes are seen in the wild for the same condition.
        if (held) return { MaHoSo: maHoSo, error_code: random.pick([3, -3]), message: 'Hồ sơ đã tồn tại' };
        store.create(item as Record<string, unknown>);
      } else {
        if (!held) return { MaHoSo: maHoSo, error_code: 2, message: 'Hồ sơ không tồn tại' };
        store.update(held, item as Record<string, unknown>);
      }
      return { MaHoSo: maHoSo, error_code: 0, message: OK };
    });
    return c.json({ error_code: 0, message: OK, result });
  }

  function syncSteps(c: Context, body: Record<string, unknown>) {
    const data = dataOf(body, MAX_STEPS_PER_CALL);
    if (typeof data === 'string') return callError(c, data);
    const result = data.map((step) => {
      const maHoSo = isObject(step) && typeof step['MaHoSo'] === 'string' ? step['MaHoSo'] : '';
      const invalid = validateStep(step);
      if (invalid) return { MaHoSo: maHoSo, error_code: 2, message: invalid };
      const held = store.get(maHoSo);
      if (!held) return { MaHoSo: maHoSo, error_code: 2, message: 'Hồ sơ không tồn tại' };
      store.putStep(held, step as Record<string, unknown>);
      return { MaHoSo: maHoSo, error_code: 0, message: OK };
    });
    return c.json({ error_code: 0, message: OK, result });
  }

  function reset() {
    store.reset();
    sessions.clear();
    limiter.reset();
    faults.reset();
    requestLog.clear();
    password = initialPassword;
    random = createRandom(seed);
  }

  const state: DvcqgState = {
    dossiers: () => store.all().map(viewOf),
    dossier(maHoSo) {
      const d = store.get(maHoSo);
      return d && viewOf(d);
    },
    tamper(maHoSo, change) {
      const d = store.get(maHoSo);
      if (!d) throw new Error(`dvcqg sandbox holds no dossier ${maHoSo}`);
      change(d);
      d.updatedAt = now();
    },
    revokeSessions: () => sessions.clear(),
    remove: (maHoSo) => store.remove(maHoSo),
    receipts: () => store.all().map((d) => ({ MaHoSo: d.MaHoSo, createdAt: d.createdAt, steps: new Map(d.stepHeldAt) })),
  };

  return {
    app,
    state,
    setFaults: faults.set,
    faultCounts: faults.counts,
    setRateLimit: limiter.setLimit,
    requests: requestLog.entries,
    setPassword(next) {
      password = next;
    },
    reset,
    listen: (listenOptions) => listen(app, listenOptions),
  };
}

/** A request log's summary of an answer: the call's `error_code`, then each item's, like `0 [0,3]`. */
function answerSummary(text: string): string | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(answer) || answer['error_code'] === undefined) return undefined;
  const result = answer['result'];
  const items = Array.isArray(result) && result.length > 0 && result.every((r) => isObject(r) && 'error_code' in r)
    ? ` [${result.map((r) => String((r as Record<string, unknown>)['error_code'])).join(',')}]`
    : '';
  return `${String(answer['error_code'])}${items}`;
}

/** A catalogue entry in the portal's uppercase shape. Same-day procedures show 0 working days. */
export function catalogAnswer(code: string, entry: CatalogEntry) {
  const time = [{ THOIGIANGIAIQUYET: String(entry.statutoryDays), DONVITINH: 'Ngày làm việc' }];
  return {
    MATTHC: code,
    TENTTHC: entry.name,
    LINHVUCTHUCHIEN: [{ MALINHVUC: entry.sectorCode, TENLINHVUC: entry.sectorName }],
    CACHTHUCTHUCHIEN: ['1', '2', '3'].map((KENH) => ({ KENH, THOIGIAN: time })),
  };
}

export type { DvcqgDossier, DvcqgDossierView } from './store';
