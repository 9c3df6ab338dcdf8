import { onTestFinished } from 'vitest';
import type { Listening } from './server';

/**
 * Helpers for the sandbox's own tests (real HTTP against a listening simulator). Not used by the
 * simulators themselves.
 */
export interface Answer {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else the text ('' when empty). */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

export async function call(url: string, init: RequestInit & { json?: unknown } = {}): Promise<Answer> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set('content-type', 'application/json; charset=utf-8');
  const res = await fetch(url, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body, text };
}

/** A controllable clock for token and session expiry. */
export function manualClock(startIso: string) {
  let t = Date.parse(startIso);
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
    set(iso: string) {
      t = Date.parse(iso);
    },
  };
}

/** Listens and closes after the current test. */
export async function serveForTest(sim: { listen(): Promise<Listening> }): Promise<Listening> {
  const listening = await sim.listen();
  onTestFinished(() => listening.close());
  return listening;
}
