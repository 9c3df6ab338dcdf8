import { XMLParser } from 'fast-xml-parser';
import { GatewayError } from './errors';

/**
 * The project's one XML preset (STYLE.md habit 5): namespace prefixes dropped, every value a
 * string (identifiers keep their leading zeros), numeric character references and the XML
 * entities decoded, known list elements always arrays, and any DOCTYPE or entity declaration
 * refused before parsing, so nothing is ever expanded.
 */
export class XmlRefusedError extends GatewayError {
  override readonly name: string = 'XmlRefusedError';
  constructor(message: string) {
    // Invalid content: asking again brings the same document, so it waits for an operator.
    super('invalid_content', 'XML_REFUSED', message);
  }
}

export interface XmlPresetOptions {
  /** Local names of elements that are lists, so a list of one is still an array. */
  arrays?: readonly string[];
  /** Refuse documents longer than this many characters. */
  maxLength?: number;
}

const DECLARATION = /<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i;

export function createXmlParser(options: XmlPresetOptions = {}) {
  const arrays = new Set(options.arrays ?? []);
  const maxLength = options.maxLength ?? 5_000_000;
  const parser = new XMLParser({
    removeNSPrefix: true,
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    processEntities: true,
    htmlEntities: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    maxNestedTags: 64,
    isArray: (name) => arrays.has(name),
  });
  return {
    parse(xml: string): Record<string, unknown> {
      if (xml.length > maxLength) throw new XmlRefusedError(`XML document is larger than ${maxLength} characters`);
      if (DECLARATION.test(xml)) throw new XmlRefusedError('XML document carries a DOCTYPE or entity declaration; refused without expanding it');
      try {
        return parser.parse(xml, true) as Record<string, unknown>;
      } catch (err) {
        throw new XmlRefusedError(`XML document is not well formed: ${(err as Error).message.slice(0, 200)}`);
      }
    },
  };
}

/** Text of a parsed element that may carry attributes (`{ '#text': ..., '@Attr': ... }`) or be empty. */
export function xmlText(node: unknown): string | undefined {
  if (node === undefined || node === null) return undefined;
  if (typeof node === 'string') return node;
  if (typeof node === 'object' && '#text' in (node as object)) return String((node as Record<string, unknown>)['#text']);
  return undefined;
}
