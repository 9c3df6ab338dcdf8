import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attempt, combining, editText, encodeText, leadingZeroId, runs, textEdits, toXml, vietnamese, xmlEncoding } from '../../test/hostile/arbitraries';
import { XmlRefusedError, createXmlParser, xmlText } from './xml';

/**
 * The preset's promises, over random documents: any text is read or refused with XML_REFUSED;
 * values stay the strings written; list elements are arrays; prefixes do not change what is read;
 * text round-trips through every way a source writes it; a declaration anywhere is refused.
 */
const samples = [
  '../../adapters/business-registration/fixtures/business-household-page.xml',
  '../../adapters/business-registration/fixtures/business-single-enterprise.xml',
  '../../adapters/business-registration/fixtures/business-fault.xml',
].map((p) => readFileSync(new URL(p, import.meta.url), 'utf8'));
const parser = createXmlParser({ arrays: ['Item'] });

const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,8}$/).filter((n) => !/^xml/i.test(n) && !['__proto__', 'constructor', 'prototype'].includes(n));
const prefix = fc.constantFrom('', 'ns2', 's', 'SOAP-ENV', 'a.b-c');
/** Text that XML can carry; trimmed because the preset trims values. */
const text = fc
  .oneof(vietnamese, combining, leadingZeroId, fc.string({ unit: 'grapheme', maxLength: 30 }), fc.constantFrom('1e5', '0x1F', '-0', '1.50', 'true', 'null', ' 007 ', '&', '<>', ']]>'))
  .map((s) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').trim());

describe('XML preset properties', () => {
  it('reads any text or refuses it with XML_REFUSED, never another error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.tuple(fc.constantFrom(...samples), textEdits(4)).map(([s, e]) => editText(s, e))), (xml) => {
        const r = attempt(() => parser.parse(xml));
        if (r.ok) expect(typeof r.value).toBe('object');
        else expect(r.error).toBeInstanceOf(XmlRefusedError);
      }),
      runs(),
    );
  });

  it('keeps every value the string written, whatever way it is encoded: leading zeros, numbers, booleans, Vietnamese', () => {
    fc.assert(
      fc.property(fc.dictionary(name, text, { minKeys: 1, maxKeys: 6 }), prefix, xmlEncoding, (fields, p, encoding) => {
        const doc = parser.parse(toXml('r', fields, { prefix: p, encoding }));
        const root = doc['r'] as Record<string, unknown>;
        for (const [k, v] of Object.entries(fields)) expect(xmlText(root[k]) ?? '').toBe(v);
      }),
      runs(),
    );
  });

  it('reads a list element as an array whatever its length, one included', () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 5 }), prefix, (items, p) => {
        const doc = parser.parse(toXml('r', { Item: items }, { prefix: p }));
        const list = (doc['r'] as Record<string, unknown>)['Item'];
        expect(Array.isArray(list)).toBe(true);
        expect((list as unknown[]).map((i) => xmlText(i) ?? '')).toEqual(items);
      }),
      runs(),
    );
  });

  it('reads the same document whatever the namespace prefixes', () => {
    fc.assert(
      fc.property(fc.dictionary(name, text, { minKeys: 1, maxKeys: 4 }), prefix, prefix, (fields, a, b) => {
        expect(parser.parse(toXml('r', fields, { prefix: a }))).toEqual(parser.parse(toXml('r', fields, { prefix: b })));
      }),
      runs(),
    );
  });

  it('refuses a declaration wherever it sits and however it is cased', () => {
    const keyword = fc.constantFrom('DOCTYPE', 'ENTITY', 'ELEMENT', 'ATTLIST', 'NOTATION').chain((k) =>
      fc.array(fc.boolean(), { minLength: k.length, maxLength: k.length }).map((upper) => [...k].map((c, i) => (upper[i] ? c : c.toLowerCase())).join('')),
    );
    const before = fc.constantFrom('', ' ', '\uFEFF', '<?xml version="1.0"?>', '<!-- c -->', '<?pi x?>', '<r>', '<r><a>1</a>', '\n\t');
    fc.assert(
      fc.property(before, keyword, fc.string({ maxLength: 40 }), (head, k, tail) => {
        const r = attempt(() => parser.parse(`${head}<!${k}${tail}`));
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.error.message).toMatch(/DOCTYPE or entity declaration/);
      }),
      runs(),
    );
  });

  it('decodes numeric references and the five entities to the same text as literal letters', () => {
    fc.assert(
      fc.property(text, (s) => {
        const literal = parser.parse(`<a>${encodeText(s, 'literal')}</a>`);
        expect(parser.parse(`<a>${encodeText(s, 'numeric')}</a>`)).toEqual(literal);
        expect(xmlText(literal['a']) ?? '').toBe(s);
      }),
      runs(),
    );
  });
});
