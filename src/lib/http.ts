import ky from 'ky';
import pRetry from 'p-retry';
import { GatewayError, networkError } from './errors';
import { unlimited, type RateLimiter } from './rate-limit';

/**
 * The one way the gateway calls other systems: ky with its retry off (the engine owns retrying),
 * a timeout, a rate limiter, and every failure to get an answer turned into a typed error.
 */
export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PUT';
  json?: unknown;
  form?: Record<string, string>;
  body?: string;
  headers?: Record<string, string>;
  searchParams?: Record<string, string | number>;
}

export type HttpClient = (url: string, request?: HttpRequest) => Promise<HttpResponse>;

export interface HttpClientOptions {
  system: string;
  fetch?: typeof fetch;
  timeoutMs: number;
  limiter?: RateLimiter;
}

/**
 * What a transport under ky may understand beside the Request: the body as it was written and the
 * time limit. ky hands options it does not know to its `fetch`, so with a transport that takes
 * them ky builds no body stream (nor its clone) and arms no timer of its own: that halves what
 * each call costs. The Node runtime's transport (over undici) takes them; the global fetch does
 * not, and gets the body in the Request and ky's timeout as usual.
 */
export interface DirectInit extends RequestInit {
  directBody?: string;
  timeoutMs?: number;
}

export type DirectFetch = ((input: RequestInfo | URL, init?: DirectInit) => Promise<Response>) & { readonly direct: true };

function isDirect(f: typeof fetch | undefined): f is typeof fetch & DirectFetch {
  return (f as Partial<DirectFetch> | undefined)?.direct === true;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const direct = isDirect(options.fetch);
  const client = ky.create({
    timeout: direct ? false : options.timeoutMs,
    retry: 0,
    throwHttpErrors: false,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const limiter = options.limiter ?? unlimited;
  return async (url, request = {}) => {
    await limiter.acquire();
    const headers: Record<string, string> = { ...request.headers };
    let body: string | undefined = request.body;
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      headers['content-type'] ??= 'application/json; charset=utf-8';
    } else if (request.form) {
      body = new URLSearchParams(request.form).toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    try {
      const method = request.method ?? (body === undefined ? 'GET' : 'POST');
      const res = await client(
        url,
        direct
          ? ({ method, headers, searchParams: request.searchParams, directBody: body, timeoutMs: options.timeoutMs } as DirectInit)
          : { method, headers, body, searchParams: request.searchParams },
      );
      const text = await res.text();
      if (res.status === 429) {
        const after = Number(res.headers.get('retry-after'));
        if (Number.isFinite(after) && after > 0) limiter.pause(after * 1000);
      }
      return { status: res.status, headers: res.headers, text };
    } catch (err) {
      throw networkError(options.system, err);
    }
  };
}

/** Parses a JSON answer; a body that is not JSON is the other side's fault and transient at worst. */
export function jsonOf(res: HttpResponse): unknown {
  try {
    return JSON.parse(res.text);
  } catch {
    return undefined;
  }
}

/**
 * A polled source's short in-call retries for transient trouble (retryable GatewayErrors, honouring
 * Retry-After up to a minute); what outlasts them fails the poll, and the next poll repeats it.
 */
export function retryTransient<T>(fn: () => Promise<T>, onRetry?: (error: Error) => void): Promise<T> {
  return pRetry(fn, {
    retries: 4,
    minTimeout: 300,
    maxTimeout: 5_000,
    randomize: true,
    shouldRetry: ({ error }) => error instanceof GatewayError && error.retryable,
    onFailedAttempt: async ({ error }) => {
      const wait = error instanceof GatewayError ? error.retryAfterMs : undefined;
      if (wait) await new Promise((r) => setTimeout(r, Math.min(wait, 60_000)));
      onRetry?.(error);
    },
  });
}
