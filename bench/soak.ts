import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { FAULT_KINDS } from '../sandbox/shared/faults';
import { checkBusiness } from '../test/support/check-business';
import { checkCivilStatus } from '../test/support/check-civil-status';
import { checkLand } from '../test/support/check-land';
import { signIn } from '../test/support/gateway-process';
import { TEST_PG_URL, uniqueSchema } from '../test/support/postgres';
import { E2E_ADMIN_PASSWORD, createWorld, waitDelivered, type Check, type World } from '../test/support/world';
import { ROOT, median, round } from './lib';

/**
 * `npm run soak`: a bounded long run of steady load from all three sources, with every simulator
 * failing a share of its requests with every kind of fault, against a real gateway process on
 * SQLite (or PostgreSQL with SOAK_DB=postgres). It samples the gateway's memory and handles the
 * whole time, then checks that every dossier reached both targets once in effect and that memory
 * and handles stayed flat under load: a leak shows in hours in production and in minutes here only
 * as a slope, so the verdict compares the first and last thirds of the loaded run after warm-up.
 * Exits 1 when a dossier is missing or duplicated, or a bound below is exceeded. Not part of the
 * tests (it takes minutes); writes bench/results/soak.json (soak-postgres.json on PostgreSQL).
 *
 * SOAK_SECONDS       loaded run, default 300; then up to SOAK_DRAIN_SECONDS (240) to deliver the rest
 * SOAK_PER_MINUTE    new dossiers per minute per source, default 20
 * SOAK_FAULT_RATE    share of faulted requests at every simulator, default 0.15
 * SOAK_DB            sqlite (default) or postgres (TEST_PG_URL, else the test database; a fresh schema)
 */
const env = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const LOAD_SECONDS = env('SOAK_SECONDS', 300);
const DRAIN_SECONDS = env('SOAK_DRAIN_SECONDS', 240);
const PER_MINUTE = env('SOAK_PER_MINUTE', 20);
const FAULT_RATE = env('SOAK_FAULT_RATE', 0.15);
const DB = process.env['SOAK_DB'] === 'postgres' ? 'postgres' : 'sqlite';
const SAMPLE_MS = 5_000;
/** Each source's load comes in rounds this long: creations in a round's first half, changes through it. */
const ROUND_MS = 30_000;

/**
 * The bounds of "flat". Over the loaded run after warm-up, between the first and the last third:
 * resident memory may rise by at most 32 MB between the thirds' medians, and its fitted slope may
 * not exceed 4 MB/min when that rise is more than half the bound (a short run's slope alone is
 * mostly garbage-collection noise); the heap's floor (the lowest sample of each third, after a
 * collection) by at most 16 MB; open handles and file descriptors by at most 10 or 25 % (whichever
 * is more) between the thirds' medians.
 */
const BOUNDS = { rssGrowthMb: 32, rssSlopeMbPerMin: 4, heapFloorGrowthMb: 16, handleGrowth: 10, handleGrowthShare: 0.25 };

interface Sample {
  /** Seconds since the load started. */
  t: number;
  rssMb: number;
  heapUsedMb: number | null;
  heapTotalMb: number | null;
  /** Buffers and other memory V8 accounts for outside its heap. */
  externalMb: number | null;
  handles: number | null;
  requests: number | null;
  fds: number;
  queueProvince: number | null;
  queueDvcqg: number | null;
  deliveredProvince: number | null;
  deliveredDvcqg: number | null;
}

