import { Hono, type Context } from 'hono';
import { SANDBOX_BUSINESS_CREDENTIALS } from '../credentials';
import { createFaults, type FaultConfig, type FaultCounts } from '../shared/faults';
import { controlRoutes } from '../shared/http';
import { createRateLimiter } from '../shared/rate-limit';
import { listen, type ListenOptions, type Listening } from '../shared/server';
import { vnMs } from '../shared/time';
import { createBusinessGenerator, type BusinessGenerator } from './generator';
import { hostileAnswer, type HostileKind } from './hostile';
import { isMapped } from './records';
import { readSoapRequest, type SoapRequest } from './request';
import { createBusinessStore, type BusinessDossier, type BusinessDossierInput } from './store';
import { createReleases, prefixOf, stableShare, writeFault, writeHoSo, writeResponse, type FaultKind, type PayloadPrefix, type PrefixStyle, type Release } from './xml';

/**
 * The national business registration system (sources/business-registration.md): a SOAP 1.1 service
 * at `POST /ws/HoSoDangKy` with a WS-Security UsernameToken, whose change list is computed from the
 * live state at each request (so paging while dossiers change moves them, as in the real system).
 *
 * Where the spec is silent, decided here:
 * - Requests are strict: Content-Type text/xml (charset utf-8 when given), at most 1 MB, SOAPAction
 *   exactly the body's operation in quotes, every parameter present once and no unknown one. A bad
 *   request is a `soap:Client` fault `YEU_CAU_KHONG_HOP_LE`, a bad parameter `THAM_SO_KHONG_HOP_LE`,
 *   an unknown operation `THAO_TAC_KHONG_HO_TRO`; all faults are HTTP 500 with `CODE: text`.
 * - TuThoiDiem needs seconds and an offset (any offset; it is an instant). Dossiers changed at or
 *   after it are listed. An empty list has TongSoTrang 0; a page past the end is empty.
 * - DemHoSo counts dossiers by NgayTiepNhan (Vietnam dates, both ends included); an online
 *   submission not yet received is not counted.
 * - Throttling: the spec only names 503 for overload, but README's rules give every system an
 *   HTTP 429 with Retry-After; the per-account limit and the `429` fault answer that, with an HTML
 *   page as the proxy in front of the service would. The `5xx` fault answers either a `soap:Server`
 *   fault `HE_THONG_BAN` (HTTP 500) or an HTTP 503 HTML page, chosen by the fault seed.
 */
export interface BusinessSimulatorOptions {
  username?: string;
  password?: string;
  /** Requests per second per account; default 10, 0 turns the limit off. */
  rateLimitPerSecond?: number;
  faults?: FaultConfig | null;
  seed?: number;
  now?: () => number;
  /** Envelope prefix of every answer, or `rotate` through all six combinations with the payload prefix. Default `s`. */
  prefixes?: PrefixStyle;
  /** Payload prefix when not rotating. Default `ns2`. */
  payloadPrefix?: PayloadPrefix;
  /** Share of dossiers whose texts carry numeric character references. Default 0.3. */
  ncrShare?: number;
}

export interface BusinessState {
  /** Every dossier (copies), ordered by ThoiDiemCapNhat then MaHoSo. */
  dossiers(): BusinessDossier[];
  dossier(maHoSo: string): BusinessDossier | undefined;
  /** What `LayDanhSachHoSoThayDoi` would list from `from` (epoch ms), before paging (copies). */
  changedSince(from: number): BusinessDossier[];
  /** The `<HoSo>` element exactly as the service writes it with that payload prefix. */
  xml(maHoSo: string, payloadPrefix?: PayloadPrefix): string | undefined;
  /** Whether a local procedure code is in the integrator's mapping table (catalog.ts). */
  isMapped(maTTHC: string): boolean;
  /** Inserts or replaces a dossier; `at` (default now) becomes its ThoiDiemCapNhat. */
  put(dossier: BusinessDossierInput, at?: number): void;
  /** Changes a dossier and stamps ThoiDiemCapNhat with `at` (default now), as an official's edit does. */
  update(maHoSo: string, change: (dossier: BusinessDossier) => void, at?: number): void;
}

