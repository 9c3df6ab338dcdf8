import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { createRandom, type Random } from './random';

/**
 * Seeded fault injection in front of a simulator, modelling what the spec says every external
 * system does: answer 5xx, throttle, slow down, drop the connection, or carry a request out and
 * then time out ("ambiguous"). Control routes (`/__sandbox/*`) are never faulted.
 */
export const FAULT_KINDS = ['5xx', '429', 'slow', 'drop', 'ambiguous'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const faultConfigSchema = z.object({
  /** Probability that an eligible request is faulted, 0..1. */
  rate: z.number().min(0).max(1),
  seed: z.number().int(),
  kinds: z.array(z.enum(FAULT_KINDS)).min(1).optional(),
  /** Delay range of the `slow` kind, ms. Default [300, 1500]. */
  slowMs: z.tuple([z.number().int().min(0), z.number().int().min(0)]).optional(),
  /** `Retry-After` of the `429` kind, seconds. Default 1. */
  retryAfterSeconds: z.number().int().min(0).optional(),
  /** When set, `ambiguous` holds the answer this long instead of destroying the connection. */
  hangMs: z.number().int().min(0).optional(),
  /** Sandbox extension: inject at most this many faults, then behave. */
  max: z.number().int().min(0).optional(),
  /** Sandbox extension: only requests with one of these methods are eligible. */
  methods: z.array(z.string()).optional(),
  /** Sandbox extension: only requests whose path starts with one of these are eligible. */
  paths: z.array(z.string()).optional(),
  /**
   * Sandbox extension: only requests whose body contains one of these texts are eligible, to aim
   * at one service of an RPC endpoint (DVCQG names it inside the body: `"service":"DongBoHoSoMC"`).
   */
  bodyIncludes: z.array(z.string().min(1)).optional(),
  /**
   * Sandbox extension: which of the simulator's own transient failures the `5xx` kind answers
   * (province `500`, `502`, `503`; dvcqg `502`, `503`, `99`); one picked by the seed when absent.
   */
  serverError: z.string().optional(),
});
export type FaultConfig = z.infer<typeof faultConfigSchema>;
export type FaultCounts = Record<FaultKind, number>;

/** How this simulator answers when a fault stands in for it. */
export interface FaultResponders {
  /**
   * The system's transient failure (its own status codes and body), the request not carried out:
   * `variant` when the configuration names one of the system's own, else one picked with `random`.
   */
  serverError(c: Context, random: Random, variant?: string): Response | Promise<Response>;
  /** The system's throttling answer. */
  tooManyRequests(c: Context, retryAfterSeconds: number): Response;
}

export interface Faults {
  middleware: MiddlewareHandler;
  set(config: FaultConfig | null): void;
  config(): FaultConfig | null;
  counts(): FaultCounts;
  /** Zeroes the counts and restores the initial configuration. */
  reset(): void;
}

/** Which fault, if any, stood in for a request (for the simulators' request logs). */
const injectedFaults = new WeakMap<Request, FaultKind>();
export const injectedFault = (request: Request): FaultKind | undefined => injectedFaults.get(request);

const zeroCounts = (): FaultCounts => ({ '5xx': 0, '429': 0, slow: 0, drop: 0, ambiguous: 0 });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The raw socket when served by @hono/node-server; undefined in-process (`app.request`). */
export function rawSocket(c: Context): { destroy(): void } | undefined {
  const env = c.env as Partial<HttpBindings> | undefined;
  return env?.incoming?.socket ?? undefined;
}

export function createFaults(initial: FaultConfig | null | undefined, responders: FaultResponders): Faults {
  let current: FaultConfig | null = null;
  let random: Random = createRandom(0);
  let injected = 0;
  let counts = zeroCounts();

  const set = (config: FaultConfig | null) => {
    current = config ? faultConfigSchema.parse(config) : null;
    random = createRandom(current?.seed ?? 0);
    injected = 0;
  };
  set(initial ?? null);

  const eligible = async (c: Context, config: FaultConfig) => {
    if (config.methods && !config.methods.some((m) => m.toUpperCase() === c.req.method)) return false;
    if (config.paths && !config.paths.some((p) => c.req.path.startsWith(p))) return false;
    if (config.bodyIncludes) {
      // Hono keeps the text, so the handler still reads the body after this.
      const body = await c.req.text().catch(() => '');
      if (!config.bodyIncludes.some((text) => body.includes(text))) return false;
    }
    // Checked last, after any await, so concurrent requests cannot both take the last fault.
    return config === current && (config.max === undefined || injected < config.max);
  };

  const middleware: MiddlewareHandler = async (c, next) => {
    const config = current;
    if (!config || c.req.path.startsWith('/__sandbox') || !(await eligible(c, config)) || !random.chance(config.rate)) {
      await next();
      return;
    }
    const kind = random.pick(config.kinds ?? FAULT_KINDS);
    injected++;
    counts[kind]++;
    injectedFaults.set(c.req.raw, kind);
    switch (kind) {
      case '5xx':
        return responders.serverError(c, random, config.serverError);
      case '429':
        return responders.tooManyRequests(c, config.retryAfterSeconds ?? 1);
      case 'slow': {
        const [min, max] = config.slowMs ?? [300, 1500];
        await sleep(random.int(Math.min(min, max), Math.max(min, max)));
        await next();
        return;
      }
      case 'drop': {
        const socket = rawSocket(c);
        if (!socket) return c.text('sandbox fault "drop" needs a real connection', 504);
        socket.destroy();
        return c.body(null);
      }
      case 'ambiguous': {
        // Carried out in full, then the caller never hears of it.
        await next();
        if (config.hangMs !== undefined) {
          await sleep(config.hangMs);
          return;
        }
        const socket = rawSocket(c);
        if (!socket) {
          c.res = new Response('sandbox fault "ambiguous": carried out, answer lost', { status: 504 });
          return;
        }
        socket.destroy();
        return;
      }
    }
  };

  return {
    middleware,
    set,
    config: () => current,
    counts: () => ({ ...counts }),
    reset() {
      counts = zeroCounts();
      set(initial ?? null);
    },
  };
}
