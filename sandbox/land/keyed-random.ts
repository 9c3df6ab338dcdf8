import { createRandom, type Random } from '../shared/random';

/**
 * A random stream for one key (a seed and a few ids, e.g. event id and attempt number). A pusher's
 * attempts happen in an order that network timing decides; drawing each decision from its own key
 * keeps duplicates, reordering and faults reproducible from the seed whatever that order.
 */
export function keyedRandom(seed: number, ...key: readonly number[]): Random {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (const k of key) {
    h = Math.imul(h ^ (k >>> 0), 0x01000193);
    h ^= h >>> 15;
  }
  return createRandom(h >>> 0);
}
