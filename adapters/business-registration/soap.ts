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
export const soapParser = createXmlParser({ arrays: LIST_ELEMENTS, maxLength: 20_000_000 });

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
  return (response === '' ? {} : response) as Record<string, unknown>;
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

const HOSO = /<(?:([A-Za-z_][\w.-]*):)?HoSo(?:\s[^>]*)?>[\s\S]*?<\/(?:\1:)?HoSo>/g;

/** Every `<HoSo>` element of an answer, as the exact text received. */
export function sliceDossiers(xml: string): string[] {
  return [...xml.matchAll(HOSO)].map((m) => m[0]);
}
