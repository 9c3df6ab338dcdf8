import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DvcqgTargetConfig, ProcedureCatalog, ProvinceTargetConfig, TargetSystem } from '../../contracts';
import { GatewayError, type ErrorClass } from '../lib/errors';
import type { Logger } from '../lib/log';
import type { ClaimedDelivery } from '../store/types';
import type { createDvcqgClient } from '../targets/dvcqg';
import type { createProvinceClient } from '../targets/province';
import type { DeliveryOutcome } from '../targets/types';

/**
 * The target clients on a thread of their own (Node only). The gateway's thread was saturated at a
 * steady 100 dossiers a second while the machine's other core was mostly idle, and a third of that
 * thread was the target clients' work: building bodies, validating them, the HTTP client, reading
 * the answers. Here the claims, outcomes and every database write stay on the gateway's thread; the
 * calls themselves go to the target thread, where the one set of clients lives (one rate limiter
 * and one token per target, as before). The scheduler and the delivery workers see ordinary
 * `TargetClient`s.
 *
 * If the thread dies, the calls it had are reported as failed and ambiguous (the target may have
 * acted: the next attempt reads it first), and a new thread is started.
 */
export interface TargetThreadData {
  province: ProvinceTargetConfig;
  dvcqg: DvcqgTargetConfig;
  procedures: ProcedureCatalog;
}

export type TargetMethod = 'deliver' | 'read' | 'lookup';
export type CallMessage = { kind: 'call'; id: number; target: TargetSystem; method: TargetMethod; args: unknown[] };
export type ClientShape = { target: TargetSystem; after?: TargetSystem; batchSize: number; concurrency: number };
export type ThreadMessage =
  | { kind: 'ready'; clients: Record<TargetSystem, ClientShape> }
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'error'; id: number; error: WireError };

/** An error as it crosses the thread boundary: a structured clone keeps only an Error's message. */
export type WireError =
  | { gateway: true; errorClass: ErrorClass; code: string; message: string; retryAfterMs?: number; ambiguous: boolean; httpStatus?: number; detail?: unknown }
  | { gateway: false; name: string; message: string };

export function toWire(err: unknown): WireError {
  if (err instanceof GatewayError) {
    let detail: unknown;
    try {
      detail = err.detail === undefined ? undefined : JSON.parse(JSON.stringify(err.detail));
    } catch {
      detail = undefined;
    }
    return {
      gateway: true,
      errorClass: err.errorClass,
      code: err.code,
      message: err.message,
      retryAfterMs: err.retryAfterMs,
      ambiguous: err.ambiguous,
      httpStatus: err.httpStatus,
      detail,
    };
  }
  const e = err as { name?: unknown; message?: unknown } | null;
  return { gateway: false, name: String(e?.name ?? 'Error'), message: String(e?.message ?? err) };
}

export function fromWire(w: WireError): Error {
  if (w.gateway) {
    return new GatewayError(w.errorClass, w.code, w.message, { retryAfterMs: w.retryAfterMs, ambiguous: w.ambiguous, httpStatus: w.httpStatus, detail: w.detail });
  }
  const err = new Error(w.message);
  err.name = w.name;
  return err;
}

/**
 * A claimed delivery as it crosses: the dossier as its stored text, not the parsed object. The
 * gateway's thread then neither parses it nor copies its object graph; the target thread parses it.
 */
export type WireWork = Omit<ClaimedDelivery, 'dossier' | 'canonical'> & { canonical: string };
const workToWire = (w: ClaimedDelivery): WireWork => ({
  id: w.id,
  dossierId: w.dossierId,
  target: w.target,
  version: w.version,
  holdReason: w.holdReason,
  progress: w.progress,
  attempts: w.attempts,
  firstFailedAt: w.firstFailedAt,
  upstreamCode: w.upstreamCode,
  canonical: w.canonical ?? JSON.stringify(w.dossier),
});
export const workFromWire = (w: WireWork): ClaimedDelivery => ({ ...w, dossier: JSON.parse(w.canonical) as ClaimedDelivery['dossier'] });

/** Outcomes as they cross the boundary: their errors in wire form. */
export const outcomesToWire = (outcomes: DeliveryOutcome[]) => outcomes.map((o) => (o.error ? { ...o, error: toWire(o.error) } : o));
const outcomesFromWire = (outcomes: (Omit<DeliveryOutcome, 'error'> & { error?: WireError })[]): DeliveryOutcome[] =>
  outcomes.map((o) => (o.error ? { ...o, error: fromWire(o.error) as GatewayError } : (o as DeliveryOutcome)));

export interface TargetThread {
  targets: { province: ReturnType<typeof createProvinceClient>; dvcqg: ReturnType<typeof createDvcqgClient> };
  close(): Promise<void>;
}

const RESTART_DELAY_MS = 1000;

/**
 * A thread running `entry`. A TypeScript entry (the gateway runs under tsx) gets tsx's loader
 * registered first: a worker does not inherit the `--import tsx` it was started with.
 */
