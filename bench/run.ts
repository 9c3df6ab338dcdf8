import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { claimBenchmark } from './claim';
import type { BenchDatabase } from './database';
import { drainBenchmark } from './drain';
import { e2eBenchmark } from './e2e';
import { ingestBenchmark } from './ingest';
import { ROOT, round } from './lib';
import type { BenchRow } from './report';

/**
 * `npm run bench`: every benchmark, each figure the median of several rounds and every comparison
 * a ratio measured in the same round. Writes bench/results/latest.json and latest.md and puts the
 * table in the README between its bench markers.
 *
 * - `BENCH_ROUNDS` (default 3) and `BENCH_SECONDS` (default 10) shorten or lengthen a run;
 * - `BENCH_ONLY=ingest,claim,e2e,drain` picks benchmarks (a partial run leaves the README as it is);
 * - `BENCH_DATABASES=sqlite,postgres` (default both) picks the stores;
 * - `BENCH_DRAIN_SIZE` (default 100,000), `BENCH_DRAIN_ROUNDS` (default 3, like every figure: a drain takes minutes)
 *   and `BENCH_DRAIN_DATABASES` (default both; the 100,000 drain on PostgreSQL is a third of a full run).
 */
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const ONLY = new Set((process.env['BENCH_ONLY'] ?? 'ingest,claim,e2e,drain').split(','));
const DATABASES = (process.env['BENCH_DATABASES'] ?? 'sqlite,postgres').split(',') as BenchDatabase[];
const DRAIN_SIZE = Number(process.env['BENCH_DRAIN_SIZE'] ?? 100_000);
const DRAIN_ROUNDS = Number(process.env['BENCH_DRAIN_ROUNDS'] ?? 3);
const DRAIN_DATABASES = (process.env['BENCH_DRAIN_DATABASES'] ?? 'sqlite,postgres').split(',') as BenchDatabase[];

const rows: BenchRow[] = [];
const results: Record<string, unknown> = {};
const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
const started = Date.now();

async function section(name: string, database: BenchDatabase, run: () => Promise<{ rows: BenchRow[]; results: unknown }>) {
  const at = Date.now();
  log(`${name} (${database}) ...`);
  const r = await run();
  rows.push(...r.rows);
  results[`${name}:${database}`] = r.results;
  log(`${name} (${database}) done in ${round((Date.now() - at) / 1000, 0)} s`);
}

for (const database of DATABASES) {
  if (ONLY.has('ingest')) {
    // Adjacent: a dossier's four events back to back (a burst, which group commit rebuilds once);
    // interleaved: 256 dossiers advancing a step at a time, as a source's dossiers usually do.
    await section('ingest', database, () => ingestBenchmark({ rounds: ROUNDS, seconds: SECONDS, log, database }));
    await section('ingest-interleaved', database, () => ingestBenchmark({ rounds: ROUNDS, seconds: SECONDS, log, database, order: 'interleaved' }));
  }
  if (ONLY.has('claim')) await section('claim', database, () => claimBenchmark({ rounds: ROUNDS, log, database }));
}
// End to end and the drain start the whole gateway with the simulators. On SQLite, the embedded
// default, the gateway is compared with the baseline and Node-RED; on PostgreSQL with the baseline
// (neither stores anything: a second Node-RED run would only repeat the first).
for (const database of DATABASES) {
  const systems = database === 'postgres' ? (['gateway', 'baseline'] as const) : undefined;
  if (ONLY.has('e2e')) await section('e2e', database, () => e2eBenchmark({ rounds: ROUNDS, seconds: SECONDS, log, database, ...(systems ? { systems } : {}) }));
}
for (const database of DRAIN_DATABASES) {
  if (ONLY.has('drain')) await section('drain', database, () => drainBenchmark({ rounds: DRAIN_ROUNDS, log, database, size: DRAIN_SIZE }));
}

const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${round(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}`;
const table = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}; medians of ${ROUNDS} rounds (${SECONDS} s each where timed; the drain ${DRAIN_ROUNDS} round${DRAIN_ROUNDS === 1 ? '' : 's'}). \`npm run bench\` to reproduce (${round((Date.now() - started) / 60_000, 0)} min).`,
  '',
  '| benchmark | figure | value | goal |',
  '|---|---|---|---|',
  ...rows.map((r) => `| ${r.benchmark} | ${r.figure} | ${r.value} | ${r.goal ?? ''} |`),
].join('\n');

const dir = join(ROOT, 'bench', 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'latest.json'), `${JSON.stringify({ machine, rounds: ROUNDS, seconds: SECONDS, results }, null, 2)}\n`);
writeFileSync(join(dir, 'latest.md'), `${table}\n`);
const readme = join(ROOT, 'README.md');
const text = readFileSync(readme, 'utf8');
const start = '<!-- bench:start -->';
const end = '<!-- bench:end -->';
const partial = ['BENCH_ONLY', 'BENCH_DATABASES', 'BENCH_DRAIN_SIZE', 'BENCH_DRAIN_DATABASES'].some((k) => process.env[k]);
if (!partial && text.includes(start) && text.includes(end)) {
  writeFileSync(readme, `${text.slice(0, text.indexOf(start) + start.length)}\n${table}\n${text.slice(text.indexOf(end))}`);
}
process.stdout.write(`${table}\n`);
