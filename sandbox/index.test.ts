import { describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS, startSandbox } from './index';
import { envelope } from '../adapters/business-registration/soap';
import { call } from './shared/testing';

describe('startSandbox', () => {
  it('starts the five systems on free ports, reachable with the default credentials, and closes them', async () => {
    const sandbox = await startSandbox({ generator: { newPerMinute: 6000, lifetimeMs: 100 } });
    try {
      expect(sandbox.credentials).toEqual(SANDBOX_CREDENTIALS);
      const token = await call(`${sandbox.province.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&client_id=${SANDBOX_CREDENTIALS.province.clientId}&client_secret=${SANDBOX_CREDENTIALS.province.clientSecret}`,
      });
      expect(token.status).toBe(200);
      const session = await call(`${sandbox.dvcqg.url}/api/auth`, {
        method: 'POST',
        headers: { dstcode: SANDBOX_CREDENTIALS.dvcqg.dstcode },
        json: { username: SANDBOX_CREDENTIALS.dvcqg.username, password: SANDBOX_CREDENTIALS.dvcqg.password },
      });
      expect(session.body.error_code).toBe(0);
      const login = await call(`${sandbox.civilStatus.url}/api/auth/login`, { method: 'POST', json: SANDBOX_CREDENTIALS.civilStatus });
      expect(login.status).toBe(200);
      const count = await call(`${sandbox.business.url}/ws/HoSoDangKy`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"DemHoSo"' },
        body: envelope('DemHoSo', { TuNgay: '2026-01-01', DenNgay: '2026-12-31' }, SANDBOX_CREDENTIALS.business),
      });
      expect(count.status).toBe(200);
      expect(count.text).toContain('TongSo');
      await new Promise((r) => setTimeout(r, 120));
      expect(sandbox.civilStatus.sim.state.dossiers().length).toBeGreaterThan(0);
      expect(sandbox.business.sim.state.dossiers().length).toBeGreaterThan(0);
      // The land system generates too, and keeps its callbacks until it is given a gateway to push to.
      expect(sandbox.land.sim.state.dossiers().length).toBeGreaterThan(0);
      expect(sandbox.land.sim.state.pending()).toBeGreaterThan(0);
      expect(sandbox.describe().join('\n')).toContain(sandbox.dvcqg.url);
    } finally {
      await sandbox.close();
    }
    await expect(fetch(`${sandbox.province.url}/oauth/token`, { method: 'POST' })).rejects.toThrow();
    expect(sandbox.civilStatus.sim.generator.isRunning()).toBe(false);
    expect(sandbox.land.sim.generator.isRunning()).toBe(false);
    expect(sandbox.business.sim.generator.isRunning()).toBe(false);
  });
});
