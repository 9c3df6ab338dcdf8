import { Hono, type Context } from 'hono';
import { SANDBOX_CIVIL_STATUS_CREDENTIALS } from '../credentials';
import { createFaults, type FaultConfig, type FaultCounts } from '../shared/faults';
import { controlRoutes, isObject, readJson } from '../shared/http';
import { createRandom } from '../shared/random';
import { createRateLimiter, rateLimit } from '../shared/rate-limit';
import { listen, type ListenOptions, type Listening } from '../shared/server';
import { parseSlashed } from '../shared/time';
import { createCivilStatusGenerator, type CivilStatusGenerator } from './generator';
import { isMapped } from './records';
import { createCivilStatusStore, type CivilStatusChange, type CivilStatusDetail } from './store';

/**
 * The electronic civil-status system (sources/civil-status.md): bearer login, a change list by
 * `ngayCapNhat` computed from the live state at each request (so paging while dossiers change moves
 * them, as in the real system), details with an XML document inside, 429 and maintenance 503s.
 *
 * Unspecified details, decided here: `trang` defaults to 1 and `soLuong` to 50; a missing or
 * malformed `tuNgay`/`denNgay`, `tuNgay` after `denNgay`, or `soLuong` outside 1..200 is a 400
 * `{"errorCode": "INVALID_PARAMETER", "message": ...}`; a page past the end has an empty `value`.
 */
export interface CivilStatusSimulatorOptions {
  userName?: string;
  password?: string;
  /** Default 1800. */
  tokenTtlSeconds?: number;
  /** Requests per second per account; default 10, 0 turns the limit off. */
  rateLimitPerSecond?: number;
  faults?: FaultConfig | null;
  seed?: number;
  now?: () => number;
}

export interface CivilStatusState {
  /** Every dossier's current detail (copies), ordered by ngayCapNhat then maHoSo. */
  dossiers(): CivilStatusDetail[];
  dossier(maHoSo: string): CivilStatusDetail | undefined;
  /** Every dossier's change-list entry, ordered as the API orders them. */
  changes(): CivilStatusChange[];
  /** What `GET /api/hoso` would list for a window (ms, inclusive; second precision). */
  changedBetween(from: number, to: number): CivilStatusChange[];
  /** Whether a local procedure code is in the integrator's mapping table (catalog.ts). */
  isMapped(maTTHC: string): boolean;
  /** Inserts or replaces a dossier; `at` (default now) becomes its ngayCapNhat. */
  put(detail: CivilStatusDetail, at?: number): void;
  /** Changes a dossier and stamps ngayCapNhat with `at` (default now), as a clerk's edit does. */
  update(maHoSo: string, change: (detail: CivilStatusDetail) => void, at?: number): void;
  revokeTokens(): void;
}

export interface CivilStatusSimulator {
  app: Hono;
  state: CivilStatusState;
  generator: CivilStatusGenerator;
  setFaults(config: FaultConfig | null): void;
  faultCounts(): FaultCounts;
  setRateLimit(perSecond: number): void;
  /** While on, every API call answers 503 (maintenance "for minutes at a time"). */
  setMaintenance(on: boolean): void;
  reset(): void;
  listen(options?: ListenOptions): Promise<Listening>;
}

type Env = { Variables: { userName: string } };

export const MAX_PAGE_SIZE = 200;
const DEFAULT_PAGE_SIZE = 50;

const tooMany = (c: Context, seconds: number) => c.json({ errorCode: 'TOO_MANY_REQUESTS' }, 429, { 'Retry-After': String(seconds) });
const maintenance = (c: Context) => c.text('Hệ thống đang bảo trì, vui lòng thử lại sau', 503);
const invalid = (c: Context, message: string) => c.json({ errorCode: 'INVALID_PARAMETER', message }, 400);

