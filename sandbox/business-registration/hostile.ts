import { NS, prefixOf, XML_DECLARATION, type Release } from './xml';

/**
 * Answers that attack the reader, for security tests: each looks like the operation's normal
 * answer (HTTP 200, text/xml, the release's prefixes) with the attack where a value should be, so
 * a reader that does not refuse it up front would really expand, fetch, recurse or buffer it.
 */
export const HOSTILE_KINDS = ['billion-laughs', 'xxe', 'doctype', 'deep-nesting', 'huge-text'] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];

export const DEEP_NESTING_DEPTH = 100_000;
export const HUGE_TEXT_LENGTH = 20 * 1024 * 1024;

/** Ten entities, each ten of the previous: `&lol9;` expands to 10^9 "lol"s (3 GB). */
function billionLaughsDtd(root: string): string {
  let entities = '<!ENTITY lol "lol">';
  for (let i = 1; i <= 9; i++) entities += `<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`;
  return `<!DOCTYPE ${root} [${entities}]>`;
}

/** Where the attack sits in each operation's answer: a value the reader must take. */
function carrier(operation: string, p: string, value: string): string {
  const hoSo = `<${p}HoSo><${p}MaHoSo>${value}</${p}MaHoSo></${p}HoSo>`;
  switch (operation) {
    case 'DemHoSo':
      return `<${p}TongSo>${value}</${p}TongSo>`;
    case 'LayHoSo':
      return hoSo;
    default:
      return `<${p}TongSoTrang>1</${p}TongSoTrang><${p}Trang>1</${p}Trang><${p}DanhSachHoSo>${hoSo}</${p}DanhSachHoSo>`;
  }
}

export function hostileAnswer(kind: HostileKind, release: Release, operation: string): string {
  const e = release.envelope;
  const p = prefixOf(release);
  const root = `${e}:Envelope`;
  const ns = release.payload === 'ns2' ? `xmlns:ns2="${NS.dk}"` : `xmlns="${NS.dk}"`;
  const wrap = (dtd: string, value: string) =>
    `${XML_DECLARATION}${dtd}<${root} xmlns:${e}="${NS.soap}"><${e}:Body>` +
    `<${p}${operation}Response ${ns}>${carrier(operation, p, value)}</${p}${operation}Response>` +
    `</${e}:Body></${root}>`;
  switch (kind) {
    case 'billion-laughs':
      return wrap(billionLaughsDtd(root), '&lol9;');
    case 'xxe':
      return wrap(`<!DOCTYPE ${root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`, '&xxe;');
    case 'doctype':
      // Harmless in itself; the service never sends one, so it must be refused all the same.
      return wrap(`<!DOCTYPE ${root}>`, operation === 'DemHoSo' ? '0' : 'HKD-H56-2603-00001');
    case 'deep-nesting':
      return wrap('', `${`<${p}Buoc>`.repeat(DEEP_NESTING_DEPTH)}${`</${p}Buoc>`.repeat(DEEP_NESTING_DEPTH)}`);
    case 'huge-text':
      return wrap('', 'A'.repeat(HUGE_TEXT_LENGTH));
  }
}
