import { parse as parseCsv } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, resolveConfig, type GatewayConfig } from '../../contracts';

/**
 * Reads the configuration file named by LIENTHONG_CONFIG, merges the mapping tables it points to
 * (JSON objects or two-column CSV: local code, national code), and reads the secrets it names.
 */
export function loadConfigFile(path: string, env: Record<string, string | undefined>): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('LIENTHONG_CONFIG', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('LIENTHONG_CONFIG', `${path} is not valid JSON: ${(err as Error).message}`);
  }
  const sources = (json['sources'] ?? {}) as Record<string, Record<string, unknown>>;
  for (const [name, source] of Object.entries(sources)) {
    const file = source?.['procedureMapFile'];
    if (typeof file !== 'string') continue;
    const field = `sources.${name}.procedureMapFile`;
    const map = readMappingFile(resolve(dirname(path), file), field);
    source['procedureMap'] = { ...map, ...((source['procedureMap'] as Record<string, string>) ?? {}) };
  }
  return resolveConfig(json, env);
}

export function readMappingFile(path: string, field: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(field, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (path.toLowerCase().endsWith('.json')) {
    try {
      return JSON.parse(text) as Record<string, string>;
    } catch (err) {
      throw new ConfigError(field, `${path} is not valid JSON: ${(err as Error).message}`);
    }
  }
  let rows: string[][];
  try {
    rows = parseCsv(text, { skip_empty_lines: true, trim: true, comment: '#', relax_column_count: true, bom: true });
  } catch (err) {
    throw new ConfigError(field, `${path} is not valid CSV: ${(err as Error).message}`);
  }
  const map: Record<string, string> = {};
  rows.forEach((row, i) => {
    const [local, national] = row;
    // A header row ("local,national" or Vietnamese headings) is recognised by its second cell not being a code.
    if (i === 0 && national !== undefined && !/^\d\.\d{6}$/.test(national)) return;
    if (!local || !national) throw new ConfigError(field, `${path} line ${i + 1}: expected "local code,national code"`);
    map[local] = national;
  });
  return map;
}
