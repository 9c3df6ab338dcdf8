import { Hono, type Context } from 'hono';
import { SANDBOX_PROVINCE_CREDENTIALS } from '../credentials';
import { createFaults, type FaultConfig, type FaultCounts } from '../shared/faults';
import { controlRoutes, isObject, readJson } from '../shared/http';
import { createRandom } from '../shared/random';
import { createRateLimiter, rateLimit } from '../shared/rate-limit';
import { createRequestLog, type RequestRecord } from '../shared/request-log';
import { listen, type ListenOptions, type Listening } from '../shared/server';
import { createProvinceStore, viewOf, type ProvinceDossier, type ProvinceDossierView } from './store';
import { validateDossier, validateStatusUpdate, validateSteps, type FieldError } from './validate';

/**
 * The provincial dossier system (targets/province.md): OAuth2 client credentials, strict
 * validation, a one-stop code issued on create, no idempotency key (409 carries the code), progress
 * appended without deduplication, and terminal statuses that refuse further status updates.
 *
 * Unspecified details, decided here: `PUT /hoso/{id}` replaces every field including
 * NgayKetThucXuLy/NgayTra/KetQua (absent means null), and a status update stores those three as
 * sent; a present-but-empty value (`""`) is a value and must be valid (`SoDinhDanh: ""` is refused);
 * numbers must be JSON numbers; only `/api/*` is rate-limited (per the token's client), and 429 and
 * 5xx answers are plain text; 401 is `{"error": "invalid_token"}`; PUT answers `{idHoSo, maHoSo}`.
 */
export interface ProvinceSimulatorOptions {
  clientId?: string;
  clientSecret?: string;
  /** Default 3600. */
  tokenTtlSeconds?: number;
  /** Requests per second per client; default 20, 0 turns the limit off. */
  rateLimitPerSecond?: number;
  faults?: FaultConfig | null;
  seed?: number;
  now?: () => number;
}

export interface ProvinceState {
  /** Every dossier as `GET /api/v1/hoso/{id}` shows it (copies). */
  dossiers(): ProvinceDossierView[];
  dossier(idHoSo: number): ProvinceDossierView | undefined;
  findBySource(maHoSoNguon: string, heThongNguon: string): ProvinceDossierView | undefined;
  /** Every accepted status update per dossier, in order. */
  statusUpdates(idHoSo: number): Record<string, unknown>[];
  /** Changes a dossier behind the gateway's back (a clerk editing it, for drift tests). */
  tamper(idHoSo: number, change: (dossier: ProvinceDossier) => void): void;
  /** Expires every token issued so far. */
  revokeTokens(): void;
}

export interface ProvinceSimulator {
  app: Hono;
  state: ProvinceState;
  setFaults(config: FaultConfig | null): void;
  faultCounts(): FaultCounts;
  setRateLimit(perSecond: number): void;
  /** Every request that reached the system since the last reset, oldest first (test control). */
  requests(): RequestRecord[];
  /**
   * Rotates the client secret, as the province's administrators may: the old one is refused from
   * now on; tokens already issued stay valid until they expire or are revoked (test control).
   */
  setClientSecret(secret: string): void;
  reset(): void;
  listen(options?: ListenOptions): Promise<Listening>;
}

type Env = { Variables: { clientId: string } };

const badRequest = (c: Context, chiTiet: FieldError[]) => c.json({ error: 'DU_LIEU_KHONG_HOP_LE', chiTiet }, 400);
const notFound = (c: Context) => c.json({ error: 'KHONG_TIM_THAY' }, 404);
const invalidJson = (c: Context) => badRequest(c, [{ truong: '(body)', loi: 'Nội dung không phải JSON hợp lệ' }]);
const tooMany = (c: Context, seconds: number) => c.text('Too Many Requests', 429, { 'Retry-After': String(seconds) });

