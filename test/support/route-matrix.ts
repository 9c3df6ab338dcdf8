import { readFileSync } from 'node:fs';
import type { Role } from '../../src/store/types';
import type { createTestApp } from './app';

/**
 * Every route the app registers, declared once: the public ones, and for each protected one the
 * role it needs and a concrete request an admitted caller gets a real answer to. The auth suite
 * checks that this list and the app's own route table are the same set, so a route added without
 * an entry here fails the build instead of going out unprotected.
 */
export type TestApp = Awaited<ReturnType<typeof createTestApp>>;

/** `METHOD /path` as Hono registers it (`:param` placeholders). */
export type RouteKey = `${'GET' | 'POST' | 'PUT' | 'DELETE'} /${string}`;

/** Routes anyone may call: load balancers' probes, the sources' push routes, the sign-in page. */
export const PUBLIC_ROUTES: readonly RouteKey[] = [
  'GET /healthz',
  'GET /readyz',
  // Authenticated by the security code in its path (its own 401), not by a session or token.
  'POST /ingest/land/:securityCode/:event',
  'GET /console/login',
  'POST /console/login',
];

export interface ProtectedRequest {
  /** The route's path with its parameters filled. */
  path: string;
  json?: unknown;
  form?: Record<string, string>;
}

export interface ProtectedRoute {
  route: RouteKey;
  role: Role;
  /** Builds the request; may create what it acts on (a token to revoke), so each call gets its own. */
  request: (fx: RouteFixtures) => ProtectedRequest | Promise<ProtectedRequest>;
  /** What an admitted caller gets: the route's own answer to that request. */
  admitted: number[];
  /** The request ends the session it is made with: a test sends it with a session of its own. */
  endsSession?: true;
}

/** What the matrix's requests act on, created in the app beforehand by `createRouteFixtures`. */
export interface RouteFixtures {
  t: TestApp;
  dossier: { source: string; externalId: string };
  rejectedId: number;
  /** A fresh token (of no use to anyone) to revoke. */
  tokenToRevoke(): Promise<number>;
}

const dossierPath = (fx: RouteFixtures) => `${fx.dossier.source}/${encodeURIComponent(fx.dossier.externalId)}`;

export const PROTECTED_ROUTES: readonly ProtectedRoute[] = [
  { route: 'GET /', role: 'viewer', request: () => ({ path: '/' }), admitted: [302] },
  { route: 'GET /metrics', role: 'viewer', request: () => ({ path: '/metrics' }), admitted: [200] },
  { route: 'GET /openapi.json', role: 'viewer', request: () => ({ path: '/openapi.json' }), admitted: [200] },
  { route: 'GET /docs', role: 'viewer', request: () => ({ path: '/docs' }), admitted: [200] },
  { route: 'GET /docs/assets/docs-init.js', role: 'viewer', request: () => ({ path: '/docs/assets/docs-init.js' }), admitted: [200] },
  // The test app has no local copy of the page's files: the route answers that itself, with 404.
  { route: 'GET /docs/assets/:name', role: 'viewer', request: () => ({ path: '/docs/assets/swagger-ui.css' }), admitted: [404] },

  { route: 'GET /api/v1/sync/status', role: 'viewer', request: () => ({ path: '/api/v1/sync/status' }), admitted: [200] },
  { route: 'GET /api/v1/dossiers', role: 'viewer', request: () => ({ path: '/api/v1/dossiers?q=HT' }), admitted: [200] },
  { route: 'GET /api/v1/dossiers/:source/:externalId', role: 'viewer', request: (fx) => ({ path: `/api/v1/dossiers/${dossierPath(fx)}` }), admitted: [200] },
  { route: 'GET /api/v1/problems', role: 'viewer', request: () => ({ path: '/api/v1/problems' }), admitted: [200] },
  { route: 'GET /api/v1/mappings', role: 'viewer', request: () => ({ path: '/api/v1/mappings' }), admitted: [200] },
  { route: 'GET /api/v1/drift', role: 'viewer', request: () => ({ path: '/api/v1/drift' }), admitted: [200] },
  { route: 'POST /api/v1/deliveries/replay', role: 'operator', request: () => ({ path: '/api/v1/deliveries/replay', json: { target: 'province' } }), admitted: [200] },
  { route: 'GET /api/v1/rejected/:id', role: 'operator', request: (fx) => ({ path: `/api/v1/rejected/${fx.rejectedId}` }), admitted: [200] },
  { route: 'POST /api/v1/rejected/resolve', role: 'operator', request: (fx) => ({ path: '/api/v1/rejected/resolve', json: { ids: [fx.rejectedId] } }), admitted: [200] },
  { route: 'POST /api/v1/held/reprocess', role: 'operator', request: () => ({ path: '/api/v1/held/reprocess', json: {} }), admitted: [200] },
  { route: 'POST /api/v1/drift/run', role: 'operator', request: () => ({ path: '/api/v1/drift/run', json: { limit: 1 } }), admitted: [200] },
  { route: 'POST /api/v1/drift/resync', role: 'operator', request: () => ({ path: '/api/v1/drift/resync', json: { ids: [1] } }), admitted: [200] },
  { route: 'PUT /api/v1/mappings/:source/:localCode', role: 'admin', request: () => ({ path: '/api/v1/mappings/civil-status/KS-02', json: { nationalCode: '1.001193' } }), admitted: [200] },
  { route: 'GET /api/v1/tokens', role: 'admin', request: () => ({ path: '/api/v1/tokens' }), admitted: [200] },
  { route: 'POST /api/v1/tokens', role: 'admin', request: () => ({ path: '/api/v1/tokens', json: { name: 'matrix', role: 'viewer' } }), admitted: [201] },
  { route: 'DELETE /api/v1/tokens/:id', role: 'admin', request: async (fx) => ({ path: `/api/v1/tokens/${await fx.tokenToRevoke()}` }), admitted: [200] },
  { route: 'PUT /api/v1/users/:username', role: 'admin', request: () => ({ path: '/api/v1/users/clerk', json: { password: 'long-enough-1', role: 'viewer' } }), admitted: [200] },
  { route: 'GET /api/v1/audit', role: 'admin', request: () => ({ path: '/api/v1/audit' }), admitted: [200] },

  { route: 'POST /console/logout', role: 'viewer', request: () => ({ path: '/console/logout', form: {} }), admitted: [303], endsSession: true },
  { route: 'GET /console', role: 'viewer', request: () => ({ path: '/console' }), admitted: [200] },
  { route: 'GET /console/problems', role: 'viewer', request: () => ({ path: '/console/problems' }), admitted: [200] },
  { route: 'GET /console/dossiers', role: 'viewer', request: () => ({ path: '/console/dossiers?q=HT' }), admitted: [200] },
  { route: 'GET /console/dossiers/:source/:externalId', role: 'viewer', request: (fx) => ({ path: `/console/dossiers/${dossierPath(fx)}` }), admitted: [200] },
  { route: 'GET /console/drift', role: 'viewer', request: () => ({ path: '/console/drift' }), admitted: [200] },
  { route: 'POST /console/problems/replay', role: 'operator', request: () => ({ path: '/console/problems/replay', form: { target: 'province', state: 'failed' } }), admitted: [303] },
  { route: 'GET /console/rejected/:id', role: 'operator', request: (fx) => ({ path: `/console/rejected/${fx.rejectedId}` }), admitted: [200] },
  { route: 'POST /console/rejected/resolve', role: 'operator', request: (fx) => ({ path: '/console/rejected/resolve', form: { id: String(fx.rejectedId) } }), admitted: [303] },
  { route: 'POST /console/held/reprocess', role: 'operator', request: () => ({ path: '/console/held/reprocess', form: { source: 'civil-status' } }), admitted: [303] },
  { route: 'POST /console/drift/run', role: 'operator', request: () => ({ path: '/console/drift/run', form: {} }), admitted: [303] },
  { route: 'POST /console/drift/resync', role: 'operator', request: () => ({ path: '/console/drift/resync', form: { ids: '1' } }), admitted: [303] },
  { route: 'POST /console/mappings', role: 'admin', request: () => ({ path: '/console/mappings', form: { source: 'civil-status', localCode: 'KS-03', nationalCode: '1.001193' } }), admitted: [303] },
  { route: 'GET /console/admin', role: 'admin', request: () => ({ path: '/console/admin' }), admitted: [200] },
  { route: 'POST /console/admin/tokens', role: 'admin', request: () => ({ path: '/console/admin/tokens', form: { name: 'matrix-console', role: 'viewer' } }), admitted: [200] },
  { route: 'POST /console/admin/tokens/:id/revoke', role: 'admin', request: async (fx) => ({ path: `/console/admin/tokens/${await fx.tokenToRevoke()}/revoke`, form: {} }), admitted: [303] },
];

