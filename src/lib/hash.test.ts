import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stableStringify, stringifyWithVersion } from './hash';

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
