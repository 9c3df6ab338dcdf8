import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepNfc } from './text';

/** The definition, plainly: every string, keys included, in NFC. */
function reference(value: unknown): unknown {
  if (typeof value === 'string') return value.normalize('NFC');
  if (Array.isArray(value)) return value.map(reference);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.normalize('NFC'), reference(v)]));
  return value;
}

/** Vietnamese text as a keyboard may send it: decomposed (NFD), or mixed. */
const text = fc.oneof(fc.string(), fc.constantFrom('Nguyễn Văn An', 'Đăng ký', 'Phường Hàng Bạc', '__proto__').map((s) => s.normalize('NFD')));
const json = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(text, tie('node'), { maxKeys: 3 })),
})).node;

describe('deepNfc', () => {
  it('writes what the plain definition writes, whatever the value', () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(deepNfc(value)).toStrictEqual(reference(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('normalizes keys and values at every depth, and keeps "__proto__" a key, not a prototype', () => {
    const nfd = (s: string) => s.normalize('NFD');
    const out = deepNfc(JSON.parse(`{"${nfd('Họ tên')}":["${nfd('Lê Thị Hà')}",3],"__proto__":{"polluted":"${nfd('có')}"}}`) as unknown) as Record<string, unknown>;
    expect(JSON.stringify(out)).toBe('{"Họ tên":["Lê Thị Hà",3],"__proto__":{"polluted":"có"}}');
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out['polluted']).toBeUndefined();
  });
});
