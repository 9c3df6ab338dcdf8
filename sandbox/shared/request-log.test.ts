import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createFaults } from './faults';
import { createRequestLog } from './request-log';
import { listen } from './server';
import { call } from './testing';

describe('request log', () => {
  it('records each request with its arrival, answer and the fault that stood in for it; not control routes', async () => {
    const log = createRequestLog({ call: (c) => c.req.query('op'), answer: (text) => (text ? `len=${text.length}` : undefined) });
    const faults = createFaults({ rate: 1, seed: 1, kinds: ['drop'], max: 1, paths: ['/drop'] }, {
      serverError: (c) => c.text('down', 503),
      tooManyRequests: (c, s) => c.body(null, 429, { 'Retry-After': String(s) }),
    });
    const app = new Hono();
    app.use('*', log.middleware);
    app.use('*', faults.middleware);
    app.get('/__sandbox/state', (c) => c.json({}));
    app.get('/ok', (c) => c.text('fine'));
    app.get('/drop', (c) => c.text('never seen'));
    const l = await listen(app);
    const before = Date.now();
    expect((await call(`${l.url}/ok?op=first`)).status).toBe(200);
    await expect(fetch(`${l.url}/drop`)).rejects.toThrow();
    expect((await call(`${l.url}/missing`)).status).toBe(404);
    await call(`${l.url}/__sandbox/state`);
    const entries = log.entries();
    expect(entries.map((e) => [e.method, e.path, e.status, e.call, e.fault])).toEqual([
      ['GET', '/ok', 200, 'first', undefined],
      ['GET', '/drop', 200, undefined, 'drop'],
      ['GET', '/missing', 404, undefined, undefined],
    ]);
    expect(entries[0]!.answer).toBe('len=4');
    expect(entries[0]!.at).toBeGreaterThanOrEqual(before);
    expect(entries[1]!.at).toBeGreaterThanOrEqual(entries[0]!.at);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    log.clear();
    expect(log.entries()).toEqual([]);
    await l.close();
  });

  it('keeps at most `max` records, dropping the oldest', async () => {
    const log = createRequestLog({ max: 2 });
    const app = new Hono();
    app.use('*', log.middleware);
    app.get('/:n', (c) => c.text(c.req.param('n')));
    for (const n of [1, 2, 3]) await app.request(`/${n}`);
    expect(log.entries().map((e) => e.path)).toEqual(['/2', '/3']);
  });
});
