import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A round-robin balancer in front of several gateway instances, as a province would run them: each
 * request goes to the next live instance; one whose connection is refused is skipped.
 */
export async function startBalancer(instances: () => string[]): Promise<{ url: string; close(): Promise<void> }> {
  let next = 0;
  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse, tries: number) => {
    const live = instances();
    if (live.length === 0 || tries > live.length) {
      res.writeHead(502).end();
      return;
    }
    const target = new URL(req.url ?? '/', live[next++ % live.length]);
    const out = request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' && !res.headersSent) forward(req, body, res, tries + 1);
      else res.destroy();
    });
    out.end(body);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => forward(req, Buffer.concat(chunks), res, 0));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
