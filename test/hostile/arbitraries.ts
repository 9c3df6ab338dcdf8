import fc from 'fast-check';
import { expect } from 'vitest';
import { dossierDraft } from '../../contracts';
import { GatewayError, MappingError } from '../../src/lib/errors';

/**
 * What the property and attack suites share: fixed fast-check settings, the one definition of a
 * typed failure, hostile values, and mutations that start from a valid record and break it.
 */

/** Reproducible, and a run that stops progressing fails the property instead of hanging the suite. */
export function runs(numRuns = 300, seed = 42) {
  return { seed, numRuns, plugins: [fc.interruptAfterTimeLimit(8_000, { failOnInterrupt: true })] };
}

/** What an adapter produces; the engine validates the same schema. */
export const sourceDossier = dossierDraft.omit({ version: true, dossierCode: true });

export type TypedError = GatewayError | MappingError;

/** A failure the gateway can act on: a typed class, a stable code and a message a person can read. */
export function expectTyped(err: unknown): asserts err is TypedError {
  if (!(err instanceof GatewayError || err instanceof MappingError)) {
    const e = err as Error | undefined;
    throw new Error(`an untyped error escaped: ${e?.name}: ${String(e?.message).slice(0, 300)}`, { cause: err });
  }
  expect(err.code).toMatch(/^[A-Z][A-Z0-9_]*$/);
  expect(err.message.trim().length).toBeGreaterThan(5);
  expect(err.message.length).toBeLessThan(1_000);
  expect(err.message).not.toMatch(/\[object Object\]|^undefined|\n\s+at /);
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: TypedError };

/** Runs `fn`, returning its value or its typed error; an untyped error fails the property. */
export function attempt<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    expectTyped(err);
    return { ok: false, error: err };
  }
}

