import type { FaultKind } from '../shared/faults';
import { keyedRandom } from './keyed-random';
import type { OutboundFault, OutboundFaults } from './outbound-faults';
import type { LandEventName } from './records';

/**
 * How the land system calls the gateway back (sources/land.md, Transport): one POST per event to
 * `{target}/ingest/land/{securityCode}/{event}`; an event counts as delivered only on a 2xx answer
 * whose JSON `Result` is 1. A timeout (it waits `answerTimeoutMs`), any other answer or a network
 * error makes it resend the very same body after the next delay of the schedule; once the schedule
 * is spent it gives up. Each attempt is independent, so a resend can overtake a later event.
 *
 * Two habits of the real system are modelled on top, both decided per event from the seed:
 * - duplicates: an event already acknowledged is sent once more `duplicateDelayMs` later;
 * - reordering: an event is held back until the dossier's next event has been tried once (at most
 *   `reorderDelayMs`), so the gateway sees the later event first. `KetThucHoSo` is never held:
 *   nothing comes after it to overtake it.
 *
 * Decided here: while no target is set, events wait (no attempt is spent) and go out once one is.
 * Resend delays run on real time, not on the simulator's business clock.
 */
export interface OutgoingEvent {
  /** The event's id in the store. */
  id: number;
  soBienNhan: string;
  event: LandEventName;
  /** The JSON body, serialized once: a resend sends exactly these bytes. */
  body: string;
}

export type PushOutcome =
  /** 2xx with `Result` 1. */
  | 'acknowledged'
  /** An answer, but not 2xx with `Result` 1. */
  | 'not-acknowledged'
  /** No (complete) answer within `answerTimeoutMs`. */
  | 'timeout'
  | 'network-error'
  /** Fault `drop` or `ambiguous`: the land system gave up on a request it had sent. */
  | 'abandoned'
  /** Fault `5xx` or `429`: the land system failed before sending. */
  | 'not-sent';

export interface LandPush {
  eventId: number;
  soBienNhan: string;
  event: LandEventName;
  /** `duplicate`: the extra sending of an event already acknowledged. */
  copy: 'original' | 'duplicate';
  /** 1 for the first try of this copy, then 2, 3, ... for its resends. */
  attempt: number;
  /** Real time (epoch ms) the attempt began. */
  startedAt: number;
  /** Real time (epoch ms) it ended: the answer read, or given up on. */
  endedAt: number;
  outcome: PushOutcome;
  /** The HTTP status, when an answer arrived. */
  status?: number;
  fault?: FaultKind;
}

export interface LandPushCounters {
  /** Events handed to the pusher, each counted once. */
  events: number;
  /** Tries of every copy, resends included (a try that a fault kept from being sent counts). */
  attempts: number;
  /** Copies acknowledged with `Result` 1 (duplicates included). */
  acknowledged: number;
  /** Attempts that did not end acknowledged. */
  failed: number;
  /** Attempts that repeated a failed one. */
  resent: number;
  /** Acknowledged events sent again (first tries of duplicate copies). */
  duplicatesSent: number;
  /** Held-back events that a later event of their dossier overtook. */
  reordered: number;
  /** Copies that spent the whole schedule without being acknowledged. */
  givenUp: number;
}

export interface LandGivenUp {
  eventId: number;
  soBienNhan: string;
  event: LandEventName;
  copy: 'original' | 'duplicate';
  body: string;
}

export interface PusherConfig {
  securityCode: string;
  /** Delay before each resend: the n-th resend waits `resendScheduleMs[n - 1]`. */
  resendScheduleMs: readonly number[];
  answerTimeoutMs: number;
  duplicateRate: number;
  duplicateDelayMs: number;
  reorderRate: number;
  reorderDelayMs: number;
  concurrency: number;
  seed: number;
  fetch: typeof fetch;
  faults: OutboundFaults;
}

interface Delivery {
  event: OutgoingEvent;
  copy: 'original' | 'duplicate';
  attempts: number;
  /** Pre-rolled when the event was emitted. */
  sendTwice: boolean;
}

