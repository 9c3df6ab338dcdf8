import type { Random } from '../shared/random';

/**
 * Writes the `data` XML of a civil-status dossier, with the quirks the real system shows:
 * numeric character references for Vietnamese letters, names in Unicode NFD, unknown elements.
 */
export type XmlElement = readonly [name: string, value: string | null];

export interface XmlQuirks {
  /** Write Vietnamese letters as `&#NNNN;` references: always in the first such text, then in about half of the others. */
  ncr: boolean;
  /** Write names (`*HoTen`) in NFD. */
  nfdNames: boolean;
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Every non-ASCII code point as a decimal numeric character reference. */
export function toNcr(escaped: string): string {
  let out = '';
  for (const ch of escaped) {
    const code = ch.codePointAt(0)!;
    out += code > 0x7e ? `&#${code};` : ch;
  }
  return out;
}

export function writeHoTichXml(elements: readonly XmlElement[], quirks: XmlQuirks, random: Random): string {
  let ncrWritten = false;
  const body = elements
    .map(([name, value]) => {
      if (value === null) return `<${name}/>`;
      let text = quirks.nfdNames && name.endsWith('HoTen') ? value.normalize('NFD') : value;
      text = escapeXml(text);
      // The first text always shows it, so a dossier flagged NCR really carries one; the rest are mixed, as in the wild.
      const wantNcr = quirks.ncr && /[^\x00-\x7e]/.test(text) && (!ncrWritten || random.chance(0.5));
      if (wantNcr) {
        ncrWritten = true;
        text = toNcr(text);
      }
      return `<${name}>${text}</${name}>`;
    })
    .join('');
  return `${XML_DECLARATION}<hoTich>${body}</hoTich>`;
}
