import { Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { SANDBOX_LAND_CREDENTIALS } from '../credentials';
import type { FaultConfig, FaultCounts } from '../shared/faults';
import { controlRoutes, readJson } from '../shared/http';
import { listen, type ListenOptions, type Listening } from '../shared/server';
import { createLandGenerator, type LandGenerator } from './generator';
import { createOutboundFaults } from './outbound-faults';
import { createPusher, type LandGivenUp, type LandPush, type LandPushCounters } from './pusher';
import { isMapped } from './records';
import { createLandStore, type LandDossier } from './store';

/**
 * The land registration system (sources/land.md, modelled on VBDLIS): unlike the other sources it
 * is a pusher. Its land office receives dossiers and moves them along (the generator); every step
 * is recorded (`state`) and called back to the gateway (`POST {target}/ingest/land/{securityCode}/{event}`),
 * resent on the land system's schedule until answered `Result: 1`, sometimes twice, sometimes out
 * of order. Nothing calls it, so its HTTP app is only the `/__sandbox/*` control routes, plus
 * `PUT /__sandbox/target` (`{"url": ...}`) for a gateway started after it in another process.
 *
 * The real schedule (1 min, 5 min, 30 min, then hourly for a day) is scaled down by default to 1/60
 * (1 s, 5 s, 30 s, then every minute 24 times); `resendScheduleMs` sets it.
 */
export interface LandSimulatorOptions {
  /** Default `SANDBOX_LAND_CREDENTIALS.securityCode`. */
  securityCode?: string;
  /** The gateway's base URL; also `setTarget` later. Until one is set, events wait unsent. */
  target?: string;
  /** Delay before each resend. Default `SANDBOX_RESEND_SCHEDULE_MS`. */
  resendScheduleMs?: readonly number[];
  /** How long it waits for an answer. Default 10 000. */
  answerTimeoutMs?: number;
  /** Chance that an acknowledged event is sent once more. Default 0.03. */
  duplicateRate?: number;
  /** How long after its acknowledgement a duplicate goes out. Default the first resend delay. */
  duplicateDelayMs?: number;
  /** Chance that an event is held back until the dossier's next event has been tried. Default 0.05. */
  reorderRate?: number;
  /** The longest an event is held back. Default 30 000. */
  reorderDelayMs?: number;
  /** Pushes in flight at most. Default 8. */
  concurrency?: number;
  /** Outbound faults (see outbound-faults.ts for what each kind means for a sender). */
  faults?: FaultConfig | null;
  seed?: number;
  /** The business clock, for event times. Resends and delays run on real time. */
  now?: () => number;
  fetch?: typeof fetch;
}

export interface LandState {
  /** Every dossier with its events in source-time order (copies), in reception order. */
  dossiers(): LandDossier[];
  dossier(soBienNhan: string): LandDossier | undefined;
  /** Whether a process code is in the integrator's mapping table (catalog.ts). */
  isMapped(maQuyTrinh: string): boolean;
  counters(): LandPushCounters;
  /** Every attempt, in the order they ended. */
  pushes(): LandPush[];
  /** Copies (originals and duplicates) not yet acknowledged or given up. */
  pending(): number;
  /** Copies that spent the whole resend schedule. */
  givenUp(): LandGivenUp[];
}

export interface LandSimulator {
  app: Hono;
  state: LandState;
  generator: LandGenerator;
  /** Points the callbacks at the gateway (base URL) and sends what waited for it. */
  setTarget(url: string): void;
  target(): string | undefined;
  /** Resolves once every event emitted so far is acknowledged or given up; rejects after `timeoutMs` or on stop(). */
  whenIdle(timeoutMs?: number): Promise<void>;
  setFaults(config: FaultConfig | null): void;
  faultCounts(): FaultCounts;
  /** Stops the generator and cancels every scheduled or running push (they stay pending); the state stays readable. */
  stop(): void;
  /** Forgets every dossier and push and restores the initial faults and seed; keeps the target. */
  reset(): void;
  listen(options?: ListenOptions): Promise<Listening>;
}

/** The land system's resend schedule (sources/land.md): after 1 min, 5 min, 30 min, then hourly for a day. */
export const LAND_RESEND_SCHEDULE_MS: readonly number[] = [60_000, 300_000, 1_800_000, ...Array<number>(24).fill(3_600_000)];

export function scaledResendSchedule(factor: number): number[] {
  return LAND_RESEND_SCHEDULE_MS.map((ms) => Math.round(ms * factor));
}

/** The sandbox default: the real schedule at 1/60 (1 s, 5 s, 30 s, then every minute 24 times). */
export const SANDBOX_RESEND_SCHEDULE_MS: readonly number[] = scaledResendSchedule(1 / 60);

const targetSchema = z.url({ protocol: /^https?$/, error: 'target must be an http(s) URL, the gateway base (e.g. http://127.0.0.1:8080)' });
const rate = z.number().min(0).max(1);
const ms = z.number().int().min(0);
const optionsSchema = z.object({
  securityCode: z.string().min(1),
  target: targetSchema.optional(),
  resendScheduleMs: z.array(ms),
  answerTimeoutMs: z.number().int().positive(),
  duplicateRate: rate,
  duplicateDelayMs: ms,
  reorderRate: rate,
  reorderDelayMs: ms,
  concurrency: z.number().int().min(1),
  seed: z.number().int(),
});

/** `http://host:port/` → `http://host:port`: the route is appended to it. */
const baseUrl = (url: string) => targetSchema.parse(url).replace(/\/+$/, '');

export function createLandSimulator(options: LandSimulatorOptions = {}): LandSimulator {
  const resendScheduleMs = options.resendScheduleMs ?? SANDBOX_RESEND_SCHEDULE_MS;
  // Fails loudly, naming the field, on a bad option.
  const config = optionsSchema.parse({
    securityCode: options.securityCode ?? SANDBOX_LAND_CREDENTIALS.securityCode,
    target: options.target,
    resendScheduleMs,
    answerTimeoutMs: options.answerTimeoutMs ?? 10_000,
    duplicateRate: options.duplicateRate ?? 0.03,
    duplicateDelayMs: options.duplicateDelayMs ?? resendScheduleMs[0] ?? 1000,
    reorderRate: options.reorderRate ?? 0.05,
    reorderDelayMs: options.reorderDelayMs ?? 30_000,
    concurrency: options.concurrency ?? 8,
    seed: options.seed ?? 4,
  });
  const now = options.now ?? Date.now;
  const store = createLandStore();
  const faults = createOutboundFaults(options.faults);
  const { target, ...pusherConfig } = config;
  const pusher = createPusher({ ...pusherConfig, fetch: options.fetch ?? fetch, faults });
  if (target !== undefined) pusher.setTarget(baseUrl(target));
  const generator = createLandGenerator(
    {
      open: store.open,
      emit({ soBienNhan, event, body, at, sourceTime }) {
        const record = store.append(soBienNhan, { event, sourceTime, at, body });
        pusher.push({ id: record.id, soBienNhan, event, body: JSON.stringify(body) });
      },
    },
    now,
    config.seed,
  );

  function reset() {
    generator.reset();
    pusher.reset();
    store.reset();
    faults.reset();
  }

  // Nothing calls the land system, so there is no inbound request to fault: the control routes
  // read and set the outbound faults through this pass-through slot.
  const noInboundFaults: MiddlewareHandler = async (_c, next) => next();
  const app = new Hono();
  app.put('/__sandbox/target', async (c) => {
    const body = await readJson(c);
    const url = body.ok ? (body.value as { url?: unknown } | null)?.url : undefined;
    const parsed = targetSchema.safeParse(url);
    if (!parsed.success) return c.json({ error: 'body must be {"url": "<gateway base URL>"}', issues: parsed.error.issues }, 400);
    pusher.setTarget(baseUrl(parsed.data));
    return c.json({ target: pusher.target() });
  });
  app.route(
    '/__sandbox',
    controlRoutes({
      snapshot: () => ({
        target: pusher.target() ?? null,
        pending: pusher.pending(),
        counters: pusher.counters(),
        givenUp: pusher.givenUp(),
        dossiers: store.all(),
        faults: { config: faults.config(), counts: faults.counts() },
      }),
      faults: { ...faults, middleware: noInboundFaults },
      reset,
    }),
  );

  const state: LandState = {
    dossiers: store.all,
    dossier: store.get,
    isMapped,
    counters: pusher.counters,
    pushes: pusher.pushes,
    pending: pusher.pending,
    givenUp: pusher.givenUp,
  };

  return {
    app,
    state,
    generator,
    setTarget: (url) => pusher.setTarget(baseUrl(url)),
    target: pusher.target,
    whenIdle: pusher.whenIdle,
    setFaults: faults.set,
    faultCounts: faults.counts,
    stop() {
      generator.stop();
      pusher.stop();
    },
    reset,
    listen: (listenOptions) => listen(app, listenOptions),
  };
}

export { isMapped, TIME_FIELD } from './records';
export type { LandEventBodies, LandEventBody, LandEventName, LandPlanShares, TransferStatus } from './records';
export type { LandDossier, LandEventRecord } from './store';
export type { LandGenerator, LandRunOptions, LandStartOptions, LandCreateOptions } from './generator';
export type { LandGivenUp, LandPush, LandPushCounters, PushOutcome } from './pusher';
