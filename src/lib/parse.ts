import type { z } from 'zod';
import { MappingError } from './errors';

/**
 * Reading what a source sent: JSON text and wire schemas. Every failure is a MappingError that
 * names what is wrong, so the record is kept with that reason instead of failing the request.
 */

/** Far deeper than any source's records (a land body nests 4 levels), shallow enough for recursion. */
export const MAX_JSON_DEPTH = 64;

/** Keys that mean something to JavaScript objects; no source sends them, so a body carrying one is refused. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Nesting depth of JSON text, counted without recursion so that hostile nesting cannot exhaust the stack. */
function exceedsDepth(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/**
 * A forbidden key can be in the parsed value only if the text spells it, plainly or with \u escapes;
 * most bodies do neither, and are parsed without a reviver (which made parsing five times slower).
 */
const MAY_HOLD_FORBIDDEN_KEY = /__proto__|constructor|prototype|\\u/;

/** Parses JSON text from a source; `what` names it in the reason ("the body", "the dossier detail"). */
export function parseJson(text: string, what: string): unknown {
  if (exceedsDepth(text, MAX_JSON_DEPTH)) throw new MappingError('TOO_DEEP', `${what} nests deeper than ${MAX_JSON_DEPTH} levels`);
  let value: unknown;
  try {
    // JSON.parse makes "__proto__" an own property, never the prototype: safe to look at afterwards.
    value = JSON.parse(text);
  } catch (err) {
    throw new MappingError('BAD_JSON', `${what} is not valid JSON: ${parserMessage(err as Error)}`);
  }
  if (MAY_HOLD_FORBIDDEN_KEY.test(text)) refuseForbiddenKeys(value, what);
  return value;
}

/** Finds a forbidden key in the order a reviver meets them (children first, keys in order); depth is bounded above. */
function refuseForbiddenKeys(value: unknown, what: string): void {
  if (value === null || typeof value !== 'object') return;
  for (const key of Object.keys(value)) {
    refuseForbiddenKeys((value as Record<string, unknown>)[key], what);
    if (FORBIDDEN_KEYS.has(key)) throw new MappingError('FORBIDDEN_KEY', `${what} carries the key "${key}", which no record has`, key);
  }
}

/**
 * The parser's complaint without the text it quotes: V8 cites up to ten characters either side of
 * the fault (`Unexpected token 'L', ..."HoTen": Lê Thị Hà}" is not valid JSON`), which would put a
 * sender's personal data in the reason that is answered to it, stored and listed for operators.
 */
function parserMessage(err: Error): string {
  return err.message.split('"')[0]!.replace(/[\s,.]+$/, '').slice(0, 200);
}

/** Parses a value with a source's wire schema; a mismatch names the first field that does not fit. */
export function parseWire<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') || '(body)';
  // "expected string, received undefined" is how zod says a field is absent; say it plainly.
  if (issue?.code === 'invalid_type' && issue.path.length > 0 && at(value, issue.path) === undefined) {
    throw new MappingError('MISSING_FIELD', `${field} is missing`, field);
  }
  throw new MappingError('BAD_FIELD', `${field}: ${issue?.message ?? 'invalid'}`, field);
}

function at(value: unknown, path: readonly PropertyKey[]): unknown {
  let node = value;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}