export function createCivilStatusSimulator(options: CivilStatusSimulatorOptions = {}): CivilStatusSimulator {
  const userName = options.userName ?? SANDBOX_CIVIL_STATUS_CREDENTIALS.userName;
  const password = options.password ?? SANDBOX_CIVIL_STATUS_CREDENTIALS.password;
  const ttlSeconds = options.tokenTtlSeconds ?? 1800;
  const now = options.now ?? Date.now;
  const seed = options.seed ?? 3;
  let random = createRandom(seed);
  const store = createCivilStatusStore();
  const generator = createCivilStatusGenerator(store, now, seed);
  const tokens = new Map<string, { userName: string; expiresAt: number }>();
  const limiter = createRateLimiter(options.rateLimitPerSecond ?? 10);
  let inMaintenance = false;
  const faults = createFaults(options.faults, { serverError: (c) => maintenance(c), tooManyRequests: tooMany });

  const app = new Hono<Env>();
  app.onError((_err, c) => c.text('Internal Server Error', 500));
  app.route(
    '/__sandbox',
    controlRoutes({
      snapshot: () => ({ dossiers: store.all(), changes: store.changes(), faults: { config: faults.config(), counts: faults.counts() } }),
      faults,
      reset,
    }),
  );
  app.use('*', faults.middleware);
  app.use('/api/*', async (c, next) => {
    if (inMaintenance) return maintenance(c);
    await next();
  });

  app.post('/api/auth/login', async (c) => {
    const body = await readJson(c);
    if (!body.ok || !isObject(body.value)) return c.json({ errorCode: 'INVALID_REQUEST' }, 400);
    if (body.value['userName'] !== userName || body.value['password'] !== password) return c.json({ errorCode: 'AUTH_FAILED' }, 401);
    const token = `cs.${random.hex(48)}`;
    tokens.set(token, { userName, expiresAt: now() + ttlSeconds * 1000 });
    return c.json({ token, expiresIn: ttlSeconds });
  });

  app.use('/api/*', async (c, next) => {
    if (c.req.path === '/api/auth/login') return next();
    const match = /^Bearer (\S+)$/i.exec(c.req.header('authorization') ?? '');
    const held = match ? tokens.get(match[1]!) : undefined;
    if (!held || now() >= held.expiresAt) {
      if (held) tokens.delete(match![1]!);
      return c.json({ errorCode: 'UNAUTHORIZED' }, 401);
    }
    c.set('userName', held.userName);
    await next();
  });
  app.use('/api/*', rateLimit(limiter, (c) => (c as Context<Env>).get('userName'), tooMany));

  /** The window both list calls share; a string is the reason it is invalid. */
  function windowOf(c: Context): { from: number; to: number } | string {
    const tuNgay = c.req.query('tuNgay');
    const denNgay = c.req.query('denNgay');
    const from = tuNgay === undefined ? undefined : parseSlashed(tuNgay);
    const to = denNgay === undefined ? undefined : parseSlashed(denNgay);
    if (from === undefined) return 'tuNgay: bắt buộc, định dạng dd/MM/yyyy HH:mm:ss';
    if (to === undefined) return 'denNgay: bắt buộc, định dạng dd/MM/yyyy HH:mm:ss';
    if (from > to) return 'tuNgay phải trước hoặc bằng denNgay';
    return { from, to };
  }

  function positiveInt(raw: string | undefined, fallback: number): number | undefined {
    if (raw === undefined) return fallback;
    return /^\d{1,9}$/.test(raw) ? Number(raw) : undefined;
  }

  // Registered before `/api/hoso/:maHoSo` so that `dem` is never taken for a dossier code.
  app.get('/api/hoso/dem', (c) => {
    const window = windowOf(c);
    if (typeof window === 'string') return invalid(c, window);
    return c.json({ tongSo: store.changedBetween(window.from, window.to).length });
  });

  app.get('/api/hoso', (c) => {
    const window = windowOf(c);
    if (typeof window === 'string') return invalid(c, window);
    const trang = positiveInt(c.req.query('trang'), 1);
    const soLuong = positiveInt(c.req.query('soLuong'), DEFAULT_PAGE_SIZE);
    if (trang === undefined || trang < 1) return invalid(c, 'trang: số nguyên từ 1');
    if (soLuong === undefined || soLuong < 1 || soLuong > MAX_PAGE_SIZE) return invalid(c, `soLuong: số nguyên từ 1 đến ${MAX_PAGE_SIZE}`);
    const all = store.changedBetween(window.from, window.to);
    return c.json({ tongSo: all.length, trang, soLuong, value: all.slice((trang - 1) * soLuong, trang * soLuong) });
  });

  app.get('/api/hoso/:maHoSo', (c) => {
    const detail = store.get(c.req.param('maHoSo'));
    return detail ? c.json(detail) : c.json({ errorCode: 'NOT_FOUND' }, 404);
  });

  function reset() {
    generator.reset();
    store.reset();
    tokens.clear();
    limiter.reset();
    faults.reset();
    inMaintenance = false;
    random = createRandom(seed);
  }

  const state: CivilStatusState = {
    dossiers: () => store.all(),
    dossier: (maHoSo) => {
      const d = store.get(maHoSo);
      return d && structuredClone(d);
    },
    changes: () => store.changes(),
    changedBetween: (from, to) => store.changedBetween(from, to),
    isMapped,
    put: (detail, at) => store.put(detail, at ?? now()),
    update: (maHoSo, change, at) => store.change(maHoSo, at ?? now(), change),
    revokeTokens: () => tokens.clear(),
  };

  return {
    app: app as unknown as Hono,
    state,
    generator,
    setFaults: faults.set,
    faultCounts: faults.counts,
    setRateLimit: limiter.setLimit,
    setMaintenance: (on) => {
      inMaintenance = on;
    },
    reset,
    listen: (listenOptions) => listen(app, listenOptions),
  };
}

export { isMapped } from './records';
export type { CivilStatusChange, CivilStatusDetail, CivilStatusHistoryEntry, CivilStatusModule, CivilStatusStatus } from './store';
export type { CivilStatusGenerator, GeneratorRunOptions, GeneratorStartOptions } from './generator';