/** A console page: without a valid session it answers the sign-in page (401), not a JSON error. */
export const isConsolePage = (route: RouteKey) => route.startsWith('GET /console');

const method = (route: RouteKey) => route.slice(0, route.indexOf(' '));

/** The request as `app.request` takes it; forms carry this origin so the CSRF guard lets them through. */
export function requestInit(route: RouteKey, req: ProtectedRequest, headers: Record<string, string> = {}): RequestInit {
  const init: RequestInit & { headers: Record<string, string> } = { method: method(route), headers: { ...headers } };
  if (req.json !== undefined) {
    init.body = JSON.stringify(req.json);
    init.headers['content-type'] = 'application/json';
  } else if (req.form !== undefined) {
    init.body = new URLSearchParams(req.form).toString();
    init.headers['content-type'] = 'application/x-www-form-urlencoded';
    init.headers['origin'] = 'http://localhost';
  }
  return init;
}

const birth = readFileSync(new URL('../../adapters/civil-status/fixtures/civil-status-birth.json', import.meta.url), 'utf8');

/** A dossier and a refused record for the matrix's requests to act on. */
export async function createRouteFixtures(t: TestApp): Promise<RouteFixtures> {
  const accepted = await t.gateway.ingestor.accept('civil-status', { externalId: '', kind: 'snapshot', sourceTime: '2026-03-02T10:41:00+07:00', body: birth });
  if (accepted.outcome === 'rejected') throw new Error(`the fixture dossier was refused: ${accepted.reason}`);
  await t.gateway.ingestor.accept('civil-status', { externalId: '', kind: 'snapshot', body: '{"maHoSo": 1}' });
  const problems = await t.store.problemGroups(5);
  const rejectedId = problems.rejected.flatMap((g) => g.samples.map((s) => s.id))[0];
  if (rejectedId === undefined) throw new Error('the refused fixture record is not listed');
  let n = 0;
  return {
    t,
    dossier: { source: 'civil-status', externalId: (JSON.parse(birth) as { maHoSo: string }).maHoSo },
    rejectedId,
    async tokenToRevoke() {
      return t.store.createToken({ name: `to-revoke-${++n}`, role: 'viewer', tokenHash: `unused-${n}-${Math.random()}`, createdBy: 'test', expiresAt: null }, Date.now());
    },
  };
}
