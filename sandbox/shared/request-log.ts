import type { Context, MiddlewareHandler } from 'hono';
import { injectedFault, type FaultKind } from './faults';

/**
 * What reached a simulator, in order: when each request arrived, what it asked, what the simulator
 * answered (even when a fault kept the answer from the caller) and which fault stood in for it.
 * Tests read it to check how a client behaved: that it waited out a `Retry-After`, logged in again
 * once, did not hammer a refusing login. Control routes (`/__sandbox/*`) are not logged. Only what
 * identifies the call is kept (method, path, the simulator's short summary), never a body.
 */
export interface RequestRecord {
  seq: number;
  /** Wall-clock arrival, epoch ms. */
  at: number;
  /** When the simulator was done with it (the answer written, or the connection destroyed). */
  doneAt: number;
  method: string;
  path: string;
  /** The simulator's name for the call when the path alone does not say (a DVCQG service). */
  call?: string;
  status: number;
  /** The simulator's short summary of its answer (a DVCQG `error_code`). */
  answer?: string;
  fault?: FaultKind;
}

export interface RequestLogOptions {
  /** Names the call from the request (may read the body: Hono keeps it for the handler). */
  call?(c: Context): Promise<string | undefined> | string | undefined;
  /** Summarises an answer's body text. */
  answer?(text: string, status: number): string | undefined;
  /** Oldest records are dropped beyond this many. Default 5,000. */
  max?: number;
}

export interface RequestLog {
  middleware: MiddlewareHandler;
  /** Copies, oldest first. */
  entries(): RequestRecord[];
  clear(): void;
}

export function createRequestLog(options: RequestLogOptions = {}): RequestLog {
  const max = options.max ?? 5_000;
  let records: RequestRecord[] = [];
  let seq = 0;

  const middleware: MiddlewareHandler = async (c, next) => {
    if (c.req.path.startsWith('/__sandbox')) return next();
    const at = Date.now();
    const record: RequestRecord = { seq: ++seq, at, doneAt: at, method: c.req.method, path: c.req.path, status: 0 };
    records.push(record);
    if (records.length > max) records = records.slice(records.length - max);
    const name = await options.call?.(c);
    if (name !== undefined) record.call = name;
    try {
      await next();
    } finally {
      record.doneAt = Date.now();
      record.status = c.res.status;
      const fault = injectedFault(c.req.raw);
      if (fault) record.fault = fault;
    }
    if (options.answer) {
      const text = await c.res
        .clone()
        .text()
        .catch(() => '');
      const summary = options.answer(text, c.res.status);
      if (summary !== undefined) record.answer = summary;
    }
  };

  return {
    middleware,
    entries: () => records.map((r) => ({ ...r })),
    clear() {
      records = [];
    },
  };
}
