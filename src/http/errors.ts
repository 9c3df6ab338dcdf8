import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * The HTTP layer's one error shape: `{ error: { code, message }, requestId }`. Internals, stack
 * traces and secrets never reach a response body.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function errorBody(c: Context, code: string, message: string) {
  return { error: { code, message }, requestId: c.get('requestId') as string | undefined };
}