const log = (msg: string) => process.stderr.write(`soak: ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Linux: resident memory (kB in /proc/<pid>/status) and open file descriptors of a process. */
function procFigures(pid: number): { rssMb: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return { rssMb: kb / 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** One gauge from the Prometheus text, summed over the samples whose labels include `labels`. */
function gauge(text: string, name: string, labels: Record<string, string> = {}): number | null {
  let found = false;
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    const labelText = line[name.length] === '{' ? line.slice(name.length + 1, line.indexOf('}')) : '';
    if (!Object.entries(labels).every(([k, v]) => labelText.split(',').includes(`${k}="${v}"`))) continue;
    found = true;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return found ? sum : null;
}

const mb = (bytes: number | null) => (bytes === null ? null : bytes / 2 ** 20);

async function sample(world: World, cookie: string, startedAt: number): Promise<Sample> {
  const gateway = world.gateway!;
  const { rssMb, fds } = procFigures(gateway.child.pid!);
  const text = await (await fetch(`${gateway.url}/metrics`, { headers: { cookie } })).text();
  return {
    t: (Date.now() - startedAt) / 1000,
    rssMb,
    heapUsedMb: mb(gauge(text, 'nodejs_heap_size_used_bytes')),
    heapTotalMb: mb(gauge(text, 'nodejs_heap_size_total_bytes')),
    externalMb: mb(gauge(text, 'nodejs_external_memory_bytes')),
    handles: gauge(text, 'nodejs_active_handles'),
    requests: gauge(text, 'nodejs_active_requests'),
    fds,
    queueProvince: gauge(text, 'lienthong_queue_depth', { target: 'province' }),
    queueDvcqg: gauge(text, 'lienthong_queue_depth', { target: 'dvcqg' }),
    deliveredProvince: gauge(text, 'lienthong_deliveries', { target: 'province', state: 'delivered' }),
    deliveredDvcqg: gauge(text, 'lienthong_deliveries', { target: 'dvcqg', state: 'delivered' }),
  };
}

function errorKey(line: string): string {
  try {
    const e = JSON.parse(line) as Record<string, unknown>;
    return [e['msg'], e['error'], e['code'], e['job'], typeof e['message'] === 'string' ? e['message'].slice(0, 120) : undefined].filter((v) => v !== undefined).join(' | ');
  } catch {
    return 'unparsed line';
  }
}

/** Least-squares slope of y over x. */
function slope(points: readonly [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
}

/** Steady load: rounds of `run` per source, back to back, for the whole loaded run. */
async function load(world: World): Promise<{ generated: number }> {
  const rounds = Math.max(1, Math.round((LOAD_SECONDS * 1000) / ROUND_MS));
  const perRound = Math.max(1, Math.round((PER_MINUTE * ROUND_MS) / 60_000));
  const { civilStatus, land, business } = world.sandbox;
  for (let i = 0; i < rounds; i++) {
    const seed = 9_100 + i;
    await Promise.all([
      civilStatus.sim.generator.run({ count: perRound, durationMs: ROUND_MS, changes: [1, 4], seed }),
      land.sim.generator.run({ count: perRound, durationMs: ROUND_MS, seed }),
      business.sim.generator.run({ count: perRound, durationMs: ROUND_MS, changes: [1, 4], seed }),
    ]);
  }
  return { generated: rounds * perRound * 3 };
}

const all = (world: World): Check => {
  const parts = [checkCivilStatus(world.sandbox), checkLand(world.sandbox, world.landReorderWindowSeconds), checkBusiness(world.sandbox)];
  return {
    expectedHeld: parts.reduce((n, p) => n + p.expectedHeld, 0),
    expectedNotHeld: parts.reduce((n, p) => n + p.expectedNotHeld, 0),
    problems: parts.flatMap((p) => p.problems),
  };
};

function thirds(samples: readonly Sample[]) {
  const size = Math.max(1, Math.floor(samples.length / 3));
  return { first: samples.slice(0, size), last: samples.slice(-size) };
}

const numbers = (values: readonly (number | null)[]) => values.filter((v): v is number => v !== null);

function verdict(loaded: readonly Sample[]) {
  const warmUp = Math.min(60, LOAD_SECONDS * 0.25);
  const window = loaded.filter((s) => s.t >= warmUp);
  const { first, last } = thirds(window);
  const rssFirst = median(first.map((s) => s.rssMb));
  const rssLast = median(last.map((s) => s.rssMb));
  const rssSlope = slope(window.map((s) => [s.t / 60, s.rssMb]));
  const heapFloorFirst = Math.min(...numbers(first.map((s) => s.heapUsedMb)));
  const heapFloorLast = Math.min(...numbers(last.map((s) => s.heapUsedMb)));
  const handlesFirst = median(numbers(first.map((s) => s.handles)));
  const handlesLast = median(numbers(last.map((s) => s.handles)));
  const fdsFirst = median(first.map((s) => s.fds));
  const fdsLast = median(last.map((s) => s.fds));
  const growthAllowed = (base: number) => Math.max(BOUNDS.handleGrowth, base * BOUNDS.handleGrowthShare);
  const failures: string[] = [];
  if (window.length < 6) failures.push(`only ${window.length} samples after warm-up: run longer (SOAK_SECONDS)`);
  if (rssLast - rssFirst > BOUNDS.rssGrowthMb) failures.push(`resident memory rose ${round(rssLast - rssFirst)} MB between the first and last thirds (bound ${BOUNDS.rssGrowthMb} MB)`);
  if (rssSlope > BOUNDS.rssSlopeMbPerMin && rssLast - rssFirst > BOUNDS.rssGrowthMb / 2) {
    failures.push(`resident memory grows ${round(rssSlope, 2)} MB/min (bound ${BOUNDS.rssSlopeMbPerMin} MB/min)`);
  }
  if (heapFloorLast - heapFloorFirst > BOUNDS.heapFloorGrowthMb) failures.push(`the heap's floor rose ${round(heapFloorLast - heapFloorFirst)} MB (bound ${BOUNDS.heapFloorGrowthMb} MB)`);
  if (!Number.isFinite(handlesFirst)) failures.push('the gateway reports no nodejs_active_handles at /metrics');
  else if (handlesLast - handlesFirst > growthAllowed(handlesFirst)) failures.push(`active handles grew from ${handlesFirst} to ${handlesLast}`);
  if (fdsLast - fdsFirst > growthAllowed(fdsFirst)) failures.push(`open file descriptors grew from ${fdsFirst} to ${fdsLast}`);
  return {
    warmUpSeconds: warmUp,
    samples: window.length,
    rss: { firstThirdMedianMb: round(rssFirst), lastThirdMedianMb: round(rssLast), slopeMbPerMin: round(rssSlope, 2) },
    heap: { firstThirdFloorMb: round(heapFloorFirst), lastThirdFloorMb: round(heapFloorLast) },
    handles: { firstThirdMedian: handlesFirst, lastThirdMedian: handlesLast },
    fds: { firstThirdMedian: fdsFirst, lastThirdMedian: fdsLast },
    bounds: BOUNDS,
    failures,
  };
}

