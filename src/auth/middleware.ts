import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import type { AppEnv } from '../app';
import { ApiError } from '../http/errors';
import type { Role } from '../store/types';
import { tokenHash } from './credentials';

/**
 * Who is calling. An API call carries `Authorization: Bearer <token>`; the console carries a signed
 * session cookie from its login. Roles: viewer (read), operator (replay, resync, reprocess), admin
 * (configuration, tokens). Everything but /healthz, /readyz and the source ingest routes needs one.
 */
export interface Principal {
  name: string;
  role: Role;
  via: 'token' | 'session';
}

export const ROLE_RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };
export const SESSION_COOKIE = 'lienthong_session';
const SESSION_HOURS = 12;

export const isPublic = (path: string) =>
  path === '/healthz' || path === '/readyz' || path.startsWith('/ingest/') || path === '/console/login' || path.startsWith('/console/static/');

async function fromToken(c: Context<AppEnv>, token: string): Promise<Principal | null> {
  const { store, now } = c.get('deps');
  const record = await store.findToken(await tokenHash(token));
  if (!record || record.revokedAt !== null || (record.expiresAt !== null && record.expiresAt <= now())) return null;
  await store.touchToken(record.id, now());
  return { name: `token:${record.name}`, role: record.role, via: 'token' };
}

async function fromSession(c: Context<AppEnv>): Promise<Principal | null> {
  const { store, now, sessionSecret } = c.get('deps');
  if (!sessionSecret) return null;
  const value = await getSignedCookie(c, sessionSecret, SESSION_COOKIE);
  if (!value) return null;
  const [username, expires, id] = value.split('|');
  if (!username || !id || !(Number(expires) > now())) return null;
  const [user, ended] = await Promise.all([store.getUser(username), store.getSetting(endedKey(id))]);
  if (!user || user.disabledAt !== null || ended !== null) return null;
  return { name: username, role: user.role, via: 'session' };
}

export async function startSession(c: Context<AppEnv>, username: string) {
  const { now, sessionSecret } = c.get('deps');
  if (!sessionSecret) throw new ApiError(503, 'NO_SESSIONS', 'console sessions are not configured');
  const id = crypto.randomUUID();
  await setSignedCookie(c, SESSION_COOKIE, `${username}|${now() + SESSION_HOURS * 3600_000}|${id}`, sessionSecret, {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
    secure: new URL(c.req.url).protocol === 'https:',
    maxAge: SESSION_HOURS * 3600,
  });
}

const endedKey = (id: string) => `session-ended:${id}`;

/**
 * Signs the caller out: the cookie is deleted, and the session is marked ended on the server, so a
 * copy of its cookie is worth nothing afterwards (its other sessions, on other browsers, go on).
 */
export async function endSession(c: Context<AppEnv>): Promise<void> {
  const { store, now, sessionSecret } = c.get('deps');
  const value = sessionSecret ? await getSignedCookie(c, sessionSecret, SESSION_COOKIE) : false;
  const id = value ? value.split('|')[2] : undefined;
  if (id) await store.putSetting(endedKey(id), String(now()));
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
}

/** Identifies the caller; anything not public without valid credentials gets 401. */
export function authenticate(onMissing: (c: Context<AppEnv>, reason: string) => Response | Promise<Response>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (isPublic(c.req.path)) return next();
    const header = c.req.header('authorization');
    let principal: Principal | null = null;
    if (header) {
      const [scheme, token] = header.split(' ');
      if (scheme?.toLowerCase() !== 'bearer' || !token) return onMissing(c, 'the Authorization header must be "Bearer <token>"');
      principal = await fromToken(c, token);
      if (!principal) return onMissing(c, 'the token is unknown, revoked or expired');
    } else {
      principal = await fromSession(c);
      if (!principal) return onMissing(c, 'sign in, or send an API token');
    }
    c.set('principal', principal);
    return next();
  };
}

/** Refuses a caller below `role` with 403. */
export function requireRole(role: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const p = c.get('principal');
    if (!p) throw new ApiError(401, 'UNAUTHENTICATED', 'sign in, or send an API token');
    if (ROLE_RANK[p.role] < ROLE_RANK[role]) throw new ApiError(403, 'FORBIDDEN', `this needs the ${role} role; you are ${p.role}`);
    return next();
  };
}