function threadOf(entry: URL, workerData: unknown): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData });
  const code = `import(${JSON.stringify(tsxApi().href)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { eval: true, workerData });
}

/** tsx's ESM API module, found through its package's export map (its CommonJS build cannot register the ESM loader). */
function tsxApi(): URL {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return new URL(pkg.exports['./esm/api']!.import.default, pathToFileURL(manifest));
}

/** Starts the target thread; resolves once its clients are ready. */
export async function startTargetThread(data: TargetThreadData, logger: Logger, options: { entry?: URL } = {}): Promise<TargetThread> {
  // The entry beside this module, as it is run: TypeScript under tsx, JavaScript once built.
  const entry = options.entry ?? new URL(`./target-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
  let serial = 0;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void; call: CallMessage }>();
  let closing = false;

  const spawn = () =>
    new Promise<{ worker: Worker; clients: Record<TargetSystem, ClientShape> }>((resolve, reject) => {
      const worker = threadOf(entry, data);
      let ready = false;
      worker.on('message', (m: ThreadMessage) => {
        if (m.kind === 'ready') {
          ready = true;
          resolve({ worker, clients: m.clients });
          return;
        }
        const waiting = pending.get(m.id);
        if (!waiting) return;
        pending.delete(m.id);
        if (m.kind === 'result') waiting.resolve(m.value);
        else waiting.reject(fromWire(m.error));
      });
      worker.on('error', (err) => {
        if (!ready) reject(err);
        else logger.error('target thread failed', { error: err.name, message: err.message.slice(0, 200) });
      });
      worker.on('exit', (code) => {
        if (!ready) return reject(new Error(`the target thread exited with ${code} before it was ready`));
        if (closing) return;
        logger.error('target thread stopped; starting another', { exitCode: code, callsLost: pending.size });
        failPending();
        restart();
      });
    });

  /** Another thread after a pause, and again after each that fails to start, until one does or the gateway stops. */
  const restart = () => {
    current = new Promise((r) => setTimeout(r, RESTART_DELAY_MS)).then(() => {
      if (closing) throw new Error('the gateway is stopping');
      return spawn();
    });
    current.catch((err: Error) => {
      if (closing) return;
      logger.error('target thread did not start; trying again', { error: err.name, message: err.message.slice(0, 200) });
      restart();
    });
  };

  /** The calls a dead thread had: a delivery's outcome is a failure that may have reached the target. */
  const failPending = () => {
    for (const [id, waiting] of pending) {
      pending.delete(id);
      const error = new GatewayError('transient', 'TARGET_THREAD_STOPPED', 'the thread making the call stopped before the answer was read', { ambiguous: true });
      if (waiting.call.method !== 'deliver') {
        waiting.reject(error);
        continue;
      }
      const work = waiting.call.args[0] as readonly WireWork[];
      waiting.resolve(work.map((w) => ({ id: w.id, progress: { ...w.progress, uncertain: true }, operations: [], error: toWire(error) })));
    }
  };

  let current = spawn();
  const { clients } = await current;

  /** A call to the thread; rejects, with nothing sent, while no thread is running. */
  const call = async (target: TargetSystem, method: TargetMethod, args: unknown[]): Promise<unknown> => {
    const { worker } = await current.catch(() => {
      throw new GatewayError('transient', 'TARGET_THREAD_UNAVAILABLE', 'the thread making target calls is not running; nothing was sent');
    });
    const message: CallMessage = { kind: 'call', id: ++serial, target, method, args };
    return new Promise((resolve, reject) => {
      pending.set(message.id, { resolve, reject, call: message });
      try {
        worker.postMessage(message);
      } catch (err) {
        pending.delete(message.id);
        reject(err);
      }
    });
  };
  /** Never throws, as a client's `deliver` must not: a call that could not be made fails each delivery in it. */
  const deliver = (target: TargetSystem) => async (work: readonly ClaimedDelivery[]) => {
    const wire = work.map(workToWire);
    try {
      return outcomesFromWire((await call(target, 'deliver', [wire])) as Parameters<typeof outcomesFromWire>[0]);
    } catch (err) {
      const error =
        err instanceof GatewayError ? err : new GatewayError('transient', 'TARGET_THREAD_UNAVAILABLE', `the call could not be handed to the target thread: ${(err as Error).message}`);
      return work.map((w) => ({ id: w.id, progress: w.progress, operations: [], error }));
    }
  };

  return {
    targets: {
      province: { ...clients.province, deliver: deliver('province'), read: (id) => call('province', 'read', [id]) as never },
      dvcqg: { ...clients.dvcqg, deliver: deliver('dvcqg'), lookup: (code) => call('dvcqg', 'lookup', [code]) as never },
    },
    async close() {
      closing = true;
      const { worker } = await current.catch(() => ({ worker: undefined }));
      if (!worker) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ kind: 'close' });
      const timer = setTimeout(() => void worker.terminate(), 5000);
      await exited;
      clearTimeout(timer);
      failPending();
    },
  };
}
