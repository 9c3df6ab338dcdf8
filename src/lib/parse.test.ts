import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MappingError } from './errors';
import { parseJson } from './parse';

/** What parseJson must do, written the plain way: a reviver that refuses the keys as it meets them. */
function reference(text: string): { value: unknown } | { code: string; key?: string } {
  try {
    return {
      value: JSON.parse(text, (key, value: unknown) => {
        if (['__proto__', 'constructor', 'prototype'].includes(key)) throw Object.assign(new Error(key), { forbidden: key });
        return value;
      }),
    };
  } catch (err) {
    const forbidden = (err as { forbidden?: string }).forbidden;
    return forbidden === undefined ? { code: 'BAD_JSON' } : { code: 'FORBIDDEN_KEY', key: forbidden };
  }
}

function actual(text: string): { value: unknown } | { code: string; key?: string } {
  try {
    return { value: parseJson(text, 'the body') };
  } catch (err) {
    if (!(err instanceof MappingError)) throw err;
    return err.code === 'FORBIDDEN_KEY' ? { code: err.code, key: /"([^"]+)"/.exec(err.message)?.[1] } : { code: err.code };
  }
}

/** JSON values whose keys are often the forbidden ones, written plainly or with \u escapes. */
const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'HoTen', 'a', '0'), fc.string({ maxLength: 6 }));
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 1 }), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(key, tie('node'), { maxKeys: 4 })),
})).node;
const escaped = (text: string) => text.replace(/_/g, '\\u005f').replace(/o/g, '\\u006f');

describe('parseJson', () => {
  it('parses and refuses exactly as a reviver refusing the forbidden keys does, escaped or not', () => {
    fc.assert(
      fc.property(value, fc.boolean(), (v, escape) => {
        const text = escape ? escaped(JSON.stringify(v)) : JSON.stringify(v);
        expect(actual(text)).toEqual(reference(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a forbidden key however it is spelled, and text that is not JSON', () => {
    expect(actual('{"a":{"\\u005f_proto__":{"polluted":1}}}')).toEqual({ code: 'FORBIDDEN_KEY', key: '__proto__' });
    expect(actual('[{"x":1},{"constructor":{"prototype":{}}}]')).toEqual({ code: 'FORBIDDEN_KEY', key: 'prototype' });
    expect(actual('{"HoTen":"Nguyễn Văn An"')).toEqual({ code: 'BAD_JSON' });
    expect(actual('{"HoTen":"constructor"}')).toEqual({ value: { HoTen: 'constructor' } });
  });
});