export function createProvinceSimulator(options: ProvinceSimulatorOptions = {}): ProvinceSimulator {
  const clientId = options.clientId ?? SANDBOX_PROVINCE_CREDENTIALS.clientId;
  const initialSecret = options.clientSecret ?? SANDBOX_PROVINCE_CREDENTIALS.clientSecret;
  let clientSecret = initialSecret;
  const ttlMs = (options.tokenTtlSeconds ?? 3600) * 1000;
  const now = options.now ?? Date.now;
  const seed = options.seed ?? 1;
  let random = createRandom(seed);
  const store = createProvinceStore(now);
  const tokens = new Map<string, { clientId: string; expiresAt: number }>();
  const limiter = createRateLimiter(options.rateLimitPerSecond ?? 20);
  const faults = createFaults(options.faults, {
    serverError(c, r, variant) {
      // The LGSP in front answers these without a JSON body.
      const named = ({ '500': 500, '502': 502, '503': 503 } as const)[variant as '500' | '502' | '503'];
      const status = named ?? r.pick([500, 502, 503] as const);
      return c.text(status === 500 ? 'Internal Server Error' : status === 502 ? 'Bad Gateway' : 'Service Unavailable', status);
    },
    tooManyRequests: tooMany,
  });

  const loadDossier = (c: Context) => {
    const raw = c.req.param('idHoSo') ?? '';
    return /^\d{1,15}$/.test(raw) ? store.get(Number(raw)) : undefined;
  };

  const app = new Hono<Env>();
  const requestLog = createRequestLog();
  app.onError((_err, c) => c.text('Internal Server Error', 500));
  app.use('*', requestLog.middleware);
  app.use('*', faults.middleware);
  app.route(
    '/__sandbox',
    controlRoutes({
      snapshot: () => ({ dossiers: store.all().map(viewOf), faults: { config: faults.config(), counts: faults.counts() } }),
      faults,
      reset,
      requests: requestLog,
    }),
  );

  app.post('/oauth/token', async (c) => {
    let form: Record<string, string | File | (string | File)[]>;
    try {
      form = await c.req.parseBody();
    } catch {
      return c.json({ error: 'invalid_request' }, 400);
    }
    if (form['grant_type'] !== 'client_credentials') return c.json({ error: 'unsupported_grant_type' }, 400);
    if (form['client_id'] !== clientId || form['client_secret'] !== clientSecret) return c.json({ error: 'invalid_client' }, 401);
    const token = `pv.${random.hex(40)}`;
    tokens.set(token, { clientId, expiresAt: now() + ttlMs });
    return c.json({ access_token: token, token_type: 'Bearer', expires_in: ttlMs / 1000 });
  });

  app.use('/api/*', async (c, next) => {
    const match = /^Bearer (\S+)$/i.exec(c.req.header('authorization') ?? '');
    const held = match ? tokens.get(match[1]!) : undefined;
    if (!held || now() >= held.expiresAt) {
      if (held) tokens.delete(match![1]!);
      return c.json({ error: 'invalid_token' }, 401, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    }
    c.set('clientId', held.clientId);
    await next();
  });
  app.use('/api/*', rateLimit(limiter, (c) => (c as Context<Env>).get('clientId'), tooMany));

  app.post('/api/v1/hoso', async (c) => {
    const body = await readJson(c);
    if (!body.ok) return invalidJson(c);
    const errors = validateDossier(body.value);
    if (errors.length > 0) return badRequest(c, errors);
    const result = store.create(body.value as Record<string, unknown>);
    if (!result.created) return c.json({ error: 'HOSO_DA_TON_TAI', idHoSo: result.existing.idHoSo, maHoSo: result.existing.maHoSo }, 409);
    return c.json({ idHoSo: result.dossier.idHoSo, maHoSo: result.dossier.maHoSo }, 201);
  });

  app.get('/api/v1/hoso', (c) => {
    const found = store.find(c.req.query('maHoSoNguon') ?? '', c.req.query('heThongNguon') ?? '');
    return c.json(found ? [{ idHoSo: found.idHoSo, maHoSo: found.maHoSo }] : []);
  });

  app.get('/api/v1/hoso/:idHoSo', (c) => {
    const dossier = loadDossier(c);
    return dossier ? c.json(viewOf(dossier)) : notFound(c);
  });

  app.put('/api/v1/hoso/:idHoSo', async (c) => {
    const dossier = loadDossier(c);
    if (!dossier) return notFound(c);
    const body = await readJson(c);
    if (!body.ok) return invalidJson(c);
    const errors = validateDossier(body.value);
    if (errors.length > 0) return badRequest(c, errors);
    const result = store.update(dossier, body.value as Record<string, unknown>);
    if (!result.ok) return c.json({ error: 'HOSO_DA_TON_TAI', idHoSo: result.existing.idHoSo, maHoSo: result.existing.maHoSo }, 409);
    return c.json({ idHoSo: dossier.idHoSo, maHoSo: dossier.maHoSo });
  });

  app.post('/api/v1/hoso/:idHoSo/tien-trinh', async (c) => {
    const dossier = loadDossier(c);
    if (!dossier) return notFound(c);
    const body = await readJson(c);
    if (!body.ok) return invalidJson(c);
    const errors = validateSteps(body.value);
    if (errors.length > 0) return badRequest(c, errors);
    return c.json({ soBuoc: store.appendSteps(dossier, body.value as Record<string, unknown>[]) });
  });

  app.put('/api/v1/hoso/:idHoSo/trang-thai', async (c) => {
    const dossier = loadDossier(c);
    if (!dossier) return notFound(c);
    const body = await readJson(c);
    if (!body.ok) return invalidJson(c);
    const errors = validateStatusUpdate(body.value);
    if (errors.length > 0) return badRequest(c, errors);
    if (!isObject(body.value) || !store.setStatus(dossier, body.value)) return c.json({ error: 'TRANG_THAI_KHONG_HOP_LE' }, 409);
    return c.json({ idHoSo: dossier.idHoSo, maHoSo: dossier.maHoSo, TrangThai: dossier.fields['TrangThai'] });
  });

  function reset() {
    store.reset();
    tokens.clear();
    limiter.reset();
    faults.reset();
    requestLog.clear();
    clientSecret = initialSecret;
    random = createRandom(seed);
  }

  const state: ProvinceState = {
    dossiers: () => store.all().map(viewOf),
    dossier(idHoSo) {
      const d = store.get(idHoSo);
      return d && viewOf(d);
    },
    findBySource(maHoSoNguon, heThongNguon) {
      const d = store.find(maHoSoNguon, heThongNguon);
      return d && viewOf(d);
    },
    statusUpdates: (idHoSo) => structuredClone(store.get(idHoSo)?.statusUpdates ?? []),
    tamper(idHoSo, change) {
      const d = store.get(idHoSo);
      if (!d) throw new Error(`province sandbox holds no dossier ${idHoSo}`);
      change(d);
      d.updatedAt = now();
    },
    revokeTokens: () => tokens.clear(),
  };

  return {
    app: app as unknown as Hono,
    state,
    setFaults: faults.set,
    faultCounts: faults.counts,
    setRateLimit: limiter.setLimit,
    requests: requestLog.entries,
    setClientSecret(secret) {
      clientSecret = secret;
    },
    reset,
    listen: (listenOptions) => listen(app, listenOptions),
  };
}

export type { ProvinceDossier, ProvinceDossierView } from './store';