/** Paths of strings (values and keys) that are not NFC. */
export function nonNfc(value: unknown, path = '$', out: string[] = []): string[] {
  if (typeof value === 'string') {
    if (value !== value.normalize('NFC')) out.push(path);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => nonNfc(v, `${path}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k !== k.normalize('NFC')) out.push(`${path} key`);
      nonNfc(v, `${path}.${k}`, out);
    }
  }
  return out;
}

const WORDS = [
  'Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Ngô', 'Dương', 'Thị', 'Văn', 'Ánh', 'Đức',
  'Thủy', 'Quảng', 'Phú', 'xã', 'phường', 'Hạc', 'Thành', 'Thanh', 'Hóa', 'Tạp', 'hóa', 'thửa', 'đất', 'Giấy', 'chứng', 'nhận',
  'Ỷ', 'ỹ', 'Ữ', 'ợ', 'Ưởng', 'Khải', '&', '<b>', '"', "'",
];
/** Vietnamese text, as NFC or NFD (names arrive both ways). */
export const vietnamese = fc
  .tuple(fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 6 }), fc.constantFrom<'NFC' | 'NFD'>('NFC', 'NFD'))
  .map(([words, form]) => words.join(' ').normalize(form));
/** Free combinations of base letters and the Vietnamese combining marks, in any order. */
export const combining = fc.string({
  unit: fc.constantFrom('a', 'e', 'o', 'u', 'y', 'A', 'Đ', 'ư', ' ', '\u0300', '\u0301', '\u0303', '\u0309', '\u0323', '\u0302', '\u0306', '\u031b'),
  maxLength: 20,
});
/** Personal IDs and codes that start with zeros: they must come out as the same strings. */
export const leadingZeroId = fc.oneof(fc.stringMatching(/^0\d{11}$/), fc.stringMatching(/^0\d{8}$/), fc.stringMatching(/^00\d{1,10}$/));
/** A string long enough to hurt anything quadratic, rare enough to keep a run fast. */
export const hugeString = fc.integer({ min: 20_000, max: 100_000 }).map((n) => 'Ạ'.repeat(n));

const TRICKY = [
  '', ' ', '\u0000', '\ufeff', 'null', 'true', 'false', '0', '-0', '007', '1e999', '9'.repeat(400), 'NaN', 'Infinity',
  '2026-02-30T01:00:00', '2026-03-02T01:30:00Z', '2026-03-02 01:30:00', '2026-03-02T01:30:00.1234567', '2026-03-02T24:00:00',
  '02/03/2026 08:05:10', '31/02/2026 08:00:00', '2026-03-02T08:15:00+07:00', '2026-03-02T08:15:00.5+07:00', '+002026-03-02T08:15:00Z',
  '__proto__', 'constructor', '<x>', '&amp;', '&#7889;', ']]>', '\ud800',
];

export const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constant(null), weight: 2 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.integer(), weight: 2 },
  { arbitrary: fc.double(), weight: 1 },
  { arbitrary: fc.constantFrom(0, 1, 2, 3, 4, 6, -1, 2 ** 53, 1e21), weight: 2 },
  { arbitrary: fc.string(), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 1 },
  { arbitrary: vietnamese, weight: 3 },
  { arbitrary: combining, weight: 1 },
  { arbitrary: leadingZeroId, weight: 2 },
  { arbitrary: fc.stringMatching(/^-?\d{1,30}(\.\d{1,5})?$/), weight: 2 },
  { arbitrary: fc.constantFrom(...TRICKY), weight: 4 },
  { arbitrary: hugeString, weight: 1 },
);

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileScalar, weight: 8 },
  { arbitrary: fc.array(hostileScalar, { maxLength: 3 }), weight: 1 },
  { arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), hostileScalar, { maxKeys: 3 }), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
);

export interface Mutation {
  pick: number;
  kind: 'drop' | 'set' | 'wrap';
  value: unknown;
}
export const mutations = (maxLength = 4) =>
  fc.array(fc.record({ pick: fc.nat(), kind: fc.constantFrom<Mutation['kind']>('drop', 'set', 'set', 'set', 'wrap'), value: hostileValue }), { maxLength });

type Path = (string | number)[];
function pathsOf(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  out.push(path);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...path, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...path, k], out);
  return out;
}

/** Applies mutations to a copy of a JSON-like value; each picks one node (the root included) and drops, replaces or wraps it. */
export function mutate<T>(base: T, ms: readonly Mutation[]): unknown {
  let root: unknown = structuredClone(base);
  for (const m of ms) {
    const paths = pathsOf(root);
    const path = paths[m.pick % paths.length]!;
    if (path.length === 0) {
      root = m.kind === 'wrap' ? [root] : m.kind === 'drop' ? undefined : m.value;
      continue;
    }
    const parent = path.slice(0, -1).reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], root) as Record<string | number, unknown>;
    const key = path.at(-1)!;
    if (m.kind === 'drop') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else if (m.kind === 'wrap') parent[key] = { v: parent[key] };
    else parent[key] = m.value;
  }
  return root;
}

export interface TextEdit {
  pick: number;
  kind: 'truncate' | 'insert' | 'delete';
  text: string;
}
/** Byte-level damage to a text: cut short, something inserted, a stretch removed. */
export const textEdits = (maxLength = 3) =>
  fc.array(
    fc.record({
      pick: fc.nat(),
      kind: fc.constantFrom<TextEdit['kind']>('truncate', 'insert', 'delete'),
      text: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('<', '>', '&', '"', '{', '}', '[', ']', ',', ':', '<!--', '<![CDATA[', '\\', '\u0000')),
    }),
    { maxLength },
  );
export function editText(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const e of edits) {
    const at = out.length ? e.pick % out.length : 0;
    if (e.kind === 'truncate') out = out.slice(0, at);
    else if (e.kind === 'insert') out = out.slice(0, at) + e.text + out.slice(at);
    else out = out.slice(0, at) + out.slice(at + 1 + (e.pick % 17));
  }
  return out;
}

export type XmlEncoding = 'literal' | 'numeric' | 'cdata';
export const xmlEncoding = fc.constantFrom<XmlEncoding>('literal', 'literal', 'numeric', 'cdata');

export function escapeText(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}
/** Text as a source may write it: literal with the five entities, as numeric references, or in CDATA. */
export function encodeText(s: string, encoding: XmlEncoding): string {
  if (encoding === 'cdata') return `<![CDATA[${s.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
  if (encoding === 'literal') return escapeText(s);
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    out += cp > 126 || '<>&"\''.includes(ch) ? `&#${cp};` : ch;
  }
  return out;
}

const scalarText = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

/**
 * A parsed-XML-shaped value back to XML: `@name` keys are attributes, `#text` is text, arrays
 * repeat the element, null is an empty element. Names are written as they are, hostile ones included.
 */
export function toXml(name: string, value: unknown, options: { prefix?: string; encoding?: XmlEncoding } = {}): string {
  const q = options.prefix ? `${options.prefix}:${name}` : name;
  const encoding = options.encoding ?? 'literal';
  if (Array.isArray(value)) return value.map((v) => toXml(name, v, options)).join('');
  if (value === null || value === undefined) return `<${q}/>`;
  if (typeof value !== 'object') return `<${q}>${encodeText(scalarText(value), encoding)}</${q}>`;
  let attrs = '';
  let body = '';
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k.startsWith('@')) attrs += ` ${k.slice(1)}="${escapeText(scalarText(v))}"`;
    else if (k === '#text') body += encodeText(scalarText(v), encoding);
    else body += toXml(k, v, options);
  }
  return `<${q}${attrs}>${body}</${q}>`;
}
