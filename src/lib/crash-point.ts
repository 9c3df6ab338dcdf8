/**
 * Crash injection at the sync engine's stage boundaries: a test-only facility.
 *
 * The engine's promise (nothing lost, no effect repeated, no status going back) is only worth what
 * its worst moment is worth, and the worst moments are the boundaries between stages: a record
 * stored but not yet acknowledged, a delivery leased but not yet sent, a target's success not yet
 * recorded. The end-to-end suite (test/e2e/crash-points.test.ts) starts the gateway with
 * `LIENTHONG_CRASH_AT=<point>:<n>`, and the n-th time the named point is reached the process kills
 * itself with SIGKILL, synchronously: no later statement, no `finally`, no flush of anything runs,
 * just as when the machine loses power there.
 *
 * The variable is read once, when this module loads. Unset (as in every deployment) each point
 * costs one boolean check. A malformed value stops the process at start-up rather than silently
 * testing nothing.
 */
export const CRASH_POINTS = [
  /** A source record is durably accepted; the sender has no answer yet, the poll cursor has not moved. */
  'after-accept',
  /** Deliveries are claimed (leased) for a target; no call to it has been made. */
  'after-claim',
  /** A target answered a delivery with success; the result is not recorded in the store. */
  'after-target-answer',
  /**
   * The national portal answered a dossier call carrying several dossiers: it holds them all, their
   * steps are not sent, and not one of the batch's results is recorded.
   */
  'mid-batch-dvcqg',
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

export const CRASH_AT_ENV = 'LIENTHONG_CRASH_AT';

interface Armed {
  point: CrashPoint;
  /** Hits still to pass before the one that kills. */
  remaining: number;
}

/** `<point>:<n>` (n >= 1, default 1) -> the armed point; unset or empty -> null. */
export function parseCrashAt(value: string | undefined): Armed | null {
  if (value === undefined || value.trim() === '') return null;
  const match = /^([a-z-]+)(?::(\d+))?$/.exec(value.trim());
  const point = match?.[1] as CrashPoint | undefined;
  const n = Number(match?.[2] ?? '1');
  if (!point || !CRASH_POINTS.includes(point) || !Number.isInteger(n) || n < 1) {
    throw new Error(`${CRASH_AT_ENV}="${value}" is not <point>:<n> with a point among ${CRASH_POINTS.join(', ')} and n >= 1: fix or unset it`);
  }
  return { point, remaining: n - 1 };
}

// `process` may be absent (Workers without Node compatibility): nothing is ever armed there.
const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
const armed: Armed | null = parseCrashAt(env?.[CRASH_AT_ENV]);

/**
 * How the line naming the point reaches stderr before the kill. A worker thread's `process.stderr`
 * hands its writes to the main thread, too late for a SIGKILL: such a thread sets a synchronous
 * writer (the target thread writes to file descriptor 2).
 */
let writeLine: (line: string) => void = (line) => process.stderr.write(line);
export function writeCrashLinesWith(write: (line: string) => void): void {
  writeLine = write;
}

/** Marks a stage boundary; kills the process here when this is the armed point's n-th hit. */
export function crashPoint(point: CrashPoint): void {
  if (armed) hit(armed, point);
}

function hit(at: Armed, point: CrashPoint): void {
  if (point !== at.point) return;
  if (at.remaining-- > 0) return;
  // Written synchronously (stderr is a pipe or a file): the test reads which point was reached.
  writeLine(`lienthong: crash point ${point} reached, killing the process with SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
}
