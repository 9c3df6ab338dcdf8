import { Hono, type Context } from 'hono';
import { faultConfigSchema, type Faults } from './faults';
import type { RequestLog } from './request-log';

/** The body parsed as JSON, or `{ ok: false }` when it is not JSON (the text is cached by Hono, so a middleware may read it first). */
export async function readJson(c: Context): Promise<{ ok: true; value: unknown } | { ok: false }> {
  try {
    const text = await c.req.text();
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Characters as a person counts them (code points), so an NFD name is not cut short by UTF-16 units. */
export const charCount = (text: string) => [...text].length;

export interface ControlOptions {
  /** Everything the simulator holds, as JSON. */
  snapshot(): unknown;
  faults: Faults;
  reset(): void;
  /** When given, `GET /__sandbox/requests` lists what reached the simulator. */
  requests?: RequestLog;
}

/**
 * `/__sandbox/*`: how tests and the operator look behind a simulator. Never faulted, never
 * rate-limited, never authenticated: the sandbox binds to loopback.
 */
export function controlRoutes(options: ControlOptions): Hono {
  const control = new Hono();
  control.get('/state', (c) => c.json(options.snapshot() as object));
  control.get('/faults', (c) => c.json({ config: options.faults.config(), counts: options.faults.counts() }));
  control.put('/faults', async (c) => {
    const body = await readJson(c);
    if (!body.ok) return c.json({ error: 'body is not JSON' }, 400);
    if (body.value === null) {
      options.faults.set(null);
      return c.json({ config: null, counts: options.faults.counts() });
    }
    const parsed = faultConfigSchema.safeParse(body.value);
    if (!parsed.success) return c.json({ error: 'invalid fault configuration', issues: parsed.error.issues }, 400);
    options.faults.set(parsed.data);
    return c.json({ config: options.faults.config(), counts: options.faults.counts() });
  });
  const log = options.requests;
  if (log) control.get('/requests', (c) => c.json({ requests: log.entries() }));
  control.post('/reset', (c) => {
    options.reset();
    return c.json({ ok: true });
  });
  return control;
}
