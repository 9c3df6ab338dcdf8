import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAND_EVENTS, resolveConfig, type GatewayConfig } from '../contracts';
import { createApp } from '../src/app';
import { createGateway } from '../src/gateway';
import { createLogger } from '../src/lib/log';
import { openSqliteStore } from '../src/store/sqlite/store';
import type { RejectedRecordView, Store } from '../src/store/types';
import { runs } from './hostile/arbitraries';
import { LAND_FIXTURES, landBodyFor } from './hostile/land-bodies';

/**
 * The land callback route, through the real app and a real SQLite store, against bodies built to
 * hurt it. Each is answered with a clear 4xx, `Result: 0` and a message in plain words; the body is
 * kept for an operator with the reason; and the next valid callback is accepted as usual.
 */
const SECRET = 'bi-mat-hostile-4b7d1e';
const MAX_BODY = 1_000_000;

describe('land callbacks against hostile HTTP input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lienthong-hostile-'));
  const logs: string[] = [];
  let store: Store;
  let app: ReturnType<typeof createApp>;
  beforeAll(() => {
    const config: GatewayConfig = resolveConfig(
      {
        province: { code: 'H56' },
        procedures: { '1.012790': { name: 'Tách thửa hoặc hợp thửa đất', sectorCode: 'G13-TN02', statutoryDays: 15 } },
        sources: { land: { securityCodeEnv: 'LAND_CODE', office: { code: '000.00.20.H56', name: 'Văn phòng đăng ký đất đai' }, procedureMap: { 'TACH-THUA': '1.012790' }, maxBodyBytes: MAX_BODY } },
        targets: {
          province: { baseUrl: 'http://127.0.0.1:1', clientId: 'c', clientSecretEnv: 'LAND_CODE' },
          dvcqg: { baseUrl: 'http://127.0.0.1:1', username: 'u', passwordEnv: 'LAND_CODE', madonvi: '000.00.00.H56', dstcode: 'D' },
        },
      },
      { LAND_CODE: SECRET },
    );
    store = openSqliteStore({ file: join(dir, 'hostile.db') });
    const logger = createLogger((l) => logs.push(l), 'debug');
    const gateway = createGateway({ config, store, now: Date.now, logger, owner: 'test' });
    app = createApp({ store, config, now: Date.now, logger, version: 't', ingestor: gateway.ingestor });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const url = (event: string) => `http://gateway.test/ingest/land/${SECRET}/${event}`;
  const post = (event: string, body: BodyInit, headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' }) =>
    app.request(url(event), { method: 'POST', headers, body, duplex: 'half' } as RequestInit);

  /** Every kept record, as an operator finds them: through the problem groups, then each one opened. */
  const kept = new Map<number, RejectedRecordView>();
  async function keptRecords(): Promise<RejectedRecordView[]> {
    const { rejected } = await store.problemGroups(100_000);
    for (const id of rejected.flatMap((g) => g.samples.map((s) => s.id))) {
      if (!kept.has(id)) kept.set(id, (await store.getRejected(id))!);
    }
    return [...kept.values()];
  }

  let receipts = 0;
  /** A valid reception for a new dossier: the route must still take it after any refusal. */
  async function expectValidCallbackAccepted() {
    const receipt = `VPDK-260305-${String(++receipts).padStart(4, '0')}`;
    const res = await post('TiepNhanHoSo', JSON.stringify({ ...LAND_FIXTURES.TiepNhanHoSo, SoBienNhan: receipt }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ Result: 1, Message: 'Thành công' });
    expect(await store.getDossierView('land', receipt)).not.toBeNull();
  }

  /** A refusal an operator of the land system can act on: 4xx, Result 0, a short specific message. */
  async function expectRefused(res: Response, status: number, message: RegExp) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const answer = (await res.json()) as { Result: unknown; Message: unknown };
    expect(answer.Result).toBe(0);
    expect(typeof answer.Message).toBe('string');
    const text = answer.Message as string;
    expect(text).toMatch(message);
    expect(text.length).toBeLessThan(600);
    expect(text).not.toMatch(/\n\s+at |\[object Object\]|undefined|RangeError|TypeError/);
    expect(text).not.toContain(SECRET);
    return text;
  }

  async function expectKept(reasonCode: string, body: (kept: string) => boolean, kind = 'TiepNhanHoSo') {
    const records = await keptRecords();
    const match = records.find((r) => r.reasonCode === reasonCode && r.kind === kind && body(r.body));
    expect(match, `no kept ${reasonCode} record with the body sent`).toBeDefined();
    expect(match!.reason.length).toBeGreaterThan(5);
    expect(match!.source).toBe('land');
  }

  const valid = JSON.stringify(LAND_FIXTURES.TiepNhanHoSo);
  const oversized = JSON.stringify({ ...LAND_FIXTURES.TiepNhanHoSo, DiaChiTaiSan: 'Ạ'.repeat(MAX_BODY / 2) });
  const isPrefix = (kept: string) => kept.length > 1000 && oversized.startsWith(kept.slice(0, -1));

  describe('oversized bodies', () => {
    it('refuses a body over maxBodyBytes with a truthful Content-Length, keeping its first bytes', async () => {
      const bytes = new TextEncoder().encode(oversized);
      await expectRefused(await post('TiepNhanHoSo', bytes, { 'content-type': 'application/json', 'content-length': String(bytes.byteLength) }), 400, /quá lớn/);
      await expectKept('TOO_LARGE', isPrefix);
      await expectValidCallbackAccepted();
    });

    it('refuses a chunked body over maxBodyBytes without a Content-Length, and stops reading it', async () => {
      const chunk = new TextEncoder().encode(`"${'x'.repeat(64 * 1024 - 2)}"`);
      const total = 64;
      let pulled = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulled++ >= total) controller.close();
          else controller.enqueue(chunk);
        },
      });
      await expectRefused(await post('TiepNhanHoSo', stream, { 'content-type': 'application/json' }), 400, /quá lớn/);
      await expectKept('TOO_LARGE', (b) => b.startsWith('"xxx'));
      // Reading stopped once the limit was passed, far short of the 4 MB offered.
      expect(pulled).toBeLessThan(total / 2);
      await expectValidCallbackAccepted();
    });

    it('refuses a body larger than its Content-Length says', async () => {
      await expectRefused(await post('TiepNhanHoSo', new TextEncoder().encode(oversized), { 'content-type': 'application/json', 'content-length': '120' }), 400, /quá lớn/);
      await expectKept('TOO_LARGE', isPrefix);
      await expectValidCallbackAccepted();
    });

    it('refuses a small body whose Content-Length claims more than the limit', async () => {
      const body = JSON.stringify({ ...LAND_FIXTURES.TiepNhanHoSo, SoBienNhan: 'VPDK-CL-LIE' });
      await expectRefused(await post('TiepNhanHoSo', new TextEncoder().encode(body), { 'content-type': 'application/json', 'content-length': String(MAX_BODY * 10) }), 400, /quá lớn/);
      await expectKept('TOO_LARGE', (b) => b === body);
      await expectValidCallbackAccepted();
    });

    it('accepts a valid chunked body that sends no Content-Length', async () => {
      const bytes = new TextEncoder().encode(JSON.stringify({ ...LAND_FIXTURES.TiepNhanHoSo, SoBienNhan: 'VPDK-CHUNKED-1' }));
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.subarray(i, i + 7));
          controller.close();
        },
      });
      const res = await post('TiepNhanHoSo', stream, { 'content-type': 'application/json' });
      expect(res.status).toBe(200);
      expect(await store.getDossierView('land', 'VPDK-CHUNKED-1')).not.toBeNull();
    });
  });

  describe('over a real socket', () => {
    /** Sends `total` bytes in chunks with Transfer-Encoding: chunked, stopping once an answer arrives. */
    function chunkedPost(port: number, chunk: Buffer, total: number) {
      return new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
        let sent = 0;
        let answered = false;
        const req = request(
          { host: '127.0.0.1', port, path: `/ingest/land/${SECRET}/TiepNhanHoSo`, method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
          (res) => {
            answered = true;
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body, sent }));
          },
        );
        // The server may close the connection once it has answered: that is the point, not a failure.
        req.on('error', (err) => (answered ? undefined : reject(err)));
        const pump = () => {
          while (!answered && sent < total) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          req.end();
        };
        pump();
      });
    }

    it('refuses a chunked body over maxBodyBytes sent over HTTP/1.1, answering before it ends', async () => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
      await new Promise<void>((r) => server.once('listening', () => r()));
      try {
        const { port } = server.address() as AddressInfo;
        const total = 32 * MAX_BODY;
        const res = await chunkedPost(port, Buffer.from(`"${'x'.repeat(16 * 1024 - 2)}"`), total);
        expect(res.status).toBe(400);
        expect(JSON.parse(res.body)).toMatchObject({ Result: 0, Message: expect.stringMatching(/quá lớn/) });
        expect(res.sent).toBeLessThan(total);
        await expectKept('TOO_LARGE', (b) => b.startsWith('"xxx'));
      } finally {
        await new Promise((r) => server.close(r));
      }
      await expectValidCallbackAccepted();
    });
  });

  it.each([
    ['100,000 nested arrays', `{"SoBienNhan":"VPDK-DEEP-1","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`],
    ['100,000 nested objects', `{"SoBienNhan":"VPDK-DEEP-2","x":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`],
    ['nesting hidden inside a known field', JSON.stringify({ ...LAND_FIXTURES.TiepNhanHoSo, ThongTinThuaDat: JSON.parse(`${'['.repeat(80)}${']'.repeat(80)}`) })],
  ])('refuses deeply nested JSON (%s) without exhausting the stack, and keeps it', async (_what, body) => {
    await expectRefused(await post('TiepNhanHoSo', body), 400, /lồng nhau quá sâu/);
    await expectKept('TOO_DEEP', (b) => b === body);
    await expectValidCallbackAccepted();
  });

  it.each([
    ['a stray 0xFF byte', [0xff]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['a truncated multi-byte sequence', [0xe1, 0xba]],
    ['an encoded UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ['Latin-1 text instead of UTF-8', [...'Nguy'].map((c) => c.charCodeAt(0)).concat([0xea, 0x6e])],
  ])('refuses invalid UTF-8 (%s) and keeps what could be read', async (_what, bad) => {
    const before = new TextEncoder().encode(`{"SoBienNhan":"VPDK-UTF8","HoTen":"`);
    const bytes = new Uint8Array([...before, ...bad, 0x22, 0x7d]);
    await expectRefused(await post('TiepNhanHoSo', bytes, { 'content-type': 'application/json; charset=utf-8' }), 400, /UTF-8/);
    await expectKept('BAD_ENCODING', (b) => b.startsWith('{"SoBienNhan":"VPDK-UTF8"') && b.includes('\uFFFD'));
    await expectValidCallbackAccepted();
  });

  it.each([
    ['text/plain', { 'content-type': 'text/plain; charset=utf-8' }],
    ['application/xml', { 'content-type': 'application/xml' }],
    ['a form', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }],
    ['a look-alike', { 'content-type': 'application/jsonp' }],
    ['none at all', {}],
  ])('refuses a wrong content type (%s) with 415 and keeps the body', async (what, headers: Record<string, string>) => {
    const body = JSON.stringify({ ...LAND_FIXTURES.TiepNhanHoSo, SoBienNhan: `VPDK-TYPE-${what}` });
    await expectRefused(await post('TiepNhanHoSo', new TextEncoder().encode(body), headers), 415, /Content-Type/);
    await expectKept('BAD_CONTENT_TYPE', (b) => b === body);
    await expectValidCallbackAccepted();
  });

  it.each([['[]'], ['[{"SoBienNhan":"VPDK-1"}]'], ['42'], ['null'], ['"VPDK-1"'], ['true'], [''], ['   ']])('refuses JSON that is not an object (%s) and keeps it', async (body) => {
    await expectRefused(await post('ChuyenHoSo', body), 400, /JSON/);
    await expectKept('BAD_JSON', (b) => b === body, 'ChuyenHoSo');
    await expectValidCallbackAccepted();
  });

  it.each([
    ['__proto__ at the top', `{"SoBienNhan":"VPDK-PROTO-1","NgayChuyen":"2026-03-03T02:00:00","__proto__":{"polluted":"yes","KenhTiepNhan":2}}`],
    ['__proto__ inside the applicant', JSON.stringify({ ...LAND_FIXTURES.TiepNhanHoSo, SoBienNhan: 'VPDK-PROTO-2' }).replace('"HoTen"', '"__proto__":{"polluted":"yes"},"HoTen"')],
    ['constructor.prototype', `{"SoBienNhan":"VPDK-PROTO-3","NgayChuyen":"2026-03-03T02:00:00","constructor":{"prototype":{"polluted":"yes"}}}`],
    ['prototype inside a list', `{"SoBienNhan":"VPDK-PROTO-4","NgayChuyen":"2026-03-03T02:00:00","x":[{"prototype":{"polluted":"yes"}}]}`],
  ])('refuses prototype-pollution keys (%s), keeps the body and pollutes nothing', async (_what, body) => {
    await expectRefused(await post('ChuyenHoSo', body), 400, /khóa không được phép/);
    await expectKept('FORBIDDEN_KEY', (b) => b === body, 'ChuyenHoSo');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('KenhTiepNhan');
    await expectValidCallbackAccepted();
  });

  it.each([
    ['a due date that is not a time', 'TiepNhanHoSo', { ...LAND_FIXTURES.TiepNhanHoSo, SoBienNhan: 'VPDK-FOLD-1', NgayHenTra: 'thứ hai' }, 'BAD_TIME', /Thời gian/],
    ['a step deadline with an offset', 'ChuyenHoSo', { SoBienNhan: 'VPDK-FOLD-2', NgayChuyen: '2026-03-03T02:00:00', HanXuLy: '2026-03-06T10:00:00+07:00' }, 'BAD_TIME', /Thời gian/],
    ['a new due date on the 30th of February', 'NhanBoSungHoSo', { SoBienNhan: 'VPDK-FOLD-3', NgayNhanBoSung: '2026-03-06T01:00:00', NgayHenTraMoi: '2026-02-30T10:00:00' }, 'BAD_TIME', /Thời gian/],
    ['a channel that is not 1, 2 or 3', 'TiepNhanHoSo', { ...LAND_FIXTURES.TiepNhanHoSo, SoBienNhan: 'VPDK-FOLD-4', KenhTiepNhan: 7 }, 'BAD_FIELD', /KenhTiepNhan/],
    ['an area too large for a number', 'TiepNhanHoSo', { ...LAND_FIXTURES.TiepNhanHoSo, SoBienNhan: 'VPDK-FOLD-5', ThongTinThuaDat: [{ SoThuTuThua: '1', SoHieuBanDo: '2', DienTich: `1${'0'.repeat(400)}` }] }, 'BAD_FIELD', /DienTich/],
  ])('refuses %s at once, instead of storing what no later rebuild of the dossier could read', async (_what, event, body, code, message) => {
    const text = JSON.stringify(body);
    await expectRefused(await post(event, text), 400, message);
    await expectKept(code, (b) => b === text, event);
    await expectValidCallbackAccepted();
  });

  it('answers any mutated or random body with success or a clear refusal, keeping every refused body', async () => {
    const event = fc.constantFrom(...LAND_EVENTS);
    await fc.assert(
      fc.asyncProperty(
        event.chain((e) => fc.tuple(fc.constant(e), landBodyFor(e))),
        async ([e, body]) => {
          const res = await post(e, body);
          if (res.status === 200) {
            expect(await res.json()).toEqual({ Result: 1, Message: 'Thành công' });
            return;
          }
          expect([400, 413, 415]).toContain(res.status);
          await expectRefused(res, res.status, /\S/);
          const records = await keptRecords();
          expect(records.some((r) => r.kind === e && (r.body === body || r.reasonCode === 'TOO_LARGE'))).toBe(true);
        },
      ),
      { ...runs(60), timeout: 2_000 },
    );
    await expectValidCallbackAccepted();
    // Nothing the route refused was an unexpected failure.
    expect(logs.filter((l) => l.includes('request failed'))).toEqual([]);
  });
});
