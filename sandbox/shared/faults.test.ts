import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createFaults, type FaultConfig, type FaultKind } from './faults';
import { listen } from './server';
import { call } from './testing';

/** A one-route app whose effect (a counter) shows whether a request was carried out. */
async function faultedApp(config: FaultConfig | null) {
  let carriedOut = 0;
  const faults = createFaults(config, {
    serverError: (c) => c.text('Service Unavailable', 503),
    tooManyRequests: (c, s) => c.body(null, 429, { 'Retry-After': String(s) }),
  });
  const app = new Hono();
  app.use('*', faults.middleware);
  app.get('/__sandbox/ping', (c) => c.text('pong'));
  app.post('/effect', (c) => {
    carriedOut++;
    return c.json({ carriedOut });
  });
  const listening = await listen(app);
  return { faults, listening, carried: () => carriedOut, url: listening.url };
}

const only = (kind: FaultKind, extra: Partial<FaultConfig> = {}): FaultConfig => ({ rate: 1, seed: 1, kinds: [kind], ...extra });

describe('faults', () => {
  it('5xx answers without carrying the request out', async () => {
    const t = await faultedApp(only('5xx'));
    const res = await call(`${t.url}/effect`, { method: 'POST' });
    expect(res.status).toBe(503);
    expect(t.carried()).toBe(0);
    expect(t.faults.counts()['5xx']).toBe(1);
    await t.listening.close();
  });

  it('429 carries Retry-After and does not carry the request out', async () => {
    const t = await faultedApp(only('429', { retryAfterSeconds: 7 }));
    const res = await call(`${t.url}/effect`, { method: 'POST' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(t.carried()).toBe(0);
    await t.listening.close();
  });

  it('slow delays and then carries the request out', async () => {
    const t = await faultedApp(only('slow', { slowMs: [150, 150] }));
    const started = performance.now();
    const res = await call(`${t.url}/effect`, { method: 'POST' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(res.status).toBe(200);
    expect(t.carried()).toBe(1);
    await t.listening.close();
  });

  it('drop destroys the connection: the client sees a socket error, nothing is carried out', async () => {
    const t = await faultedApp(only('drop'));
    await expect(fetch(`${t.url}/effect`, { method: 'POST' })).rejects.toThrow();
    expect(t.carried()).toBe(0);
    expect(t.faults.counts().drop).toBe(1);
    await t.listening.close();
  });

  it('ambiguous carries the request out, then the client sees a socket error', async () => {
    const t = await faultedApp(only('ambiguous'));
    await expect(fetch(`${t.url}/effect`, { method: 'POST' })).rejects.toThrow();
    expect(t.carried()).toBe(1);
    expect(t.faults.counts().ambiguous).toBe(1);
    await t.listening.close();
  });

  it('ambiguous with hangMs answers only after a client timeout, having carried it out', async () => {
    const t = await faultedApp(only('ambiguous', { hangMs: 400 }));
    await expect(fetch(`${t.url}/effect`, { method: 'POST', signal: AbortSignal.timeout(100) })).rejects.toThrow();
    expect(t.carried()).toBe(1);
    await t.listening.close();
  });

  it('never faults control routes, changes at runtime, honours max and the path filter', async () => {
    const t = await faultedApp(only('5xx'));
    expect((await call(`${t.url}/__sandbox/ping`)).status).toBe(200);
    t.faults.set(null);
    expect((await call(`${t.url}/effect`, { method: 'POST' })).status).toBe(200);
    t.faults.set(only('5xx', { max: 1 }));
    expect((await call(`${t.url}/effect`, { method: 'POST' })).status).toBe(503);
    expect((await call(`${t.url}/effect`, { method: 'POST' })).status).toBe(200);
    t.faults.set(only('5xx', { paths: ['/other'] }));
    expect((await call(`${t.url}/effect`, { method: 'POST' })).status).toBe(200);
    expect(t.faults.counts()['5xx']).toBe(1);
    await t.listening.close();
  });

  it('aims at requests whose body holds a text, and answers the named server error', async () => {
    let carriedOut = 0;
    const faults = createFaults(only('5xx', { bodyIncludes: ['"service":"B"'], serverError: '502', max: 1 }), {
      serverError: (c, _r, variant) => c.text('down', variant === '502' ? 502 : 503),
      tooManyRequests: (c, s) => c.body(null, 429, { 'Retry-After': String(s) }),
    });
    const app = new Hono();
    app.use('*', faults.middleware);
    app.post('/rpc', async (c) => {
      carriedOut++;
      return c.json(await c.req.json<unknown>());
    });
    const l = await listen(app);
    const rpc = (service: string) => call(`${l.url}/rpc`, { method: 'POST', json: { service } });
    const a = await rpc('A');
    // The handler still reads the body the fault layer looked into.
    expect(a.body).toEqual({ service: 'A' });
    expect((await rpc('B')).status).toBe(502);
    expect((await rpc('B')).status).toBe(200);
    expect(carriedOut).toBe(2);
    await l.close();
  });

  it('injects at about the configured rate, reproducibly by seed', async () => {
    const outcomes = async () => {
      const t = await faultedApp({ rate: 0.3, seed: 77, kinds: ['5xx'] });
      const statuses: number[] = [];
      for (let i = 0; i < 60; i++) statuses.push((await call(`${t.url}/effect`, { method: 'POST' })).status);
      await t.listening.close();
      return statuses;
    };
    const first = await outcomes();
    expect(await outcomes()).toEqual(first);
    const faulted = first.filter((s) => s === 503).length;
    expect(faulted).toBeGreaterThan(5);
    expect(faulted).toBeLessThan(35);
  });
});

describe('listen', () => {
  it('close() ends kept-alive connections promptly', async () => {
    const app = new Hono();
    app.get('/', (c) => c.text('ok'));
    const l = await listen(app);
    expect(l.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await call(`${l.url}/`)).text).toBe('ok'); // leaves a keep-alive socket in fetch's pool
    const started = performance.now();
    await l.close();
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(fetch(`${l.url}/`)).rejects.toThrow();
  });
});
