import { XMLParser } from 'fast-xml-parser';

/**
 * Reads a SOAP 1.1 request strictly, by local names whatever the prefixes: one Envelope, an
 * optional Header with a WS-Security UsernameToken, one Body holding exactly one operation element
 * whose children are the parameters. A DOCTYPE or any markup declaration is refused before the
 * parser sees the text, so nothing is ever expanded (spec: such a request is an attack).
 */
export interface SoapRequest {
  operation: string;
  username?: string;
  password?: string;
  /** The `Type` attribute of `wsse:Password`, when given (only PasswordText is accepted). */
  passwordType?: string;
  /** Parameter local name -> every value given (a repeated parameter is refused by the operation). */
  params: Map<string, string[]>;
}

export type ReadResult = { ok: true; request: SoapRequest } | { ok: false; message: string };

const DECLARATION = /<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i;

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // Only the five predefined entities; numeric references are decoded below.
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: 32,
  // Every element is an array, so that a repeated element is visible, never silently merged.
  isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
});

type Node = Record<string, unknown>;

const decodeNcr = (text: string) =>
  text.replace(/&#(x[0-9a-f]+|\d+);/gi, (m, n: string) => {
    const code = n[0] === 'x' || n[0] === 'X' ? parseInt(n.slice(1), 16) : Number(n);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
  });

const elementNames = (node: Node) => Object.keys(node).filter((k) => !k.startsWith('@') && k !== '#text');

/** Stands for an element given more than once where one is expected. */
const REPEATED = Symbol('repeated');

/** The only child element named `name`, undefined when absent. */
function only(node: unknown, name: string): unknown {
  if (typeof node !== 'object' || node === null) return undefined;
  const list = (node as Node)[name] as unknown[] | undefined;
  if (!list) return undefined;
  return list.length === 1 ? list[0] : REPEATED;
}

/** Text of a leaf element; undefined when it has child elements. */
function leafText(node: unknown): string | undefined {
  if (typeof node === 'string') return decodeNcr(node);
  if (typeof node !== 'object' || node === null) return undefined;
  if (elementNames(node as Node).length > 0) return undefined;
  const text = (node as Node)['#text'];
  return decodeNcr(text === undefined ? '' : String(text));
}

export function readSoapRequest(xml: string): ReadResult {
  if (DECLARATION.test(xml)) return { ok: false, message: 'yêu cầu chứa DOCTYPE hoặc khai báo thực thể, bị từ chối' };
  let doc: Node;
  try {
    doc = parser.parse(xml, true) as Node;
  } catch {
    return { ok: false, message: 'yêu cầu không phải XML hợp lệ' };
  }
  const roots = elementNames(doc);
  const envelope = only(doc, 'Envelope');
  if (roots.length !== 1 || typeof envelope !== 'object' || envelope === null) return { ok: false, message: 'thiếu phần tử Envelope' };
  const body = only(envelope, 'Body');
  if (typeof body !== 'object' || body === null) return { ok: false, message: 'thiếu phần tử Body' };
  const operations = elementNames(body as Node);
  const operation = operations[0];
  const call = operation === undefined ? undefined : only(body, operation);
  if (operation === undefined || operations.length !== 1 || call === REPEATED) return { ok: false, message: 'Body phải chứa đúng một thao tác' };

  const params = new Map<string, string[]>();
  if (typeof call === 'object' && call !== null) {
    for (const name of elementNames(call as Node)) {
      const values = ((call as Node)[name] as unknown[]).map(leafText);
      if (values.some((v) => v === undefined)) return { ok: false, message: `tham số ${name} không được chứa phần tử con` };
      params.set(name, values as string[]);
    }
  }

  const token = only(only(only(envelope, 'Header'), 'Security'), 'UsernameToken');
  const password = only(token, 'Password');
  const passwordType = typeof password === 'object' && password !== null ? (password as Node)['@Type'] : undefined;
  const request: SoapRequest = { operation, params };
  const username = leafText(only(token, 'Username'));
  const secret = leafText(password);
  if (username !== undefined) request.username = username;
  if (secret !== undefined) request.password = secret;
  if (typeof passwordType === 'string') request.passwordType = passwordType;
  return { ok: true, request };
}
