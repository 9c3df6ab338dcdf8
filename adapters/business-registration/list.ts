import { GatewayError } from '../../src/lib/errors';
import { instantMs, normalizeInstant } from '../../src/lib/time';
import { XmlRefusedError } from '../../src/lib/xml';
import { dossierRanges, MAX_ANSWER_LENGTH, readSoapResponse, sliceDossiers, soapParser } from './soap';
import { listedDossier, listResponse } from './wire';

/**
 * Reads a `LayDanhSachHoSoThayDoi` page dossier by dossier, so that one `<HoSo>` the source wrote
 * badly costs only itself: every entry is either readable by its paging key (MaHoSo,
 * ThoiDiemCapNhat) or kept whole with the reason it is not. What cannot be told apart from a broken
 * answer (no readable page around the dossiers, dossiers that cannot be paired with their text, an
 * attack) still fails the whole page, so that nothing is skipped on a guess.
 */
export type ListEntry = ReadableEntry | UnreadableEntry;
export interface ReadableEntry {
  readable: true;
  id: string;
  at: number;
  atIso: string;
  /** The `<HoSo>` element exactly as received. */
  xml: string;
}
export interface UnreadableEntry {
  readable: false;
  /** The dossier code, when it can still be read: enough to ask for the dossier on its own. */
  id?: string;
  xml: string;
  reason: string;
}

export interface ListPage {
  entries: ListEntry[];
  pages: number;
}

export const LIST_OPERATION = 'LayDanhSachHoSoThayDoi';

/** The same rule as the XML preset's: an answer carrying one is an attack, refused whole. */
const DECLARATION = /<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i;

/** A page whose SOAP answer was read: each listed `<HoSo>` paired with its exact text. */
export function readListPage(xml: string, response: Record<string, unknown>): ListPage {
  const parsed = listResponse.safeParse(response);
  if (!parsed.success) throw new GatewayError('transient', 'BUSINESS_BAD_ANSWER', 'the change list answer is not readable');
  const list = parsed.data.DanhSachHoSo;
  const nodes = list && typeof list === 'object' ? list.HoSo : [];
  const slices = sliceDossiers(xml);
  if (slices.length !== nodes.length) throw new GatewayError('transient', 'BUSINESS_BAD_ANSWER', 'the change list answer does not hold whole <HoSo> elements');
  return { entries: nodes.map((node, i) => readEntry(node, slices[i]!)), pages: Number(parsed.data.TongSoTrang ?? 1) };
}

/**
 * A page the XML reader refused as not well formed, read piece by piece: the answer without its
 * `<HoSo>` elements must read as a normal page (so the breakage lies inside dossiers), and each
 * `<HoSo>` is then read alone. Null when that does not hold, or when the refusal was for an attack
 * or the size: those are never taken apart.
 */
export function readListPiecewise(xml: string): ListPage | null {
  if (xml.length > MAX_ANSWER_LENGTH || DECLARATION.test(xml)) return null;
  const ranges = dossierRanges(xml);
  if (ranges.length === 0) return null;
  let rest = '';
  let from = 0;
  for (const [start, end] of ranges) {
    rest += xml.slice(from, start);
    from = end;
  }
  rest += xml.slice(from);
  let parsed;
  try {
    parsed = listResponse.safeParse(readSoapResponse(rest, LIST_OPERATION));
  } catch {
    return null;
  }
  if (!parsed.success) return null;
  return { entries: ranges.map(([start, end]) => readDossierText(xml.slice(start, end))), pages: Number(parsed.data.TongSoTrang ?? 1) };
}

/** One `<HoSo>` element's text read alone (a list slice, or the dossier `LayHoSo` answered). */
export function readDossierText(xml: string): ListEntry {
  let node: unknown;
  try {
    node = (soapParser.parse(xml)['HoSo'] as unknown[] | undefined)?.[0];
  } catch (err) {
    return { readable: false, id: codeInText(xml), xml, reason: err instanceof XmlRefusedError ? err.message : 'the dossier cannot be read' };
  }
  return readEntry(node, xml);
}

export function readEntry(node: unknown, xml: string): ListEntry {
  const key = listedDossier.safeParse(node);
  if (key.success) {
    const atIso = normalizeInstant(key.data.ThoiDiemCapNhat);
    return { readable: true, id: key.data.MaHoSo, at: instantMs(atIso), atIso, xml };
  }
  const issue = key.error.issues[0];
  const code = (node as { MaHoSo?: unknown } | null)?.MaHoSo;
  return {
    readable: false,
    id: typeof code === 'string' && isCode(code) ? code : undefined,
    xml,
    reason: `${issue?.path.join('.') || 'HoSo'}: ${issue?.message ?? 'unreadable'}`,
  };
}

/** A dossier code is short, one line, and free of markup; anything else is not asked for. */
const isCode = (text: string) => /^[^\s<>&]{1,100}$/.test(text);

/** The dossier code of a `<HoSo>` the XML reader refused, found by its element, taken only when plain. */
function codeInText(xml: string): string | undefined {
  const code = /<(?:[\w.-]+:)?MaHoSo>([^<]{1,100})<\//.exec(xml)?.[1]?.trim();
  return code !== undefined && isCode(code) ? code : undefined;
}
