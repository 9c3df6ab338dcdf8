import { XMLParser } from 'fast-xml-parser';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { parseRecord } from '../../adapters/civil-status/map';
import { toBusinessDossier } from '../../adapters/business-registration/map';
import { readSoapResponse, soapParser } from '../../adapters/business-registration/soap';
import { DECLARATION_ATTACKS, DEEP_NESTING, MB, heapGrowth, hugeTextDocument } from '../../test/hostile/xml-attacks';
import { GatewayError } from './errors';
import { XmlRefusedError, createXmlParser } from './xml';

/**
 * The preset against documents built to hurt an XML reader. Each is refused with XML_REFUSED, an
 * invalid-content error that is never retried, and the parser never sees a declaration: the spy on
 * the library's parse proves nothing was expanded because nothing was even read.
 */
function refusal(fn: () => unknown): XmlRefusedError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(XmlRefusedError);
    expect(err).toBeInstanceOf(GatewayError);
    const e = err as XmlRefusedError;
    expect(e).toMatchObject({ code: 'XML_REFUSED', errorClass: 'invalid_content', retryable: false });
    return e;
  }
  throw new Error('the document was not refused');
}

/** Every way a document reaches the preset: the bare preset, the SOAP reader, both adapters' mappers. */
const READERS: readonly [string, (xml: string) => unknown][] = [
  ['the preset', (xml) => createXmlParser().parse(xml)],
  ['the SOAP preset', (xml) => soapParser.parse(xml)],
  ['the SOAP response reader', (xml) => readSoapResponse(xml, 'LayHoSo')],
  ['the business mapper', (xml) => toBusinessDossier(xml)],
  ['the civil-status record reader', (xml) => parseRecord(xml)],
];

describe('XML preset under attack', () => {
  let parse: MockInstance;
  beforeEach(() => {
    parse = vi.spyOn(XMLParser.prototype, 'parse');
  });
  afterEach(() => parse.mockRestore());

  describe.each(READERS)('%s', (_name, read) => {
    it.each(DECLARATION_ATTACKS)('refuses %s before parsing, expanding nothing', async (_attack, xml) => {
      const growth = await heapGrowth(() => {
        const e = refusal(() => read(xml));
        expect(e.message).toBe('XML document carries a DOCTYPE or entity declaration; refused without expanding it');
      });
      expect(parse).not.toHaveBeenCalled();
      expect(growth).toBeLessThan(32 * MB);
    });

    it('refuses 100,000 levels of nesting without exhausting the stack or the heap', async () => {
      const growth = await heapGrowth(() => expect(refusal(() => read(DEEP_NESTING)).message).toMatch(/not well formed: Maximum nested tags exceeded/));
      expect(growth).toBeLessThan(64 * MB);
    });
  });

  it.each(READERS)('refuses a 50 MB text node in %s by its length alone, without parsing it', async (_name, read) => {
    const xml = hugeTextDocument();
    const growth = await heapGrowth(() => expect(refusal(() => read(xml)).message).toMatch(/^XML document is larger than \d+ characters$/));
    expect(parse).not.toHaveBeenCalled();
    expect(growth).toBeLessThan(16 * MB);
  });

  it('reads nesting up to its limit, so real documents are not refused', () => {
    const depth = 60;
    const doc = createXmlParser().parse(`${'<a>'.repeat(depth)}x${'</a>'.repeat(depth)}`);
    let node: unknown = doc;
    for (let i = 0; i < depth; i++) node = (node as Record<string, unknown>)['a'];
    expect(node).toBe('x');
  });

  it('leaves references to undeclared entities as text instead of resolving them', () => {
    expect(createXmlParser().parse('<a>&xxe;&lol9;&#x26;lol;</a>')).toEqual({ a: '&xxe;&lol9;&lol;' });
  });

  it('refuses element names that would reach an object prototype, and pollutes nothing', () => {
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      refusal(() => createXmlParser().parse(`<r><${name}><polluted>yes</polluted></${name}></r>`));
      refusal(() => parseRecord(`<hoTich><${name}>x</${name}><nycHoTen>A</nycHoTen></hoTich>`));
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
