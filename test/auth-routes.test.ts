import { generateSignedCookie } from 'hono/cookie';
import { inspectRoutes } from 'hono/dev';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, tokenHash } from '../src/auth/credentials';
import { ROLE_RANK, SESSION_COOKIE } from '../src/auth/middleware';
import type { Role } from '../src/store/types';
import { createTestApp } from './support/app';
import {
  PROTECTED_ROUTES,
  PUBLIC_ROUTES,
  createRouteFixtures,
  isConsolePage,
  requestInit,
  type ProtectedRoute,
  type RouteFixtures,
  type TestApp,
} from './support/route-matrix';

/**
 * The authentication matrix, complete by construction: the routes the app really registers are
 * read from its route table and must each be declared public or protected (test/support/
 * route-matrix.ts). Every protected route then refuses every kind of bad credentials with 401 and
 * every role below the one it needs with 403, through tokens and console sessions alike, and
 * answers the roles it admits.
 */

/** `METHOD /path` of every handler the app registers (middleware mounted with `use` excluded). */
function registeredRoutes(app: TestApp['app']): string[] {
  const keys = new Set<string>();
  for (const r of inspectRoutes(app as never)) if (r.method !== 'ALL' || !r.isMiddleware) keys.add(`${r.method} ${r.path}`);
  return [...keys].sort();
}

/** Routes the app registers that the matrix does not declare, and declared routes that no longer exist. */
function matrixGaps(registered: readonly string[]) {
  const declared = new Set<string>([...PUBLIC_ROUTES, ...PROTECTED_ROUTES.map((r) => r.route)]);
  return {
    undeclared: registered.filter((k) => !declared.has(k)),
    stale: [...declared].filter((k) => !registered.includes(k)),
  };
}

const ROLES = ['viewer', 'operator', 'admin'] as const;
const HOUR = 3600_000;

