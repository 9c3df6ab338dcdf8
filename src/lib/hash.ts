/** Content hashing that works the same on Node and on Workers (Web Crypto). */

/**
 * Object keys as JSON strings, kept: a dossier uses a few dozen keys, quoted on every accept
 * otherwise. Only short keys are kept (a source's raw fields reach here with names it chose), and
 * only so many.
 */
const quotedKeys = new Map<string, string>();
function quoteKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (key.length <= 64 && quotedKeys.size < 1024) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/**
 * JSON with object keys sorted, so that equal content always hashes equally. On every accept's path
 * (each dossier's canonical text): kept loop-plain, primitives written without a call into
 * JSON.stringify where their text is plain, keys quoted once.
 */
export function stableStringify(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      break;
    default:
      return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (i) out += ',';
      out += v === undefined ? 'null' : stableStringify(v);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const v = record[key];
    if (v === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${quoteKey(key)}:${stableStringify(v)}`;
  }
  return `${out}}`;
}

/**
 * `stableStringify({ ...value, version })` for any version, with the rest serialized once: deciding
 * whether a dossier changed and writing its next version need the same text under two versions.
 */
export function stringifyWithVersion(value: Record<string, unknown>): (version: number) => string {
  const keys = Object.keys(value).filter((k) => k !== 'version' && value[k] !== undefined);
  keys.push('version');
  keys.sort();
  const at = keys.indexOf('version');
  const parts = keys.map((k) => (k === 'version' ? '' : `${JSON.stringify(k)}:${stableStringify(value[k])}`));
  const before = parts.slice(0, at).join(',');
  const after = parts.slice(at + 1).join(',');
  return (version) => `{${before}${before ? ',' : ''}"version":${JSON.stringify(version)}${after ? ',' : ''}${after}}`;
}

const encoder = new TextEncoder();

/**
 * Node's own one-shot hashing (`crypto.hash`, no Hash object per call) where there is one: Web
 * Crypto's digest is asynchronous, and the hop through the thread pool cost more than the hash
 * itself on every record accepted. Workers (no `process`, or a `node:crypto` without `hash`) keep
 * Web Crypto. Looked up at run time so that no bundle for Workers imports `node:crypto`.
 */
const builtin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:crypto') as
  | typeof import('node:crypto')
  | undefined;
const nodeCrypto = typeof builtin?.hash === 'function' ? builtin : undefined;

export async function sha256Hex(text: string): Promise<string> {
  if (nodeCrypto) return nodeCrypto.hash('sha256', text, 'hex');
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export const contentHash = (value: unknown): Promise<string> => sha256Hex(stableStringify(value));

/**
 * Compares two secrets in time that does not depend on where they differ: both sides are hashed
 * first, so the lengths compared are always equal and nothing leaks through an early exit.
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  if (nodeCrypto) return nodeCrypto.timingSafeEqual(nodeCrypto.hash('sha256', a, 'buffer'), nodeCrypto.hash('sha256', b, 'buffer'));
  const [ha, hb] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(a)),
    crypto.subtle.digest('SHA-256', encoder.encode(b)),
  ]);
  const x = new Uint8Array(ha);
  const y = new Uint8Array(hb);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}