export interface BusinessSimulator {
  app: Hono;
  state: BusinessState;
  generator: BusinessGenerator;
  setFaults(config: FaultConfig | null): void;
  faultCounts(): FaultCounts;
  setRateLimit(perSecond: number): void;
  /** While set, every successful answer is replaced by that attack; null restores normal answers. */
  setHostile(kind: HostileKind | null): void;
  setPrefixes(style: PrefixStyle, payloadPrefix?: PayloadPrefix): void;
  reset(): void;
  listen(options?: ListenOptions): Promise<Listening>;
}

export const SERVICE_PATH = '/ws/HoSoDangKy';
export const MAX_PAGE_SIZE = 100;
const MAX_REQUEST_BYTES = 1_000_000;
const DAY = 86_400_000;
const XML_HEADERS = { 'Content-Type': 'text/xml; charset=utf-8' };
const HTML_HEADERS = { 'Content-Type': 'text/html; charset=utf-8' };

const html = (title: string) => `<!DOCTYPE html><html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>`;
const serviceUnavailable = (c: Context) => c.body(html('503 Service Unavailable'), 503, HTML_HEADERS);
const tooMany = (c: Context, seconds: number) => c.body(html('429 Too Many Requests'), 429, { ...HTML_HEADERS, 'Retry-After': String(seconds) });

type Outcome = { ok: true; payload: (p: string) => string } | { ok: false; kind: FaultKind; code: string; message: string };
const invalid = (message: string): Outcome => ({ ok: false, kind: 'Client', code: 'THAM_SO_KHONG_HOP_LE', message });

/** The operation's parameters, each exactly once, none other; a string is what is wrong. */
function paramsOf<N extends string>(request: SoapRequest, names: readonly N[]): Record<N, string> | string {
  for (const name of request.params.keys()) if (!(names as readonly string[]).includes(name)) return `tham số ${name} không được hỗ trợ`;
  const out = {} as Record<N, string>;
  for (const name of names) {
    const values = request.params.get(name);
    if (!values) return `thiếu tham số ${name}`;
    if (values.length > 1) return `tham số ${name} chỉ được có một`;
    out[name] = values[0]!;
  }
  return out;
}

/** xs:dateTime with seconds and an offset; the wall-clock parts must form a real time. */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
function parseInstant(text: string): number | undefined {
  const m = ISO_INSTANT.exec(text);
  if (!m || vnMs(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!) === undefined) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}

/** `yyyy-MM-dd` as the epoch ms of that day's 00:00 in Vietnam. */
function parseDate(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  return m ? vnMs(+m[1]!, +m[2]!, +m[3]!) : undefined;
}

const positiveInt = (text: string) => (/^\d{1,9}$/.test(text) ? Number(text) : undefined);

function isSoapContentType(header: string | undefined): boolean {
  const [media, ...params] = (header ?? '').split(';').map((s) => s.trim().toLowerCase());
  if (media !== 'text/xml') return false;
  const charset = params.find((p) => p.startsWith('charset='));
  return charset === undefined || charset.replace(/^charset="?|"$/g, '') === 'utf-8';
}

