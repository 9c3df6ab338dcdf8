/** Vietnamese text arrives as NFC or NFD; the gateway stores NFC everywhere. */
export const nfc = (s: string): string => s.normalize('NFC');

/** NFC-normalizes every string inside a JSON-like value (keys included). On every record's path: loop-plain. */
export function deepNfc<T>(value: T): T {
  if (typeof value === 'string') return nfc(value) as T;
  if (Array.isArray(value)) return value.map(deepNfc) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const v = deepNfc((value as Record<string, unknown>)[key]);
      const k = nfc(key);
      // As a data property, as Object.fromEntries would: "__proto__" assigned would set the prototype.
      if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      else out[k] = v;
    }
    return out as T;
  }
  return value;
}

/** Trimmed text, or undefined when empty or absent. */
export function optionalText(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const t = nfc(value.trim());
  return t === '' ? undefined : t;
}
