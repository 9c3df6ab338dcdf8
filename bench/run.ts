import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { claimRound, type ClaimFigures } from './claim';
import { ingestRound } from './ingest';

type IngestRound = Awaited<ReturnType<typeof ingestRound>>;
import { ROOT, median, round } from './lib';

/**
 * `npm run bench`: every benchmark, each figure the median of several rounds and every comparison
 * a ratio measured in the same round. Writes bench/results/latest.json and latest.md and puts the
 * table in the README between its bench markers. `BENCH_ROUNDS` (default 3) and `BENCH_SECONDS`
 * (default 10) shorten or lengthen a run; `BENCH_ONLY=ingest,claim` picks benchmarks.
 */
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const ONLY = new Set((process.env['BENCH_ONLY'] ?? 'ingest,claim').split(','));

interface Row {
  benchmark: string;
  figure: string;
  value: string;
  goal?: string;
}

const rows: Row[] = [];
const results: Record<string, unknown> = {};
const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

if (ONLY.has('ingest')) {
  const rounds: IngestRound[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const r = await ingestRound({ connections: 64, seconds: SECONDS });
    log(`ingest round ${i + 1}: ${round(r.durable.perSecond)}/s durable, ${round(r.ceiling.perSecond)}/s ceiling`);
    rounds.push(r);
  }
  const m = (f: (r: IngestRound) => number) => median(rounds.map(f));
  results['ingest'] = { rounds };
  rows.push(
    { benchmark: 'Ingest (land callbacks, 64 senders)', figure: 'accepted durably', value: `${round(m((r) => r.durable.perSecond), 0)} /s`, goal: '≥ 3,000 /s' },
    { benchmark: '', figure: 'no-storage ceiling (same server)', value: `${round(m((r) => r.ceiling.perSecond), 0)} /s` },
    { benchmark: '', figure: 'ratio durable / ceiling', value: `${round(m((r) => r.ratio) * 100, 0)} %`, goal: '≥ 50 %' },
    { benchmark: '', figure: 'latency p50 / p99 (durable)', value: `${m((r) => r.durable.p50Ms)} / ${m((r) => r.durable.p99Ms)} ms` },
    { benchmark: '', figure: 'latency p50 / p99 (ceiling)', value: `${m((r) => r.ceiling.p50Ms)} / ${m((r) => r.ceiling.p99Ms)} ms` },
    { benchmark: '', figure: 'errors or non-2xx answers', value: String(m((r) => r.durable.errors + r.ceiling.errors)) },
  );
}

if (ONLY.has('claim')) {
  const bySize: Record<number, ClaimFigures[]> = {};
  for (let i = 0; i < ROUNDS; i++) {
    for (const size of [10_000, 1_000_000]) {
      const r = await claimRound(size);
      log(`claim round ${i + 1}, ${size} rows: ${round(r.provinceMedianUs)} µs province, ${round(r.dvcqgMedianUs)} µs portal`);
      (bySize[size] ??= []).push(r);
    }
  }
  const m = (size: number, f: (r: ClaimFigures) => number) => median(bySize[size]!.map(f));
  results['claim'] = bySize;
  const ratio = median(bySize[1_000_000]!.map((big, i) => big.provinceMedianUs / bySize[10_000]![i]!.provinceMedianUs));
  const ratioPortal = median(bySize[1_000_000]!.map((big, i) => big.dvcqgMedianUs / bySize[10_000]![i]!.dvcqgMedianUs));
  rows.push(
    { benchmark: 'Claim the next 10 deliveries (SQLite)', figure: 'province, 10,000 / 1,000,000 rows', value: `${round(m(10_000, (r) => r.provinceMedianUs), 0)} / ${round(m(1_000_000, (r) => r.provinceMedianUs), 0)} µs` },
    { benchmark: '', figure: 'national portal (joins the province row), 10,000 / 1,000,000 rows', value: `${round(m(10_000, (r) => r.dvcqgMedianUs), 0)} / ${round(m(1_000_000, (r) => r.dvcqgMedianUs), 0)} µs` },
    { benchmark: '', figure: 'ratio 1,000,000 / 10,000 (province / portal)', value: `${round(ratio, 2)} / ${round(ratioPortal, 2)}`, goal: '≤ 2' },
  );
}

const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${round(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}`;
const table = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}; medians of ${ROUNDS} rounds (${SECONDS} s each where timed). \`npm run bench\` to reproduce.`,
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
// A partial run (BENCH_ONLY) leaves the README's table as it was.
if (!process.env['BENCH_ONLY'] && text.includes(start) && text.includes(end)) {
  writeFileSync(readme, `${text.slice(0, text.indexOf(start) + start.length)}\n${table}\n${text.slice(text.indexOf(end))}`);
}
process.stdout.write(`${table}\n`);
