import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStoreAudit } from '../src/auth/audit';
import { createTestApp } from './support/app';

/**
 * Tokens, console sessions and the audit log over the app's HTTP interface. Which route needs which
 * role, and that every route refuses bad credentials, is test/auth-routes.test.ts over the shared
 * matrix in test/support/route-matrix.ts.
 */
describe('authentication and roles', () => {
  let t: Awaited<ReturnType<typeof createTestApp>>;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

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

  it('ends a session on the server at sign-out: a copy of its cookie is refused afterwards', async () => {
    const login = async () => {
      const res = await t.app.request('/console/login', {
        method: 'POST',
        body: new URLSearchParams({ username: 'admin', password: 'admin-password-1' }),
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      });
      expect(res.status).toBe(303);
      return res.headers.get('set-cookie')!.split(';')[0]!;
    };
    const copy = await login();
    expect((await t.app.request('/api/v1/sync/status', { headers: { cookie: copy } })).status).toBe(200);
    const out = await t.app.request('/console/logout', { method: 'POST', headers: { cookie: copy, origin: 'http://localhost' } });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/lienthong_session=;/);
    expect((await t.app.request('/api/v1/sync/status', { headers: { cookie: copy } })).status).toBe(401);
    expect((await t.app.request('/console', { headers: { cookie: copy } })).status).toBe(401);
    // Signing in again afterwards gives a session that works.
    await new Promise((r) => setTimeout(r, 2));
    expect((await t.app.request('/api/v1/sync/status', { headers: { cookie: await login() } })).status).toBe(200);
    const actions = (await t.store.listAudit({ limit: 50 })).map((e) => e.action);
    expect(actions).toContain('session.logout');
  });

  it('chains every operator and admin action in the audit log, and detects tampering', async () => {
    const json = (body: object) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await t.as('operator')('/api/v1/deliveries/replay', json({ target: 'province' }));
    await t.as('operator')('/api/v1/held/reprocess', json({}));
    await t.as('admin')('/api/v1/mappings/civil-status/KS-02', { ...json({ nationalCode: '1.001193' }), method: 'PUT' });
    await t.as('admin')('/api/v1/users/clerk', { ...json({ password: 'long-enough-1', role: 'viewer' }), method: 'PUT' });
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