async function main() {
  const faults = { rate: FAULT_RATE, seed: 9_100, kinds: [...FAULT_KINDS], slowMs: [100, 800] as [number, number], retryAfterSeconds: 1 };
  const schema = uniqueSchema('lt_soak');
  const pgUrl = process.env['TEST_PG_URL'] ?? TEST_PG_URL;
  log(`${LOAD_SECONDS} s of load (${PER_MINUTE} new dossiers/min per source, ${FAULT_RATE * 100} % faults of every kind at every simulator) on ${DB}`);
  const world = await createWorld({ seed: 91, faults, ...(DB === 'postgres' ? { postgres: { url: pgUrl, schema } } : {}) });
  const samples: Sample[] = [];
  let logLines = 0;
  let errorLines = 0;
  /** Error-level lines by message and error name (codes only, as the gateway logs them). */
  const errorKinds = new Map<string, number>();
  try {
    const gateway = await world.startGateway();
    const cookie = await signIn(gateway.url, 'admin', E2E_ADMIN_PASSWORD);
    const startedAt = Date.now();
    let loading = true;
    let sampling = true;
    let gatewayExit = null as string | null;
    let scrapeFailures = 0;
    const sampler = (async () => {
      while (sampling) {
        if (gateway.child.exitCode !== null || gateway.child.signalCode !== null) {
          gatewayExit = `the gateway exited (${gateway.child.exitCode ?? gateway.child.signalCode}) at ${Math.round((Date.now() - startedAt) / 1000)} s`;
          return;
        }
        try {
          const s = await sample(world, cookie, startedAt);
          samples.push(s);
          if (samples.length % 6 === 1) {
            log(
              `${Math.round(s.t)} s${loading ? '' : ' (draining)'}: rss ${round(s.rssMb)} MB, heap ${round(s.heapUsedMb ?? NaN)} MB, ` +
                `handles ${s.handles}, fds ${s.fds}, queue ${s.queueProvince}/${s.queueDvcqg}, delivered ${s.deliveredProvince}/${s.deliveredDvcqg}`,
            );
          }
        } catch (err) {
          // A scrape lost to a busy gateway is a gap in the samples, not a verdict.
          scrapeFailures++;
          log(`sample failed: ${(err as Error).message}`);
        }
        // The gateway logs at debug level: count its lines, and keep none here (this process would grow).
        logLines += gateway.logs.length;
        for (const line of gateway.logs.filter((l) => l.includes('"level":"error"'))) {
          errorLines++;
          const key = errorKey(line);
          errorKinds.set(key, (errorKinds.get(key) ?? 0) + 1);
        }
        gateway.logs.length = 0;
        await sleep(SAMPLE_MS);
      }
    })();
    const { generated } = await load(world);
    loading = false;
    const loadEnd = (Date.now() - startedAt) / 1000;
    await world.sandbox.land.sim.whenIdle(DRAIN_SECONDS * 1000);
    const check = await waitDelivered('every dossier delivered', () => all(world), DRAIN_SECONDS * 1000).catch((err: Error) => {
      log(err.message);
      return all(world);
    });
    const drainedAt = (Date.now() - startedAt) / 1000;
    // Nothing moves afterwards: no late duplicate, no second copy.
    await sleep(3_000);
    const after = all(world);
    sampling = false;
    await sampler;

    const loaded = samples.filter((s) => s.t <= loadEnd);
    const flat = verdict(loaded);
    const peak = Math.max(...samples.map((s) => s.rssMb));
    const problems = after.problems;
    const failures = [
      ...(gatewayExit ? [gatewayExit] : []),
      ...(scrapeFailures > samples.length / 10 ? [`${scrapeFailures} of ${scrapeFailures + samples.length} samples failed`] : []),
      ...flat.failures,
      ...(problems.length ? [`${problems.length} delivery problems, e.g. ${problems.slice(0, 5).join('; ')}`] : []),
    ];
    if (errorLines > 0) log(`${errorLines} error-level log lines (not a failure by themselves: faults were injected): ${JSON.stringify(Object.fromEntries(errorKinds))}`);
    const result = {
      measuredAt: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${round(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}`,
      database: DB,
      loadSeconds: round(loadEnd),
      drainSeconds: round(drainedAt - loadEnd),
      perMinutePerSource: PER_MINUTE,
      faultRate: FAULT_RATE,
      dossiers: { generated, delivered: check.expectedHeld, heldBack: check.expectedNotHeld, perSecond: round(check.expectedHeld / drainedAt, 2) },
      faultsInjected: Object.fromEntries(
        (['province', 'dvcqg', 'civilStatus', 'land', 'business'] as const).map((k) => [k, world.sandbox[k].sim.faultCounts()]),
      ),
      rssMb: { start: round(samples[0]!.rssMb), peak: round(peak), end: round(samples.at(-1)!.rssMb) },
      heapUsedMb: { start: round(samples[0]!.heapUsedMb ?? NaN), max: round(Math.max(...numbers(samples.map((s) => s.heapUsedMb)))), end: round(samples.at(-1)!.heapUsedMb ?? NaN) },
      heapTotalMb: { start: round(samples[0]!.heapTotalMb ?? NaN), end: round(samples.at(-1)!.heapTotalMb ?? NaN) },
      externalMb: { start: round(samples[0]!.externalMb ?? NaN), end: round(samples.at(-1)!.externalMb ?? NaN) },
      handles: { start: samples[0]!.handles, max: Math.max(...numbers(samples.map((s) => s.handles))), end: samples.at(-1)!.handles },
      fds: { start: samples[0]!.fds, max: Math.max(...samples.map((s) => s.fds)), end: samples.at(-1)!.fds },
      queueDepthMax: { province: Math.max(...numbers(samples.map((s) => s.queueProvince))), dvcqg: Math.max(...numbers(samples.map((s) => s.queueDvcqg))) },
      logLines,
      errorLogLines: errorLines,
      errorKinds: Object.fromEntries(errorKinds),
      scrapeFailures,
      flatness: flat,
      problems: problems.slice(0, 50),
      verdict: failures.length === 0 ? 'pass' : 'fail',
      failures,
      samples,
    };
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, DB === 'postgres' ? 'soak-postgres.json' : 'soak.json');
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    const lines = [
      `soak on ${DB}: ${result.loadSeconds} s of load, ${result.drainSeconds} s to drain; ${PER_MINUTE}/min per source, ${FAULT_RATE * 100} % faults`,
      `  dossiers: ${generated} generated, ${check.expectedHeld} delivered to both targets once in effect, ${check.expectedNotHeld} held back (unmapped, not received); ${result.dossiers.perSecond}/s over the run`,
      `  rss: start ${result.rssMb.start} MB, peak ${result.rssMb.peak} MB, end ${result.rssMb.end} MB; after warm-up ${flat.rss.firstThirdMedianMb} → ${flat.rss.lastThirdMedianMb} MB (medians of the first and last thirds), slope ${flat.rss.slopeMbPerMin} MB/min`,
      `  heap used: start ${result.heapUsedMb.start} MB, max ${result.heapUsedMb.max} MB, end ${result.heapUsedMb.end} MB; floor ${flat.heap.firstThirdFloorMb} → ${flat.heap.lastThirdFloorMb} MB; ` +
        `heap reserved ${result.heapTotalMb.start} → ${result.heapTotalMb.end} MB, external ${result.externalMb.start} → ${result.externalMb.end} MB`,
      `  handles: ${result.handles.start} → ${result.handles.end} (max ${result.handles.max}; thirds' medians ${flat.handles.firstThirdMedian} → ${flat.handles.lastThirdMedian}); fds ${result.fds.start} → ${result.fds.end} (max ${result.fds.max})`,
      `  queue depth max: province ${result.queueDepthMax.province}, dvcqg ${result.queueDepthMax.dvcqg}; ${logLines} log lines, ${errorLines} at error level`,
      `  verdict: ${result.verdict}${failures.length ? `\n    - ${failures.join('\n    - ')}` : ''}`,
      `  written to ${file}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    process.exitCode = failures.length === 0 ? 0 : 1;
  } finally {
    await world.close();
  }
}

await main().catch((err: Error) => {
  log(`failed: ${err.stack ?? err.message}`);
  process.exitCode = 1;
});
