import { Agent, errors, request, type Dispatcher } from 'undici';
import type { DirectFetch, DirectInit } from '../lib/http';

/**
 * The Node runtime's transport under ky: undici's dispatcher API instead of its WHATWG fetch. It
 * answers like fetch (a Response; a TypeError "fetch failed" whose cause holds the code when no
 * answer came; a DOMException "TimeoutError" when the time limit passed), so ky and the error
 * classification see no difference. Measured on one machine, a call through ky costs about a
 * third of the CPU it costs over the global fetch, and the gateway's own thread is what limits
 * how many target calls it makes per second.
 *
 * It takes the body and the time limit as plain options (`DirectInit`); called as a plain fetch
 * it reads them from the Request and falls back to `defaultTimeoutMs`.
 */
export interface UndiciFetch extends DirectFetch {
  close(): Promise<void>;
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

export function createUndiciFetch(opts: { defaultTimeoutMs?: number; connectionsPerOrigin?: number } = {}): UndiciFetch {
  const agent = new Agent({ keepAliveTimeout: 4_000, ...(opts.connectionsPerOrigin ? { connections: opts.connectionsPerOrigin } : {}) });
  const defaultTimeoutMs = opts.defaultTimeoutMs ?? 30_000;

  async function undiciFetch(input: RequestInfo | URL, init?: DirectInit): Promise<Response> {
    const req = input instanceof Request && (init === undefined || 'directBody' in init || 'timeoutMs' in init) ? input : new Request(input, init);
    const body = init?.directBody ?? (req.body ? await req.text() : undefined);
    const timeoutMs = init?.timeoutMs ?? defaultTimeoutMs;
    const headers: Record<string, string> = {};
    req.headers.forEach((value, name) => {
      headers[name] = value;
    });
    let answer: Dispatcher.ResponseData;
    let text: string;
    try {
      answer = await request(req.url, {
        method: req.method as Dispatcher.HttpMethod,
        headers,
        body,
        dispatcher: agent,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: req.signal,
      });
      text = await answer.body.text();
    } catch (err) {
      throw asFetchError(err, req.signal);
    }
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (Array.isArray(value)) for (const v of value) responseHeaders.append(name, v);
      else if (value !== undefined) responseHeaders.append(name, value);
    }
    return new Response(NULL_BODY_STATUS.has(answer.statusCode) ? null : text, { status: answer.statusCode, headers: responseHeaders });
  }

  return Object.assign(undiciFetch, {
    direct: true as const,
    close: () => agent.close(),
  });
}

/** What the global fetch would have thrown, so callers classify failures one way. */
function asFetchError(err: unknown, signal: AbortSignal): Error {
  const code = (err as { code?: string }).code;
  if (code !== undefined && TIMEOUTS.has(code)) return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
  if (err instanceof errors.RequestAbortedError || signal.aborted) {
    return signal.reason instanceof Error ? signal.reason : new DOMException('This operation was aborted', 'AbortError');
  }
  return new TypeError('fetch failed', { cause: err });
}
