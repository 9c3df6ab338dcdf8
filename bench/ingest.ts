import autocannon from 'autocannon';
import { benchStorage, type BenchDatabase } from './database';
import { BENCH_SECURITY_CODE, landReception, landStep } from './ingest-code';
import { median, round, startChild } from './lib';
import type { BenchRow } from './report';

/**
 * Ingest: land callbacks accepted durably per second at 64 concurrent senders, against the ceiling
 * of a route on the same server that parses the callback and answers without storing. Each dossier
 * gets a reception and three processing steps, every body distinct (a repeated body would take
 * the cheaper "already stored" path).
 *
 * `order` says how the events of one dossier follow each other. `adjacent` (the default, the
 * figures in the README) sends a dossier's four events back to back, a burst on one dossier: a
 * store that serializes the writers of one dossier (PostgreSQL's per-dossier lock) then runs a few
 * dossiers at a time. `interleaved` sends the receptions of 256 dossiers, then their first steps,
 * and so on, as a source whose dossiers advance hours apart does.
 */
export type IngestOrder = 'adjacent' | 'interleaved';

const INTERLEAVE = 256;

/** The dossier and the step (0: the reception) of the `n`th request. */
function position(n: number, order: IngestOrder): { dossier: number; step: number } {
  if (order === 'adjacent') return { dossier: Math.floor(n / 4), step: n % 4 };
  const block = Math.floor(n / (4 * INTERLEAVE));
  const within = n % (4 * INTERLEAVE);
  return { dossier: block * INTERLEAVE + (within % INTERLEAVE), step: Math.floor(within / INTERLEAVE) };
}
export interface IngestFigures {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

let serial = 0;

function body(n: number, run: string, order: IngestOrder): { event: string; json: string } {
  const { dossier, step } = position(n, order);
  const code = `BENCH-${run}-${String(dossier).padStart(7, '0')}`;
  const minute = String(n % 60).padStart(2, '0');
  if (step === 0) return { event: 'TiepNhanHoSo', json: JSON.stringify(landReception(code, `2026-03-02T01:${minute}:00`)) };
  return { event: 'ChuyenHoSo', json: JSON.stringify(landStep(code, `Chuyển bước ${step}`, `2026-03-0${2 + step}T02:${minute}:00`)) };
}

export async function loadLand(url: string, prefix: 'ingest' | 'ceiling', connections: number, seconds: number, order: IngestOrder = 'adjacent'): Promise<IngestFigures> {
  const run = `${Date.now().toString(36)}${++serial}`;
  let n = 0;
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        setupRequest: (req) => {
          const b = body(n++, run, order);
          return { ...req, path: `/${prefix}/land/${BENCH_SECURITY_CODE}/${b.event}`, body: b.json };
        },
      },
    ],
  });
  return { perSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.errors + result.non2xx };
}

/**
 * One round: a fresh server on a fresh store (a SQLite file, or a schema of its own on PostgreSQL,
 * removed afterwards), a warm-up, then the ceiling and the durable route back to back.
 */
export async function ingestRound(options: { connections: number; seconds: number; database?: BenchDatabase; order?: IngestOrder }) {
  const order = options.order ?? 'adjacent';
  const storage = benchStorage(options.database ?? 'sqlite', 'ingest');
  try {
    const server = await startChild<{ url: string }>('ingest-server.ts', storage.env);
    try {
      await loadLand(server.info.url, 'ingest', options.connections, 2, order);
      const ceiling = await loadLand(server.info.url, 'ceiling', options.connections, options.seconds, order);
      const durable = await loadLand(server.info.url, 'ingest', options.connections, options.seconds, order);
      return { durable, ceiling, ratio: durable.perSecond / ceiling.perSecond, serverPeakRssMb: server.peakRssMb() };
    } finally {
      await server.stop();
    }
  } finally {
    await storage.dispose();
  }
}

type IngestRound = Awaited<ReturnType<typeof ingestRound>>;

/** The rounds and the table rows of the ingest benchmark on one store; the goals are the SQLite ones. */
export async function ingestBenchmark(opts: { rounds: number; log: (m: string) => void; seconds: number; connections?: number; database?: BenchDatabase; order?: IngestOrder }) {
  const database = opts.database ?? 'sqlite';
  const connections = opts.connections ?? 64;
  const order = opts.order ?? 'adjacent';
  const rounds: IngestRound[] = [];
  for (let i = 0; i < opts.rounds; i++) {
    const r = await ingestRound({ connections, seconds: opts.seconds, database, order });
    opts.log(`ingest (${database}, ${order}) round ${i + 1}: ${round(r.durable.perSecond)}/s durable, ${round(r.ceiling.perSecond)}/s ceiling`);
    rounds.push(r);
  }
  const m = (f: (r: IngestRound) => number) => median(rounds.map(f));
  const label = database === 'postgres' ? 'PostgreSQL' : 'SQLite';
  const rows: BenchRow[] = [
    { benchmark: `Ingest (land callbacks, ${connections} senders, ${label}${order === 'interleaved' ? ', dossiers interleaved' : ''})`, figure: 'accepted durably', value: `${round(m((r) => r.durable.perSecond), 0)} /s`, goal: '≥ 3,000 /s' },
    { benchmark: '', figure: 'no-storage ceiling (same server)', value: `${round(m((r) => r.ceiling.perSecond), 0)} /s` },
    { benchmark: '', figure: 'ratio durable / ceiling', value: `${round(m((r) => r.ratio) * 100, 0)} %`, goal: '≥ 50 %' },
    { benchmark: '', figure: 'latency p50 / p99 (durable)', value: `${m((r) => r.durable.p50Ms)} / ${m((r) => r.durable.p99Ms)} ms` },
    { benchmark: '', figure: 'latency p50 / p99 (ceiling)', value: `${m((r) => r.ceiling.p50Ms)} / ${m((r) => r.ceiling.p99Ms)} ms` },
    { benchmark: '', figure: 'errors or non-2xx answers', value: String(m((r) => r.durable.errors + r.ceiling.errors)) },
    { benchmark: '', figure: 'server peak RSS', value: `${round(m((r) => r.serverPeakRssMb), 0)} MB` },
  ];
  return { rows, results: { database, order, rounds } };
}
