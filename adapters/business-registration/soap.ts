import { GatewayError } from '../../src/lib/errors';
import { createXmlParser, xmlText } from '../../src/lib/xml';

/**
 * SOAP 1.1 for the business registration service: envelopes with a WS-Security UsernameToken,
 * answers read by local name whatever the release's prefixes, faults classified, and each `<HoSo>`
 * kept exactly as received so that the stored record is the source's own text.
 */
export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  dk: 'http://dangkykinhdoanh.gov.vn/ws',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
} as const;

/** Elements that are lists, so that a list of one is still an array. */
export const LIST_ELEMENTS = ['HoSo', 'Buoc', 'LePhi', 'TaiLieu', 'KetQua'] as const;
/**
 * A full page (100 dossiers) is a few hundred kilobytes. The parser decodes entities at one to three
 * MB a second on the event loop, so a 20 MB answer held everything else for seven to fifteen
 * seconds; 4 MB keeps ample room for real pages and bounds that to a few seconds.
 */
export const MAX_ANSWER_LENGTH = 4_000_000;
export const soapParser = createXmlParser({ arrays: LIST_ELEMENTS, maxLength: MAX_ANSWER_LENGTH });

export function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function envelope(operation: string, params: Record<string, string | number>, credentials: { username: string; password: string }): string {
  const body = Object.entries(params)
    .map(([k, v]) => `<dk:${k}>${escapeXml(String(v))}</dk:${k}>`)
    .join('');
  return (
    `<?xml version="1.0" encoding="utf-8"?>` +
    `<soap:Envelope xmlns:soap="${NS.soap}" xmlns:dk="${NS.dk}">` +
    `<soap:Header><wsse:Security xmlns:wsse="${NS.wsse}"><wsse:UsernameToken>` +
    `<wsse:Username>${escapeXml(credentials.username)}</wsse:Username><wsse:Password>${escapeXml(credentials.password)}</wsse:Password>` +
    `</wsse:UsernameToken></wsse:Security></soap:Header>` +
    `<soap:Body><dk:${operation}>${body}</dk:${operation}></soap:Body></soap:Envelope>`
  );
}

/** The SOAP body's first element (the operation's response), or a typed error for a fault. */
export function readSoapResponse(xml: string, operation: string): Record<string, unknown> {
  const doc = soapParser.parse(xml);
  const env = doc['Envelope'] as Record<string, unknown> | undefined;
  const body = env?.['Body'] as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object') {
    throw new GatewayError('transient', 'BUSINESS_BAD_ANSWER', 'business-registration answered without a SOAP body', { ambiguous: false });
  }
  const fault = body['Fault'] as Record<string, unknown> | undefined;
  if (fault) throw faultError(xmlText(fault['faultcode']) ?? '', xmlText(fault['faultstring']) ?? '');
  const response = body[`${operation}Response`];
  if (response === undefined) throw new GatewayError('transient', 'BUSINESS_BAD_ANSWER', `business-registration answered without ${operation}Response`);
  if (response === '') return {};
  if (typeof response !== 'object' || response === null || Array.isArray(response)) {
    throw new GatewayError('transient', 'BUSINESS_BAD_ANSWER', `business-registration answered ${operation}Response with text instead of elements`);
  }
  return response as Record<string, unknown>;
}

/** soap:Client faults are permanent (bad credentials, bad parameters); soap:Server faults are transient. */
export function faultError(code: string, message: string): GatewayError {
  const local = code.split(':').pop() ?? code;
  const reason = message.split(':')[0]?.trim() ?? '';
  if (local === 'Server') return new GatewayError('transient', `BUSINESS_${reason || 'SERVER'}`, `business-registration is busy or failing: ${message}`);
  if (reason === 'XAC_THUC_THAT_BAI') {
    return new GatewayError('configuration', 'BUSINESS_XAC_THUC_THAT_BAI', 'business-registration refused the configured user name or password: fix sources.business-registration credentials');
  }
  return new GatewayError('rejected', `BUSINESS_${reason || 'CLIENT'}`, `business-registration refused the request: ${message}`);
}

/**
 * Every outermost `<HoSo>` element of an answer, as the exact text received. One pass that never
 * looks back: comments, CDATA and processing instructions are skipped whole (a `<HoSo>` inside them
 * is not an element), and quoted attribute values may hold `>`. A pattern that searched ahead for
 * each opening's close instead took quadratic time on an answer full of unclosed-looking openings.
 */
export function sliceDossiers(xml: string): string[] {
  return dossierRanges(xml).map(([from, to]) => xml.slice(from, to));
}

/** Where each outermost `<HoSo>` element of an answer starts and ends (end exclusive), in order. */
export function dossierRanges(xml: string): [number, number][] {
  const slices: [number, number][] = [];
  let depth = 0;
  let start = 0;
  let i = xml.indexOf('<');
  while (i !== -1) {
    let end: number;
    if (xml.startsWith('<!--', i)) end = endOf(xml, '-->', i + 4);
    else if (xml.startsWith('<![CDATA[', i)) end = endOf(xml, ']]>', i + 9);
    else if (xml.startsWith('<?', i)) end = endOf(xml, '?>', i + 2);
    else {
      end = tagEnd(xml, i + 1);
      if (end === -1) break;
      const closing = xml[i + 1] === '/';
      const name = /^[^\s/>]*/.exec(xml.slice(i + (closing ? 2 : 1), Math.min(end, i + 200)))?.[0] ?? '';
      if (name === 'HoSo' || name.endsWith(':HoSo')) {
        const empty = !closing && xml[end - 2] === '/';
        if (closing) {
          if (depth > 0 && --depth === 0) slices.push([start, end]);
        } else if (empty) {
          if (depth === 0) slices.push([i, end]);
        } else if (depth++ === 0) start = i;
      }
    }
    if (end === -1) break;
    i = xml.indexOf('<', end);
  }
  return slices;
}

/** Index just past `marker` at or after `from`, or -1. */
function endOf(xml: string, marker: string, from: number): number {
  const at = xml.indexOf(marker, from);
  return at === -1 ? -1 : at + marker.length;
}

/** Index just past the `>` that ends a tag, skipping quoted attribute values, or -1. */
function tagEnd(xml: string, from: number): number {
  let quote = '';
  for (let j = from; j < xml.length; j++) {
    const c = xml[j];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return j + 1;
  }
  return -1;
}