interface Held {
  delivery: Delivery;
  timer: NodeJS.Timeout;
}

const zeroCounters = (): LandPushCounters => ({ events: 0, attempts: 0, acknowledged: 0, failed: 0, resent: 0, duplicatesSent: 0, reordered: 0, givenUp: 0 });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function resultOf(text: string): unknown {
  try {
    const json = JSON.parse(text) as unknown;
    return typeof json === 'object' && json !== null ? (json as { Result?: unknown }).Result : undefined;
  } catch {
    return undefined;
  }
}

export function createPusher(config: PusherConfig) {
  let target: string | undefined;
  /** Bumped by stop(): work from an older generation records nothing and schedules nothing. */
  let generation = 0;
  let counters = zeroCounters();
  let log: LandPush[] = [];
  let givenUp: LandGivenUp[] = [];
  /** Copies not yet acknowledged or given up. */
  let outstanding = 0;
  let inFlight = 0;
  const queue: Delivery[] = [];
  const untargeted: Delivery[] = [];
  const held = new Map<string, Held[]>();
  const timers = new Set<NodeJS.Timeout>();
  const controllers = new Set<AbortController>();
  let waiters: { resolve(): void; reject(err: Error): void }[] = [];

  const later = (ms: number, fn: () => void) => {
    const mine = generation;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (generation === mine) fn();
    }, ms);
    timers.add(timer);
    return timer;
  };

  function dispatch(d: Delivery) {
    if (target === undefined) {
      untargeted.push(d);
      return;
    }
    queue.push(d);
    pump();
  }

  function pump() {
    while (inFlight < config.concurrency && queue.length > 0) {
      const d = queue.shift()!;
      const mine = generation;
      inFlight++;
      void attempt(d, mine).finally(() => {
        if (generation !== mine) return;
        inFlight--;
        pump();
      });
    }
  }

  /** Sends the dossier's held events with an id below `before`: overtaken by that event, or (from their timer) only delayed. */
  function release(soBienNhan: string, before: number, overtaken: boolean) {
    const list = held.get(soBienNhan);
    if (!list) return;
    const due = list.filter((h) => h.delivery.event.id < before);
    const rest = list.filter((h) => h.delivery.event.id >= before);
    if (rest.length > 0) held.set(soBienNhan, rest);
    else held.delete(soBienNhan);
    for (const h of due) {
      clearTimeout(h.timer);
      timers.delete(h.timer);
      if (overtaken) counters.reordered++;
      dispatch(h.delivery);
    }
  }

  function settle() {
    outstanding--;
    if (outstanding > 0) return;
    const ready = waiters;
    waiters = [];
    for (const w of ready) w.resolve();
  }

  async function send(path: string, body: string, fault: OutboundFault | null): Promise<{ outcome: PushOutcome; status?: number }> {
    const controller = new AbortController();
    controllers.add(controller);
    let timedOut = false;
    const timeout = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, config.answerTimeoutMs);
    const cut = fault?.kind === 'drop' ? setTimeout(() => controller.abort(), fault.delayMs) : undefined;
    try {
      const res = await config.fetch(`${target}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body,
        signal: controller.signal,
      });
      if (fault?.kind === 'drop' || fault?.kind === 'ambiguous') return { outcome: 'abandoned', status: res.status };
      const text = await res.text();
      return { outcome: res.ok && resultOf(text) === 1 ? 'acknowledged' : 'not-acknowledged', status: res.status };
    } catch {
      if (fault?.kind === 'drop') return { outcome: 'abandoned' };
      return { outcome: timedOut ? 'timeout' : 'network-error' };
    } finally {
      clearTimeout(timeout);
      clearTimeout(cut);
      // Ends an answer left unread (abandoned) so its connection is not kept waiting.
      controller.abort();
      controllers.delete(controller);
    }
  }

  async function attempt(d: Delivery, mine: number) {
    const n = ++d.attempts;
    const { event } = d;
    const path = `/ingest/land/${encodeURIComponent(config.securityCode)}/${event.event}`;
    const fault = config.faults.decide(path, [event.id, d.copy === 'duplicate' ? 1 : 0, n]);
    const startedAt = Date.now();
    counters.attempts++;
    if (n > 1) counters.resent++;
    else if (d.copy === 'duplicate') counters.duplicatesSent++;

    let result: { outcome: PushOutcome; status?: number };
    if (fault?.kind === '5xx' || fault?.kind === '429') result = { outcome: 'not-sent' };
    else {
      if (fault?.kind === 'slow') await sleep(fault.delayMs);
      if (generation !== mine) return;
      result = await send(path, event.body, fault);
    }
    if (generation !== mine) return;
    log.push({ eventId: event.id, soBienNhan: event.soBienNhan, event: event.event, copy: d.copy, attempt: n, startedAt, endedAt: Date.now(), ...result, ...(fault ? { fault: fault.kind } : {}) });

    if (n === 1 && d.copy === 'original') release(event.soBienNhan, event.id, true);
    if (result.outcome === 'acknowledged') {
      counters.acknowledged++;
      if (d.sendTwice) {
        outstanding++; // before settle(), so that whenIdle() does not resolve in between
        const copy: Delivery = { event, copy: 'duplicate', attempts: 0, sendTwice: false };
        later(config.duplicateDelayMs, () => dispatch(copy));
      }
      settle();
      return;
    }
    counters.failed++;
    const delay = config.resendScheduleMs[n - 1];
    if (delay !== undefined) {
      later(delay, () => dispatch(d));
      return;
    }
    counters.givenUp++;
    givenUp.push({ eventId: event.id, soBienNhan: event.soBienNhan, event: event.event, copy: d.copy, body: event.body });
    settle();
  }

  /** Cancels every scheduled and running push; they stay counted as pending. Waiting `whenIdle` calls reject. */
  function stop() {
    generation++;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    for (const controller of controllers) controller.abort();
    controllers.clear();
    queue.length = 0;
    untargeted.length = 0;
    held.clear();
    inFlight = 0;
    const stopped = waiters;
    waiters = [];
    for (const w of stopped) w.reject(new Error(`land sandbox stopped with ${outstanding} pushes pending`));
  }

  return {
    push(event: OutgoingEvent) {
      const roll = keyedRandom(config.seed, event.id);
      const hold = roll.chance(config.reorderRate) && event.event !== 'KetThucHoSo';
      const d: Delivery = { event, copy: 'original', attempts: 0, sendTwice: roll.chance(config.duplicateRate) };
      counters.events++;
      outstanding++;
      if (!hold) {
        dispatch(d);
        return;
      }
      const timer = later(config.reorderDelayMs, () => release(event.soBienNhan, event.id + 1, false));
      held.set(event.soBienNhan, [...(held.get(event.soBienNhan) ?? []), { delivery: d, timer }]);
    },

    setTarget(url: string) {
      target = url;
      for (const d of untargeted.splice(0)) dispatch(d);
    },
    target: () => target,

    /** Resolves once every copy handed over so far is acknowledged or given up. */
    whenIdle(timeoutMs?: number): Promise<void> {
      if (outstanding === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const waiter = {
          resolve() {
            clearTimeout(timer);
            resolve();
          },
          reject(err: Error) {
            clearTimeout(timer);
            reject(err);
          },
        };
        waiters.push(waiter);
        if (timeoutMs !== undefined) {
          timer = setTimeout(() => {
            waiters = waiters.filter((w) => w !== waiter);
            reject(new Error(`land sandbox: ${outstanding} pushes still pending after ${timeoutMs} ms${target === undefined ? ' (no target set)' : ''}`));
          }, timeoutMs);
        }
      });
    },

    counters: () => ({ ...counters }),
    pushes: () => log.map((p) => ({ ...p })),
    givenUp: () => givenUp.map((g) => ({ ...g })),
    pending: () => outstanding,

    stop,

    /** stop(), then forgets every push; the target stays. */
    reset() {
      stop();
      counters = zeroCounters();
      log = [];
      givenUp = [];
      outstanding = 0;
    },
  };
}

export type Pusher = ReturnType<typeof createPusher>;
