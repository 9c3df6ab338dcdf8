import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through HTTP proxy in front of a simulator that remembers the credentials it sees go by:
 * the bearer tokens in requests and the tokens and sessions in JSON answers (an OAuth access token,
 * a login session). The simulators keep theirs to themselves; a test that looks for them in the
 * gateway's output reads them here. A connection the simulator drops is dropped downstream too, so
 * faults reach the gateway unchanged.
 */
export interface RecordingProxy {
  url: string;
  /** Every credential seen so far. */
  secrets(): string[];
  close(): Promise<void>;
}

const ANSWER_KEYS = new Set(['access_token', 'refresh_token', 'token', 'session']);

function fromJson(text: string, out: Set<string>) {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return;
  }
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (ANSWER_KEYS.has(k) && typeof x === 'string' && x.length >= 8) out.add(x);
        else walk(x);
      }
    }
  };
  walk(json);
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const auth = req.headers.authorization;
      if (auth?.toLowerCase().startsWith('bearer ')) seen.add(auth.slice(7).trim());
      fromJson(body.toString('utf8'), seen); // a session sent back in the body (DVCQG)
      const headers: IncomingHttpHeaders = { ...req.headers, host: upstream.host };
      const out = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (c: Buffer) => parts.push(c));
        answer.on('end', () => {
          const text = Buffer.concat(parts);
          fromJson(text.toString('utf8'), seen);
          const { 'content-length': _length, 'transfer-encoding': _encoding, connection: _connection, ...rest } = answer.headers;
          res.writeHead(answer.statusCode ?? 502, { ...rest, 'content-length': String(text.byteLength) });
          res.end(text);
        });
        answer.on('error', () => req.socket.destroy());
      });
      out.on('error', () => req.socket.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    secrets: () => [...seen],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
