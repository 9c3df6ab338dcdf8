import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStoreAudit } from '../src/auth/audit';
import { tokenHash } from '../src/auth/credentials';
import { createTestApp } from './support/app';

/** Authentication, roles and the audit log over the app's HTTP interface. */
describe('authentication and roles', () => {
  let t: Awaited<ReturnType<typeof createTestApp>>;
  beforeAll(async () => {
    t = await createTestApp();
    await t.store.createToken({ name: 'old', role: 'admin', tokenHash: await tokenHash('lt_expired'), createdBy: 'test', expiresAt: Date.now() - 1 }, Date.now() - 10);
    const revoked = await t.store.createToken({ name: 'gone', role: 'admin', tokenHash: await tokenHash('lt_revoked'), createdBy: 'test', expiresAt: null }, Date.now());
    await t.store.revokeToken(revoked, Date.now());
  });
  afterAll(() => t.close());

  const PROTECTED: [string, string, 'viewer' | 'operator' | 'admin', object?][] = [
    ['GET', '/metrics', 'viewer'],
    ['GET', '/api/v1/sync/status', 'viewer'],
    ['GET', '/api/v1/dossiers?q=x', 'viewer'],
    ['GET', '/api/v1/problems', 'viewer'],
    ['GET', '/api/v1/drift', 'viewer'],
    ['GET', '/openapi.json', 'viewer'],
    ['GET', '/docs', 'viewer'],
    ['GET', '/console', 'viewer'],
    ['POST', '/api/v1/deliveries/replay', 'operator', { target: 'province' }],
    ['POST', '/api/v1/held/reprocess', 'operator', {}],
    ['POST', '/api/v1/drift/resync', 'operator', { ids: [1] }],
    ['POST', '/api/v1/rejected/resolve', 'operator', { ids: [1] }],
    ['GET', '/api/v1/tokens', 'admin'],
    ['POST', '/api/v1/tokens', 'admin', { name: 'x', role: 'viewer' }],
    ['PUT', '/api/v1/mappings/civil-status/KS-02', 'admin', { nationalCode: '1.001193' }],
    ['PUT', '/api/v1/users/clerk', 'admin', { password: 'long-enough-1', role: 'viewer' }],
    ['GET', '/api/v1/audit', 'admin'],
  ];
  const RANK = { viewer: 1, operator: 2, admin: 3 };

  it.each(PROTECTED)('%s %s refuses missing, wrong, expired and revoked credentials', async (method, path, _role, body) => {
    const init = { method, ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) };
    expect((await t.app.request(path, init)).status).toBe(401);
    for (const token of ['lt_wrong', 'lt_expired', 'lt_revoked']) {
      const res = await t.app.request(path, { ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${token}` } });
      expect(res.status, token).toBe(401);
    }
    expect((await t.app.request(path, { ...init, headers: { ...(init.headers ?? {}), authorization: 'Basic YWRtaW46YWRtaW4=' } })).status).toBe(401);
  });

  it.each(PROTECTED)('%s %s refuses roles below %s with 403 and admits the others', async (method, path, role, body) => {
    for (const caller of ['viewer', 'operator', 'admin'] as const) {
      const res = await t.as(caller)(path, { method, ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
      if (RANK[caller] < RANK[role]) expect(res.status, caller).toBe(403);
      else expect([200, 201], `${caller}: ${await res.clone().text()}`).toContain(res.status);
    }
  });

  it('leaves /healthz, /readyz and source ingest routes open', async () => {
    expect((await t.app.request('/healthz')).status).toBe(200);
    expect((await t.app.request('/readyz')).status).toBe(200);
    expect((await t.app.request('/ingest/land/test-secret-value/TiepNhanHoSo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' })).status).toBe(400);
  });

  it('creates a token that is shown once, stored hashed, usable, and revocable', async () => {
    const res = await t.as('admin')('/api/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'prometheus', role: 'viewer' }) });
    const { id, token } = (await res.json()) as { id: number; token: string };
    expect(token).toMatch(/^lt_/);
    const listed = JSON.stringify(await (await t.as('admin')('/api/v1/tokens')).json());
    expect(listed).not.toContain(token);
    expect((await t.app.request('/metrics', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await t.as('admin')(`/api/v1/tokens/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await t.app.request('/metrics', { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  it('signs in to the console with a session cookie, and refuses a wrong password', async () => {
    const origin = 'http://localhost';
    const form = (password: string) => new URLSearchParams({ username: 'admin', password, next: '/console/problems' });
    const bad = await t.app.request('/console/login', { method: 'POST', body: form('nope'), headers: { 'content-type': 'application/x-www-form-urlencoded', origin } });
    expect(bad.status).toBe(401);
    const page = await t.app.request('/console');
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('name="password"');
    // A cross-site form post is refused outright.
    expect((await t.app.request('/console/login', { method: 'POST', body: form('admin-password-1'), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' } })).status).toBe(403);
    const ok = await t.app.request('/console/login', { method: 'POST', body: form('admin-password-1'), headers: { 'content-type': 'application/x-www-form-urlencoded', origin } });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/console/problems');
    const cookie = ok.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/i);
    const home = await t.app.request('/console', { headers: { cookie: cookie.split(';')[0]! } });
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('Tổng quan');
    const forged = cookie.split(';')[0]!.replace(/admin/, 'root');
    expect((await t.app.request('/console', { headers: { cookie: forged } })).status).toBe(401);
  });

  it('chains every operator and admin action in the audit log, and detects tampering', async () => {
    await t.as('operator')('/api/v1/deliveries/replay', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ target: 'province' }) });
    const report = await verifyStoreAudit(t.store);
    expect(report.ok).toBe(true);
    expect(report.entries).toBeGreaterThan(5);
    const entries = (await t.store.listAudit({ limit: 1000 })).reverse();
    expect(entries.map((e) => e.action)).toContain('deliveries.replay');
    expect(entries.find((e) => e.action === 'deliveries.replay')?.actor).toBe('token:operator');
    // Bypassing the append-only guard (as an attacker with file access would) breaks the chain.
    const raw = (t.store as unknown as { raw: { exec(sql: string): void } }).raw;
    raw.exec('DROP TRIGGER audit_log_no_update');
    raw.exec(`UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2`);
    const broken = await verifyStoreAudit(t.store);
    expect(broken).toMatchObject({ ok: false, brokenAt: 2 });
  });
});
