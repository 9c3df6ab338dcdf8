/**
 * Typed errors (STYLE.md habit 6). Every failure the gateway meets is one of these classes, and the
 * class alone decides what happens next: only transient and throttled failures retry by themselves;
 * the others wait, visible, for an operator.
 */
export const ERROR_CLASSES = ['transient', 'throttled', 'invalid_content', 'rejected', 'configuration'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

export const isRetryable = (c: ErrorClass): boolean => c === 'transient' || c === 'throttled';

export interface GatewayErrorOptions {
  /** How long the other side asked us to wait (Retry-After), in ms. */
  retryAfterMs?: number;
  /** The request may have been carried out even though no answer came back. */
  ambiguous?: boolean;
  httpStatus?: number;
  /** Field-level detail safe to show an operator (never personal data or secrets). */
  detail?: unknown;
  cause?: unknown;
}

export class GatewayError extends Error {
  override readonly name: string = 'GatewayError';
  readonly retryAfterMs?: number;
  readonly ambiguous: boolean;
  readonly httpStatus?: number;
  readonly detail?: unknown;
  constructor(
    readonly errorClass: ErrorClass,
    /** A stable code, like PROVINCE_HTTP_503 or DVCQG_ITEM_2. */
    readonly code: string,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
    this.ambiguous = options.ambiguous ?? false;
    this.httpStatus = options.httpStatus;
    this.detail = options.detail;
  }
  get retryable(): boolean {
    return isRetryable(this.errorClass);
  }
}

/** Why an inbound record could not be read or mapped: kept with the raw record for an operator. */
export class MappingError extends Error {
  override readonly name: string = 'MappingError';
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** `Retry-After` in seconds (or an HTTP date) to ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Classifies a failure to get any answer at all (timeout, reset connection, DNS). */
export function networkError(system: string, err: unknown): GatewayError {
  const e = err as { name?: string; message?: string; cause?: { code?: string } };
  const timeout = e?.name === 'TimeoutError' || e?.name === 'AbortError';
  const code = timeout ? 'TIMEOUT' : (e?.cause?.code ?? 'NETWORK');
  return new GatewayError('transient', `${system.toUpperCase()}_${code}`.replace(/[^A-Z0-9_]/gi, '_'), `${system}: ${timeout ? 'no answer in time' : 'connection failed'} (${code})`, {
    ambiguous: true,
    cause: err,
  });
}

/** Classifies an HTTP status that carries no business answer. */
export function httpStatusError(system: string, status: number, retryAfter?: string | null): GatewayError {
  const code = `${system.toUpperCase()}_HTTP_${status}`.replace(/[^A-Z0-9_]/gi, '_');
  if (status === 429) {
    return new GatewayError('throttled', code, `${system} asks us to slow down (429)`, {
      httpStatus: status,
      retryAfterMs: parseRetryAfter(retryAfter),
    });
  }
  if (status >= 500 || status === 408) {
    return new GatewayError('transient', code, `${system} is unavailable (${status})`, {
      httpStatus: status,
      // A 5xx may come after the work was done: the next attempt reads the target's state first.
      ambiguous: true,
      retryAfterMs: parseRetryAfter(retryAfter),
    });
  }
  if (status === 401 || status === 403) {
    return new GatewayError('configuration', code, `${system} refused our credentials (${status})`, { httpStatus: status });
  }
  return new GatewayError('rejected', code, `${system} refused the request (${status})`, { httpStatus: status });
}