describe('every route of the app is public by declaration or protected by role', () => {
  let t: TestApp;
  let fx: RouteFixtures;
  /** The app's clock: moved back only while an already-expired session is being signed in. */
  let offset = 0;
  const sessions = {} as Record<Role, string>;
  const credentials: Record<Role, [string, string]> = {
    viewer: ['viewer-user', 'viewer-password-1'],
    operator: ['operator-user', 'operator-password-1'],
    admin: ['admin', 'admin-password-1'],
  };
  let expiredSession = '';
  const signIn = async (username: string, password: string) => {
    const res = await t.app.request('/console/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      body: new URLSearchParams({ username, password, next: '/console' }).toString(),
    });
    expect(res.status, `sign-in of ${username}`).toBe(303);
    return res.headers.get('set-cookie')!.split(';')[0]!;
  };

  beforeAll(async () => {
    t = await createTestApp({ now: () => Date.now() + offset });
    fx = await createRouteFixtures(t);
    const now = Date.now();
    await t.store.createToken({ name: 'old', role: 'admin', tokenHash: await tokenHash('lt_expired'), createdBy: 'test', expiresAt: now - 1 }, now - 10);
    const revoked = await t.store.createToken({ name: 'gone', role: 'admin', tokenHash: await tokenHash('lt_revoked'), createdBy: 'test', expiresAt: null }, now);
    await t.store.revokeToken(revoked, now);
    for (const role of ['viewer', 'operator'] as const) {
      await t.store.putUser({ username: `${role}-user`, passwordHash: await hashPassword(`${role}-password-1`), role }, now);
      sessions[role] = await signIn(`${role}-user`, `${role}-password-1`);
    }
    sessions.admin = await signIn('admin', 'admin-password-1');
    // A session signed in 13 hours ago: its 12 hours are over.
    offset = -13 * HOUR;
    expiredSession = await signIn('admin', 'admin-password-1');
    offset = 0;
  });
  afterAll(() => t?.close());

  it('declares every registered route, and nothing that is not registered', () => {
    const registered = registeredRoutes(t.app);
    expect(registered.length).toBeGreaterThan(40);
    expect(matrixGaps(registered)).toEqual({ undeclared: [], stale: [] });
    // The comparison would catch a route added without a declaration, and one removed.
    expect(matrixGaps([...registered, 'GET /api/v1/new-thing']).undeclared).toEqual(['GET /api/v1/new-thing']);
    expect(matrixGaps(registered.filter((k) => k !== 'GET /api/v1/audit')).stale).toEqual(['GET /api/v1/audit']);
  });

  it('answers the public routes without credentials, from the route itself', async () => {
    const open = async (path: string, init?: RequestInit) => {
      const res = await t.app.request(path, init);
      return { status: res.status, text: await res.text() };
    };
    expect((await open('/healthz')).status).toBe(200);
    expect((await open('/readyz')).status).toBe(200);
    const land = await open('/ingest/land/test-secret-value/TiepNhanHoSo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(land.status).toBe(400);
    expect(JSON.parse(land.text)).toMatchObject({ Result: 0 });
    const login = await open('/console/login');
    expect(login.status).toBe(200);
    expect(login.text).toContain('name="password"');
    const failed = await open('/console/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      body: new URLSearchParams({ username: 'admin', password: 'wrong' }).toString(),
    });
    expect(failed.status).toBe(401);
    expect(failed.text).toContain('name="password"');
  });

  /** Cookies that must not open a session: expired, altered, signed with another key, unsigned. */
  async function badCookies(): Promise<Record<string, string>> {
    const valid = decodeURIComponent(sessions.admin.slice(SESSION_COOKIE.length + 1));
    const dot = valid.lastIndexOf('.');
    const [payload, signature] = [valid.slice(0, dot), valid.slice(dot + 1)];
    const far = String(Date.now() + 1000 * HOUR);
    const flipped = `${signature.slice(0, 5)}${signature[5] === 'A' ? 'B' : 'A'}${signature.slice(6)}`;
    const cookie = (value: string) => `${SESSION_COOKIE}=${encodeURIComponent(value)}`;
    return {
      'expired session': expiredSession,
      'payload altered (expiry moved on)': cookie(`${payload.split('|')[0]}|${far}.${signature}`),
      'payload altered (another user)': cookie(`${payload.replace('admin', 'operator-user')}.${signature}`),
      'signature altered': cookie(`${payload}.${flipped}`),
      'signed with another key': (await generateSignedCookie(SESSION_COOKIE, `admin|${far}`, 'not-the-session-secret')).split(';')[0]!,
      unsigned: cookie(`admin|${far}`),
    };
  }

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const refusedCredentials = async (): Promise<Record<string, Record<string, string>>> => ({
    none: {},
    'unknown token': bearer('lt_wrong'),
    'expired token': bearer('lt_expired'),
    'revoked token': bearer('lt_revoked'),
    'a session cookie sent as a token': bearer(sessions.admin.slice(SESSION_COOKIE.length + 1)),
    'Basic credentials': { authorization: 'Basic YWRtaW46YWRtaW4tcGFzc3dvcmQtMQ==' },
    'Bearer without a token': { authorization: 'Bearer' },
    ...Object.fromEntries(Object.entries(await badCookies()).map(([k, cookie]) => [k, { cookie }])),
  });

  it.each(PROTECTED_ROUTES.map((r) => [r.route, r] as const))('%s refuses missing, wrong, expired, revoked and forged credentials with 401', async (_key, route: ProtectedRoute) => {
    for (const [what, headers] of Object.entries(await refusedCredentials())) {
      const req = await route.request(fx);
      const res = await t.app.request(req.path, requestInit(route.route, req, headers));
      expect(res.status, what).toBe(401);
      const text = await res.text();
      if (isConsolePage(route.route)) expect(text, what).toContain('name="password"');
      else expect(JSON.parse(text), what).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    }
  });

  it.each(PROTECTED_ROUTES.map((r) => [r.route, r.role, r] as const))('%s refuses roles below %s with 403 and answers the others', async (_key, _role, route: ProtectedRoute) => {
    for (const caller of ROLES) {
      for (const [via, headers] of [
        ['token', bearer(t.tokens[caller])],
        ['session', { cookie: route.endsSession ? await signIn(...credentials[caller]) : sessions[caller] }],
      ] as const) {
        const req = await route.request(fx);
        const res = await t.app.request(req.path, requestInit(route.route, req, headers));
        const text = await res.text();
        if (ROLE_RANK[caller] < ROLE_RANK[route.role]) {
          expect(res.status, `${caller} by ${via}`).toBe(403);
          // The role check's answer, not the CSRF guard's: it names the role needed.
          expect(JSON.parse(text), `${caller} by ${via}`).toMatchObject({ error: { code: 'FORBIDDEN' } });
        } else {
          expect(route.admitted, `${caller} by ${via}: ${res.status} ${text.slice(0, 200)}`).toContain(res.status);
        }
      }
    }
  });
});
