import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchDatabase } from './database';
import { e2eBenchmark } from './e2e';
import type { SystemName } from './e2e-systems';
import { ROOT } from './lib';

/**
 * The end-to-end benchmark alone: `npx tsx bench/e2e-run.ts`. BENCH_ROUNDS (default 1),
 * BENCH_SECONDS (default 10), BENCH_DATABASE (sqlite | postgres), BENCH_E2E_SYSTEMS
 * (e.g. gateway,baseline), BENCH_E2E_RATES (dossiers/s of the latency runs, e.g. 100,19), BENCH_E2E_REORDER_WINDOW (seconds, default 0), BENCH_E2E_PROFILE
 * (a folder: the gateway runs with --cpu-prof into it). Writes bench/results/tmp/e2e.json.
 */
const env = process.env;
const { rows, results } = await e2eBenchmark({
  rounds: Number(env['BENCH_ROUNDS'] ?? 1),
  seconds: Number(env['BENCH_SECONDS'] ?? 10),
  log: (m) => process.stderr.write(`bench: ${m}\n`),
  database: (env['BENCH_DATABASE'] as BenchDatabase | undefined) ?? 'sqlite',
  ...(env['BENCH_E2E_SYSTEMS'] ? { systems: env['BENCH_E2E_SYSTEMS'].split(',') as SystemName[] } : {}),
  ...(env['BENCH_E2E_REORDER_WINDOW'] ? { reorderWindowSeconds: Number(env['BENCH_E2E_REORDER_WINDOW']) } : {}),
  ...(env['BENCH_E2E_RATES'] ? { rates: env['BENCH_E2E_RATES'].split(',').map(Number) } : {}),
  ...(env['BENCH_E2E_PROFILE'] ? { profileDir: env['BENCH_E2E_PROFILE'] } : {}),
});
const dir = join(ROOT, 'bench', 'results', 'tmp');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'e2e.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${['| benchmark | figure | value | goal |', '|---|---|---|---|', ...rows.map((r) => `| ${r.benchmark} | ${r.figure} | ${r.value} | ${r.goal ?? ''} |`)].join('\n')}\n`);
