import type { RunningSandbox } from '../../sandbox';

/**
 * What must never leave the gateway in a log line, a metric or an error body: the personal data
 * of the dossiers it carried (read back from what the province holds, so it is exactly what went
 * through) and the secrets it was given.
 */
export function personalData(sandbox: RunningSandbox): string[] {
  const found = new Set<string>();
  for (const d of sandbox.province.sim.state.dossiers()) {
    for (const key of ['ChuHoSo', 'NguoiNop'] as const) {
      const party = d[key] as Record<string, string | null> | undefined;
      for (const field of ['HoTen', 'SoDinhDanh', 'SoDienThoai', 'Email', 'DiaChi']) {
        const value = party?.[field];
        // Short values ("Lan") would match innocent text; names and numbers this long would not.
        if (value && value.length >= 8) found.add(value);
      }
    }
  }
  return [...found];
}

/** Each needle found in the texts, shown by its first characters only. */
export function leaks(texts: readonly string[], needles: readonly string[]): string[] {
  const hits: string[] = [];
  for (const needle of needles) {
    const variants = [needle, needle.normalize('NFD'), JSON.stringify(needle).slice(1, -1), encodeURIComponent(needle)];
    const where = texts.findIndex((t) => variants.some((v) => t.includes(v)));
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
