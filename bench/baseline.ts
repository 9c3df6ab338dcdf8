import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { statusCode, type CanonicalDossier, type ProcedureCatalog, type ProcedureMap } from '../contracts';
import { foldLand, toLandFragment, type LandFragment } from '../adapters/land/map';
import { instantMs } from '../src/lib/time';
import { WorkingCalendar } from '../src/lib/working-time';
import { normalizeDossier } from '../src/sync/normalize';
import { toDvcqgDossier, toDvcqgStep } from '../src/targets/dvcqg-map';
import { toProvinceDossier, toProvinceStatus, toProvinceStep } from '../src/targets/province-map';

/**
 * The end-to-end benchmark's ceiling: a plain Node HTTP server that takes the land callbacks and
 * makes the same province and national portal calls straight away, with the gateway's own mapping
 * functions building the bodies, and answers the land system once they are made. Nothing is stored
 * (what it must know to address a dossier, its events and the target ids, sits in memory), nothing
 * is ordered (each callback is handled as it comes) and nothing is retried (a failed call answers
 * `Result: 0`). Per callback: reception = province create + its step, portal create + its step;
 * any later event = province step (+ status update when the status changes), portal update + step.
 *
 * Configured by BENCH_BASELINE (JSON, see BaselineConfig); prints `{"url": ...}` on stderr once it
 * has signed in to both targets and listens.
 */
export interface BaselineConfig {
  securityCode: string;
  office: { code: string; name: string };
  procedureMap: ProcedureMap;
  catalog: ProcedureCatalog;
  province: { baseUrl: string; clientId: string; clientSecret: string };
  dvcqg: { baseUrl: string; username: string; password: string; madonvi: string; dstcode: string };
}

interface Held {
  fragments: LandFragment[];
  /** Set once the province's create answered. */
  target?: { idHoSo: number; maHoSo: string };
  status?: number;
}

class CallFailed extends Error {}

const config = JSON.parse(process.env['BENCH_BASELINE'] ?? '') as BaselineConfig;
const ctx = { procedureMap: config.procedureMap, catalog: config.catalog, calendar: new WorkingCalendar([]) };
const dossiers = new Map<string, Held>();

async function call(url: string, init: RequestInit, what: string): Promise<unknown> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!res.ok) throw new CallFailed(`${what}: HTTP ${res.status}`);
  return text ? (JSON.parse(text) as unknown) : null;
}

const json = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});

async function signIn(): Promise<{ bearer: string; session: string }> {
  const token = (await call(
    `${config.province.baseUrl}/oauth/token`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: config.province.clientId, client_secret: config.province.clientSecret }).toString(),
    },
    'province token',
  )) as { access_token: string };
  const auth = (await call(
    `${config.dvcqg.baseUrl}/api/auth`,
    json('POST', { username: config.dvcqg.username, password: config.dvcqg.password }, { dstcode: config.dvcqg.dstcode }),
    'portal login',
  )) as { session: string };
  return { bearer: token.access_token, session: auth.session };
}

const { bearer, session } = await signIn();
const province = (path: string, method: string, body: unknown) =>
  call(`${config.province.baseUrl}${path}`, json(method, body, { authorization: `Bearer ${bearer}` }), `province ${method} ${path.replace(/\d+/g, '{id}')}`);

async function portal(service: string, payload: Record<string, unknown>): Promise<void> {
  const answer = (await call(
    `${config.dvcqg.baseUrl}/api/integration`,
    json('POST', { session, madonvi: config.dvcqg.madonvi, service, ...payload }, { dstcode: config.dvcqg.dstcode }),
    `portal ${service}`,
  )) as { error_code: number; result?: { error_code: number }[] };
  if (answer.error_code !== 0 || answer.result?.some((r) => r.error_code !== 0)) throw new CallFailed(`portal ${service}: refused`);
}

/** One callback: map it with what came before, then the calls for this event. */
async function handle(event: string, body: string): Promise<void> {
  const mapped = toLandFragment(event, body);
  const held = dossiers.get(mapped.externalId) ?? { fragments: [] };
  dossiers.set(mapped.externalId, held);
  held.fragments.push(mapped.fragment);
  held.fragments.sort((a, b) => instantMs(a.at) - instantMs(b.at));
  const folded = foldLand(held.fragments, config.office);
  if (!folded) throw new CallFailed('no reception yet');
  const decision = normalizeDossier(folded, ctx, null);
  if (decision.kind !== 'dossier' || decision.hold) throw new CallFailed('dossier held back');
  const d = decision.dossier as CanonicalDossier;
  const at = instantMs(mapped.fragment.at);
  const index = d.events.findIndex((e) => e.rawStatus === mapped.fragment.event && instantMs(e.at) === at);
  const step = d.events[index];
  if (!step) throw new CallFailed('event not in the dossier');
  const reception = mapped.fragment.event === 'TiepNhanHoSo';

  if (reception) {
    const created = (await province('/api/v1/hoso', 'POST', toProvinceDossier(d))) as { idHoSo: number; maHoSo: string };
    held.target = created;
    held.status = statusCode(d.status);
  }
  const target = held.target;
  if (!target) throw new CallFailed('province has not created the dossier yet');
  await province(`/api/v1/hoso/${target.idHoSo}/tien-trinh`, 'POST', [toProvinceStep(d, step, d.events[index - 1])]);
  if (statusCode(d.status) !== held.status) {
    await province(`/api/v1/hoso/${target.idHoSo}/trang-thai`, 'PUT', toProvinceStatus(d));
    held.status = statusCode(d.status);
  }
  const entry = config.catalog[d.procedure.nationalCode]!;
  const names = { name: entry.name, sectorCode: entry.sectorCode, sectorName: entry.sectorName ?? '' };
  await portal('DongBoHoSoMC', { isUpdating: reception ? 'False' : 'True', data: [toDvcqgDossier(d, target.maHoSo, names)] });
  await portal('CapNhatTienDoHoSoMC', { data: [toDvcqgStep(d, target.maHoSo, step, d.events[index - 1])] });
}

function answer(res: ServerResponse, status: number, result: 0 | 1, message: string) {
  const body = JSON.stringify({ Result: result, Message: message });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function onRequest(req: IncomingMessage, res: ServerResponse) {
  const m = /^\/ingest\/land\/([^/]+)\/([^/?]+)$/.exec(req.url ?? '');
  if (req.method !== 'POST' || !m) return answer(res, 404, 0, 'not found');
  if (decodeURIComponent(m[1]!) !== config.securityCode) return answer(res, 401, 0, 'Sai mã bảo mật');
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    await handle(m[2]!, Buffer.concat(chunks).toString('utf8'));
    answer(res, 200, 1, 'Thành công');
  } catch (err) {
    // The reason only: never the body, which carries personal data.
    answer(res, err instanceof CallFailed ? 502 : 400, 0, (err as Error).message.slice(0, 200));
  }
}

const server = createServer((req, res) => void onRequest(req, res));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stderr.write(`${JSON.stringify({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
