import type { RunningSandbox } from '../../sandbox';

/**
 * What must never leave the gateway in a log line, a metric or an error body: the personal data
 * of the dossiers it carried and the secrets it was given. Personal values are read from every
 * place they exist outside the gateway: what the province and the national portal hold (exactly
 * what went through) and the sources' own records (what came in, including dossiers that were held
 * back and never sent, and fields no target takes).
 */
export type PersonalKind = 'name' | 'id' | 'phone' | 'email' | 'address';
export interface PersonalValue {
  kind: PersonalKind;
  value: string;
}

/** Field names (JSON keys, XML elements) of personal data across the five systems' formats. */
const FIELD_KINDS: readonly [RegExp, PersonalKind][] = [
  [/HoTen$|^ChuHoSo$|^TenHoKinhDoanh$/i, 'name'],
  [/SoDinhDanh$|SoChungMinh$|^SoGiayToChuHoSo$|SoCMND$|CCCD$/i, 'id'],
  [/DienThoai$/i, 'phone'],
  [/Email$/i, 'email'],
  [/DiaChi|NoiCuTru|NoiThuongTru/i, 'address'],
];

/** Short values ("Lan", "Con") would match innocent text; names, numbers and addresses this long would not. */
const MIN_LENGTH = 8;

const kindOf = (field: string) => FIELD_KINDS.find(([pattern]) => pattern.test(field))?.[1];

const decodeXml = (text: string) =>
  text
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** Walks JSON-like values and XML texts inside them, keeping the values of personal fields. */
function collect(value: unknown, field: string, out: Map<string, PersonalKind>) {
  if (typeof value === 'string') {
    const kind = kindOf(field);
    const text = value.trim();
    if (kind && text.length >= MIN_LENGTH) out.set(text.normalize('NFC'), kind);
    if (text.startsWith('<')) {
      for (const m of text.matchAll(/<(?:[\w-]+:)?(\w+)(?:\s[^>]*)?>([^<]+)<\//g)) collect(decodeXml(m[2]!), m[1]!, out);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) collect(item, field, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) collect(item, key, out);
  }
}

/** Every personal value the sandbox's systems hold, with its kind. */
export function personalValues(sandbox: RunningSandbox): PersonalValue[] {
  const found = new Map<string, PersonalKind>();
  collect(sandbox.province.sim.state.dossiers(), '', found);
  collect(sandbox.dvcqg.sim.state.dossiers(), '', found);
  collect(sandbox.civilStatus.sim.state.dossiers(), '', found);
  collect(sandbox.land.sim.state.dossiers(), '', found);
  collect(sandbox.business.sim.state.dossiers(), '', found);
  return [...found].map(([value, kind]) => ({ kind, value }));
}

/** The personal values alone, for `leaks`. */
export const personalData = (sandbox: RunningSandbox): string[] => personalValues(sandbox).map((p) => p.value);

/** Every way a text may carry a value: as is, NFC or NFD, escaped in JSON, HTML or a URL. */
function variants(needle: string): string[] {
  const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  const forms = new Set([needle, needle.normalize('NFC'), needle.normalize('NFD')]);
  const out = new Set<string>();
  for (const f of forms) {
    out.add(f);
    out.add(JSON.stringify(f).slice(1, -1));
    out.add(encodeURIComponent(f));
    out.add(new URLSearchParams({ v: f }).toString().slice(2));
    out.add(html(f));
  }
  return [...out];
}

/** Each needle found in the texts, shown by its first characters only. */
export function leaks(texts: readonly string[], needles: readonly string[]): string[] {
  const hits: string[] = [];
  for (const needle of needles) {
    if (!needle) continue;
    const forms = variants(needle);
    const where = texts.findIndex((t) => forms.some((v) => t.includes(v)));
    if (where >= 0) hits.push(`${needle.slice(0, 3)}… in text #${where}: ${texts[where]!.slice(0, 120)}`);
  }
  return hits;
}

/** Log lines that are not one JSON object with a level, a time and a message. */
export function unstructured(lines: readonly string[]): string[] {
  return lines.filter((line) => {
    if (line.startsWith('[stderr]')) return false; // the start-up banner, written for a person
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      return !(typeof entry['level'] === 'string' && typeof entry['time'] === 'string' && typeof entry['msg'] === 'string');
    } catch {
      return true;
    }
  });
}
