import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../lib/errors';
import { createHttpClient, type HttpClient } from '../lib/http';
import { createUndiciFetch, type UndiciFetch } from './undici-fetch';

/**
 * The Node runtime's transport, through the gateway's HTTP client, against a real server: it must
 * send and answer exactly what the global fetch does, and fail the same way, so nothing above it
 * can tell which one carried a call.
 */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('the undici transport answers and fails like the global fetch', () => {
  const seen: Seen[] = [];
  let server: Server;
  let base: string;
  const undici: UndiciFetch = createUndiciFetch();
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        if (req.url!.startsWith('/silent')) return; // never answers
        if (req.url!.startsWith('/empty')) {
          res.writeHead(204).end();
          return;
        }
        res.writeHead(req.url!.startsWith('/busy') ? 503 : 201, [
          ['content-type', 'application/json; charset=utf-8'],
          ['set-cookie', 'a=1'],
          ['set-cookie', 'b=2'],
          ['retry-after', '7'],
        ]);
        res.end(JSON.stringify({ echo: body, ten: 'Hồ sơ đã tiếp nhận' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await undici.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const transports: [string, typeof fetch | undefined][] = [
    ['global fetch', undefined],
    ['undici', undici],
  ];
  const clientOf = (f: typeof fetch | undefined, timeoutMs = 5_000): HttpClient => createHttpClient({ system: 'province', fetch: f, timeoutMs });

  it.each(transports)('%s: sends the method, headers, query and body as written, and reads the whole answer', async (_, f) => {
    seen.length = 0;
    const res = await clientOf(f)(`${base}/api/hoso`, {
      method: 'PUT',
      json: { HoTen: 'Nguyễn Thị Bích Ngọc', buoc: [1, 2] },
      headers: { authorization: 'Bearer t0k' },
      searchParams: { ma: 'H56-261203-0001', trang: 2 },
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/api/hoso?ma=H56-261203-0001&trang=2', body: '{"HoTen":"Nguyễn Thị Bích Ngọc","buoc":[1,2]}' });
    expect(seen[0]!.headers).toMatchObject({ authorization: 'Bearer t0k', 'content-type': 'application/json; charset=utf-8' });
    expect(res.status).toBe(201);
    expect(JSON.parse(res.text)).toEqual({ echo: '{"HoTen":"Nguyễn Thị Bích Ngọc","buoc":[1,2]}', ten: 'Hồ sơ đã tiếp nhận' });
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
  });

  it.each(transports)('%s: a form body and a GET with no body', async (_, f) => {
    seen.length = 0;
    await clientOf(f)(`${base}/oauth/token`, { form: { grant_type: 'client_credentials', client_id: 'một hai' } });
    await clientOf(f)(`${base}/api/hoso/1`);
    expect(seen.map((s) => [s.method, s.headers['content-type'], s.body])).toEqual([
      ['POST', 'application/x-www-form-urlencoded', 'grant_type=client_credentials&client_id=m%E1%BB%99t+hai'],
      ['GET', undefined, ''],
    ]);
  });

  it.each(transports)('%s: an answer with no content, and a 503, are answers', async (_, f) => {
    expect(await clientOf(f)(`${base}/empty`, { json: {} })).toMatchObject({ status: 204, text: '' });
    expect(await clientOf(f)(`${base}/busy`, { json: {} })).toMatchObject({ status: 503 });
  });

  it.each(transports)('%s: no answer in time is an ambiguous TIMEOUT', async (_, f) => {
    const started = Date.now();
    const err = await clientOf(f, 300)(`${base}/silent`, { json: { a: 1 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'PROVINCE_TIMEOUT', errorClass: 'transient', ambiguous: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it.each(transports)('%s: a refused connection carries its code', async (_, f) => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await clientOf(f)(`http://127.0.0.1:${port}/x`, { json: {} }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PROVINCE_ECONNREFUSED', errorClass: 'transient', ambiguous: true });
  });

  it('called as a plain fetch, it reads the body and method from the Request', async () => {
    seen.length = 0;
    const res = await undici(new Request(`${base}/plain`, { method: 'POST', body: 'tên=Bình', headers: { 'x-ma': '1' } }));
    expect(res.status).toBe(201);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/plain', body: 'tên=Bình' });
    expect(seen[0]!.headers['x-ma']).toBe('1');
    const again = await undici(`${base}/plain2`, { method: 'POST', body: 'b' });
    expect(await again.json()).toMatchObject({ echo: 'b' });
  });
});
