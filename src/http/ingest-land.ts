import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from '../app';
import { constantTimeEqual } from '../lib/hash';

/**
 * `POST /ingest/land/{securityCode}/{event}`: the land system's callbacks. The answer is
 * `{"Result": 1}` only once the event is durably stored; a body that cannot be accepted gets
 * `{"Result": 0}` with a message in plain words and is kept for an operator; a wrong security code
 * gets 401 and nothing is stored. The code is never logged or echoed.
 */
const answer = (c: Context<AppEnv>, status: ContentfulStatusCode, result: 0 | 1, message: string) =>
  c.json({ Result: result, Message: message }, status);

/** What the land system's operators read when we refuse a body: Vietnamese, specific, no internals. */
function message(code: string, reason: string): string {
  switch (code) {
    case 'BAD_JSON':
      return `Nội dung không phải JSON hợp lệ (${reason})`;
    case 'MISSING_FIELD':
      return `Thiếu trường bắt buộc: ${reason}`;
    case 'UNKNOWN_EVENT':
      return `Sự kiện không được hỗ trợ: ${reason}`;
    case 'BAD_TIME':
      return `Thời gian không đúng định dạng yyyy-MM-ddTHH:mm:ss (UTC): ${reason}`;
    case 'BAD_FIELD':
      return `Trường không hợp lệ: ${reason}`;
    case 'TOO_DEEP':
      return `Nội dung JSON lồng nhau quá sâu (${reason})`;
    case 'FORBIDDEN_KEY':
      return `Nội dung chứa khóa không được phép (${reason})`;
    default:
      return `Dữ liệu không hợp lệ: ${reason}`;
  }
}

/** Reads at most `limit` bytes; reports whether the body was longer. */
async function readLimited(c: Context<AppEnv>, limit: number): Promise<{ bytes: Uint8Array; tooLarge: boolean }> {
  const length = c.req.header('content-length');
  const declared = Number(length);
  if (length !== undefined && Number.isSafeInteger(declared) && declared <= limit) {
    // A declared length within the limit bounds what a server reads (Node's HTTP parser and workerd
    // stop there), so the body is read whole, on the runtime's fast path: building a web stream for
    // it was a tenth of an accepted callback's cost. In-process callers are not bound by it: checked.
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    return bytes.byteLength > limit ? { bytes: bytes.subarray(0, limit), tooLarge: true } : { bytes, tooLarge: false };
  }
  const stream = c.req.raw.body;
  if (!stream) return { bytes: new Uint8Array(), tooLarge: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = limit - size;
    if (value.byteLength > room) {
      chunks.push(value.subarray(0, Math.max(0, room)));
      size = limit;
      await reader.cancel().catch(() => {});
      return { bytes: concat(chunks, size), tooLarge: true };
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { bytes: concat(chunks, size), tooLarge: Number.isFinite(declared) && declared > limit };
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export function landRoutes() {
  const routes = new Hono<AppEnv>();
  routes.post('/:securityCode/:event', async (c) => {
    const { config, ingestor } = c.get('deps');
    const land = config.sources.land;
    if (!land?.enabled || !ingestor) return answer(c, 404, 0, 'Cổng liên thông chưa cấu hình nguồn đất đai');
    if (!(await constantTimeEqual(c.req.param('securityCode'), land.securityCode))) return answer(c, 401, 0, 'Sai mã bảo mật');

    const event = c.req.param('event');
    const keep = (body: string, code: string, reason: string) => ingestor.reject('land', body, code, reason, { kind: event.slice(0, 60) });
    const { bytes, tooLarge } = await readLimited(c, land.maxBodyBytes);
    // What is kept of a body that is not valid UTF-8 (or cut short): each bad sequence as U+FFFD.
    const lossy = () => new TextDecoder('utf-8').decode(bytes);
    if (tooLarge) {
      await keep(lossy(), 'TOO_LARGE', `body larger than ${land.maxBodyBytes} bytes (the first ${land.maxBodyBytes} bytes are kept)`);
      return answer(c, 400, 0, `Nội dung quá lớn: tối đa ${land.maxBodyBytes} byte`);
    }
    let body: string;
    try {
      body = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      await keep(lossy(), 'BAD_ENCODING', 'body is not valid UTF-8');
      return answer(c, 400, 0, 'Nội dung không phải UTF-8 hợp lệ');
    }
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/(.+\+)?json\b/i.test(type.trim())) {
      await keep(body, 'BAD_CONTENT_TYPE', `Content-Type "${type.slice(0, 80)}" is not application/json`);
      return answer(c, 415, 0, 'Content-Type phải là application/json; charset=utf-8');
    }
    const result = await ingestor.accept('land', { externalId: '', kind: event, body });
    if (result.outcome === 'rejected') return answer(c, 400, 0, message(result.reasonCode, result.reason));
    return answer(c, 200, 1, 'Thành công');
  });
  return routes;
}