export function createBusinessSimulator(options: BusinessSimulatorOptions = {}): BusinessSimulator {
  const username = options.username ?? SANDBOX_BUSINESS_CREDENTIALS.username;
  const password = options.password ?? SANDBOX_BUSINESS_CREDENTIALS.password;
  const now = options.now ?? Date.now;
  const seed = options.seed ?? 5;
  const ncrShare = options.ncrShare ?? 0.3;
  const store = createBusinessStore();
  const generator = createBusinessGenerator(store, now, seed);
  const limiter = createRateLimiter(options.rateLimitPerSecond ?? 10);
  const releases = createReleases(options.prefixes ?? 's', options.payloadPrefix ?? 'ns2', seed);
  let hostile: HostileKind | null = null;

  const xmlAnswer = (c: Context, body: string, status: 200 | 500) => c.body(body, status, XML_HEADERS);
  const fault = (c: Context, release: Release, kind: FaultKind, code: string, message: string) => xmlAnswer(c, writeFault(release, kind, code, message), 500);
  const hoSo = (d: BusinessDossier, p: string) => writeHoSo(d, p, stableShare(d.MaHoSo) < ncrShare);

  const faults = createFaults(options.faults, {
    serverError: (c, random) =>
      random.chance(0.5) ? fault(c, releases.next(), 'Server', 'HE_THONG_BAN', 'Hệ thống đang bận, vui lòng thử lại sau') : serviceUnavailable(c),
    tooManyRequests: tooMany,
  });

  const operations: Record<string, (request: SoapRequest) => Outcome> = {
    LayDanhSachHoSoThayDoi(request) {
      const params = paramsOf(request, ['TuThoiDiem', 'Trang', 'KichThuocTrang']);
      if (typeof params === 'string') return invalid(params);
      const from = parseInstant(params.TuThoiDiem);
      const page = positiveInt(params.Trang);
      const size = positiveInt(params.KichThuocTrang);
      if (from === undefined) return invalid('TuThoiDiem phải theo ISO-8601 có giây và múi giờ, ví dụ 2026-03-02T08:00:00+07:00');
      if (page === undefined || page < 1) return invalid('Trang phải là số nguyên từ 1');
      if (size === undefined || size < 1 || size > MAX_PAGE_SIZE) return invalid(`KichThuocTrang phải là số nguyên từ 1 đến ${MAX_PAGE_SIZE}`);
      const all = store.changedSince(from);
      const slice = all.slice((page - 1) * size, page * size);
      return {
        ok: true,
        payload: (p) => {
          const list = slice.map((d) => hoSo(d, p)).join('');
          return `<${p}TongSoTrang>${Math.ceil(all.length / size)}</${p}TongSoTrang><${p}Trang>${page}</${p}Trang>` + (list ? `<${p}DanhSachHoSo>${list}</${p}DanhSachHoSo>` : `<${p}DanhSachHoSo/>`);
        },
      };
    },

    LayHoSo(request) {
      const params = paramsOf(request, ['MaHoSo']);
      if (typeof params === 'string') return invalid(params);
      if (params.MaHoSo === '') return invalid('MaHoSo không được để trống');
      const dossier = store.get(params.MaHoSo);
      if (!dossier) return { ok: false, kind: 'Client', code: 'KHONG_TIM_THAY', message: `không tìm thấy hồ sơ ${params.MaHoSo}` };
      return { ok: true, payload: (p) => hoSo(dossier, p) };
    },

    DemHoSo(request) {
      const params = paramsOf(request, ['TuNgay', 'DenNgay']);
      if (typeof params === 'string') return invalid(params);
      const from = parseDate(params.TuNgay);
      const to = parseDate(params.DenNgay);
      if (from === undefined) return invalid('TuNgay phải theo định dạng yyyy-MM-dd');
      if (to === undefined) return invalid('DenNgay phải theo định dạng yyyy-MM-dd');
      if (from > to) return invalid('TuNgay phải trước hoặc bằng DenNgay');
      const count = store.receivedBetween(from, to + DAY);
      return { ok: true, payload: (p) => `<${p}TongSo>${count}</${p}TongSo>` };
    },
  };

  const app = new Hono();
  app.onError((_err, c) => fault(c, releases.next(), 'Server', 'LOI_HE_THONG', 'Lỗi hệ thống'));
  app.route(
    '/__sandbox',
    controlRoutes({
      snapshot: () => ({ dossiers: store.all(), hostile, faults: { config: faults.config(), counts: faults.counts() } }),
      faults,
      reset,
    }),
  );
  app.use('*', faults.middleware);

  app.post(SERVICE_PATH, async (c) => {
    const release = releases.next();
    const refuse = (code: string, message: string) => fault(c, release, 'Client', code, message);
    if (!isSoapContentType(c.req.header('content-type'))) return refuse('YEU_CAU_KHONG_HOP_LE', 'Content-Type phải là text/xml; charset=utf-8');
    if (Number(c.req.header('content-length') ?? 0) > MAX_REQUEST_BYTES) return refuse('YEU_CAU_KHONG_HOP_LE', 'yêu cầu quá lớn');
    const text = await c.req.text();
    if (text.length > MAX_REQUEST_BYTES) return refuse('YEU_CAU_KHONG_HOP_LE', 'yêu cầu quá lớn');

    const read = readSoapRequest(text);
    if (!read.ok) return refuse('YEU_CAU_KHONG_HOP_LE', read.message);
    const request = read.request;
    // Plain-text passwords only: a digest (or any other Type) is refused like a wrong password.
    const plainText = request.passwordType === undefined || request.passwordType.endsWith('#PasswordText');
    if (request.username !== username || request.password !== password || !plainText) {
      return refuse('XAC_THUC_THAT_BAI', 'tên đăng nhập hoặc mật khẩu không đúng');
    }
    const decision = limiter.take(username);
    if (!decision.ok) return tooMany(c, decision.retryAfterSeconds);

    const operation = Object.hasOwn(operations, request.operation) ? operations[request.operation] : undefined;
    if (!operation) return refuse('THAO_TAC_KHONG_HO_TRO', `không hỗ trợ thao tác ${request.operation}`);
    if (c.req.header('soapaction') !== `"${request.operation}"`) return refuse('YEU_CAU_KHONG_HOP_LE', `SOAPAction phải là "${request.operation}"`);
    const outcome = operation(request);
    if (!outcome.ok) return fault(c, release, outcome.kind, outcome.code, outcome.message);
    if (hostile) return xmlAnswer(c, hostileAnswer(hostile, release, request.operation), 200);
    return xmlAnswer(c, writeResponse(release, request.operation, outcome.payload), 200);
  });

  function reset() {
    generator.reset();
    store.reset();
    limiter.reset();
    faults.reset();
    releases.reset();
    hostile = null;
  }

  const state: BusinessState = {
    dossiers: () => store.all(),
    dossier: (maHoSo) => {
      const d = store.get(maHoSo);
      return d && structuredClone(d);
    },
    changedSince: (from) => store.changedSince(from).map((d) => structuredClone(d)),
    xml: (maHoSo, payloadPrefix = 'ns2') => {
      const d = store.get(maHoSo);
      return d && hoSo(d, prefixOf({ envelope: 's', payload: payloadPrefix }));
    },
    isMapped,
    put: (dossier, at) => store.put(dossier, at ?? now()),
    update: (maHoSo, change, at) => store.change(maHoSo, at ?? now(), change),
  };

  return {
    app,
    state,
    generator,
    setFaults: faults.set,
    faultCounts: faults.counts,
    setRateLimit: limiter.setLimit,
    setHostile: (kind) => {
      hostile = kind;
    },
    setPrefixes: releases.set,
    reset,
    listen: (listenOptions) => listen(app, listenOptions),
  };
}

export { isMapped, PROVINCIAL_OFFICE } from './records';
export { HOSTILE_KINDS, type HostileKind } from './hostile';
export { BUSINESS_STATUSES, DOSSIER_TYPES } from './store';
export type { BusinessApplicant, BusinessChannel, BusinessDossier, BusinessDossierInput, BusinessDossierType, BusinessFee, BusinessFile, BusinessStatus, BusinessStep, Enterprise, HouseholdBusiness } from './store';
export type { EnvelopePrefix, PayloadPrefix, PrefixStyle } from './xml';
export type { BusinessGenerator, CreateOptions, GeneratorRunOptions, GeneratorStartOptions } from './generator';
export type { QuirkShares, Step } from './records';
