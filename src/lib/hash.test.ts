import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, sha256Hex, stableStringify, stringifyWithVersion } from './hash';

/** The definition, plainly: JSON whose objects list their keys in sorted order (as text: "10" before "9"). */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : sortedJson(v))).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const entries = Object.keys(value)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${sortedJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

describe('stableStringify', () => {
  it('writes JSON with the keys of every object in sorted order, whatever the value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(stableStringify(value)).toBe(sortedJson(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('writes the same text whatever order the keys were added in', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        const reversed = Object.fromEntries(Object.entries(value).reverse());
        expect(stableStringify(reversed)).toBe(stableStringify(value));
      }),
      { numRuns: 300 },
    );
  });

  it('writes numbers, escapes and missing values as JSON does', () => {
    expect(stableStringify({ b: -0, a: 1e21, c: Number.NaN, d: Infinity, e: 0.1 })).toBe('{"a":1e+21,"b":0,"c":null,"d":null,"e":0.1}');
    const escaped = { 'k"\n': 'Nguyễn "An"\n\u0001\u2028', gone: undefined, list: [undefined, true, false, null] };
    expect(stableStringify(escaped)).toBe(JSON.stringify({ 'k"\n': escaped['k"\n'], list: [null, true, false, null] }));
  });
});

describe('stringifyWithVersion', () => {
  it('writes what stableStringify writes of the object with that version, whatever the object', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.option(fc.jsonValue(), { nil: undefined }), fc.nat(), fc.nat(), (value, oldVersion, a, b) => {
        const withVersion = stringifyWithVersion({ ...value, version: oldVersion });
        expect(withVersion(a)).toBe(stableStringify({ ...value, version: a }));
        expect(withVersion(b)).toBe(stableStringify({ ...value, version: b }));
      }),
      { numRuns: 500 },
    );
  });

  it('places the version among keys that sort before and after it', () => {
    expect(stringifyWithVersion({ zeta: 1, alpha: [2, { b: 1, a: null }], skipped: undefined })(7)).toBe('{"alpha":[2,{"a":null,"b":1}],"version":7,"zeta":1}');
    expect(stringifyWithVersion({})(1)).toBe('{"version":1}');
  });
});

describe('sha256Hex and constantTimeEqual', () => {
  it('hashes as Web Crypto does (the Workers runtime), UTF-8 text included', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    for (const text of ['', 'TiepNhanHoSo\n{"HoTen":"Nguyễn Văn An"}', 'x'.repeat(100_000)]) {
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
      expect(await sha256Hex(text)).toBe(Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''));
    }
  });

  it('tells equal secrets from different ones, whatever their lengths', async () => {
    expect(await constantTimeEqual('mã-bảo-mật', 'mã-bảo-mật')).toBe(true);
    expect(await constantTimeEqual('mã-bảo-mật', 'mã-bảo-mậT')).toBe(false);
    expect(await constantTimeEqual('short', 'a much longer secret')).toBe(false);
    expect(await constantTimeEqual('', '')).toBe(true);
  });
});

describe('stableStringify with keys a source chose', () => {
  it('writes long and many distinct keys as JSON does, and keeps writing the short ones after them', () => {
    const long = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`${'k'.repeat(200)}${i}`, i]));
    expect(stableStringify(long)).toBe(`{${Object.keys(long).sort().map((k) => `${JSON.stringify(k)}:${long[k]}`).join(',')}}`);
    const many = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`f${i}"\u00e9`, i]));
    expect(stableStringify(many)).toBe(`{${Object.keys(many).sort().map((k) => `${JSON.stringify(k)}:${many[k]}`).join(',')}}`);
    expect(stableStringify({ status: 'ACCEPTED', procedure: { nationalCode: '1.012765' } })).toBe('{"procedure":{"nationalCode":"1.012765"},"status":"ACCEPTED"}');
  });
});
