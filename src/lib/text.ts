/** Vietnamese text arrives as NFC or NFD; the gateway stores NFC everywhere. */
export const nfc = (s: string): string => s.normalize('NFC');

/** NFC-normalizes every string inside a JSON-like value (keys included). */
export function deepNfc<T>(value: T): T {
  if (typeof value === 'string') return nfc(value) as T;
  if (Array.isArray(value)) return value.map(deepNfc) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [nfc(k), deepNfc(v)])) as T;
  }
  return value;
}

/** Trimmed text, or undefined when empty or absent. */
export function optionalText(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const t = nfc(value.trim());
  return t === '' ? undefined : t;
}
