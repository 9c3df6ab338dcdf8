import { statusCode, type ProcessingEvent } from '../../contracts';
import { toSecondIso } from '../lib/time';

/**
 * A progress step's identity at a target: its time (to the second, as targets keep it), its status
 * and its content. The same key on both sides means the target already holds the step.
 */
export function stepKey(e: Pick<ProcessingEvent, 'at' | 'status' | 'content'>): string {
  return `${toSecondIso(e.at)}|${statusCode(e.status)}|${e.content}`;
}

export function heldStepKey(at: string, status: number, content: string): string {
  return `${toSecondIso(at)}|${status}|${content}`;
}

/** The steps not yet held, in order; a key held n times covers its first n occurrences. */
export function missingSteps<T extends { key: string }>(steps: readonly T[], held: readonly string[]): T[] {
  const counts = new Map<string, number>();
  for (const k of held) counts.set(k, (counts.get(k) ?? 0) + 1);
  return steps.filter((s) => {
    const n = counts.get(s.key) ?? 0;
    if (n > 0) {
      counts.set(s.key, n - 1);
      return false;
    }
    return true;
  });
}
