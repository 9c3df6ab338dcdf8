import { readFileSync } from 'node:fs';
import { startSandbox, type RunningSandbox } from '../sandbox';
import type { BenchDatabase } from './database';
import { BENCH_CLIENT_LIMITS, startSystem, type SystemName } from './e2e-systems';
import { checkTargets, portalHeldAt, waitPortalHolds, type TargetCheck } from './e2e-targets';
import { landDossierSource, type BenchDossier } from './land-dossiers';
import { createLandSender, sendBatch, sendSteady, type SendLog } from './land-load';
import { median, percentile, round } from './lib';

/**
 * End to end: land callbacks in, every step at the province and at the national portal out,
 * measured for the gateway and, in the same round against fresh simulators of their own, for a
 * baseline script that makes the same calls with no durability, ordering or retries (the ceiling,
 * baseline.ts) and for the same forwarding built as a Node-RED flow (nodered/).
 *
 * The callbacks are the land simulator's own bodies (land-dossiers.ts), sent by the benchmark
 * (land-load.ts) rather than by the simulator's pusher, so that the offered load is under its
 * control; each dossier has a reception and at least three more steps, each event sent once the
 * previous one was answered `Result: 1`. The gateway answers once the change is stored; the other
 * two, having no store, answer once both targets took it (answering sooner would let a change be
 * lost with the land system believing it delivered). Simulator rate limits are off, the gateway's
 * client limits raised (BENCH_CLIENT_LIMITS), and the land reorder window, which holds every land
 * change back on purpose (default 90 s), is 0. Per system, after a warm-up:
 * - throughput: 64 senders for `seconds`, then until the portal holds every step of every dossier
 *   sent: dossiers / (last step held by the portal - first callback sent);
 * - latency, at each rate of STEADY_RATES new dossiers per second (19 ≈ 100 changes/s, then the
 *   goal's 100 ≈ 520 changes/s), open loop for `seconds`, a dossier's events 1 s apart: each change
 *   timed from its callback leaving to the portal holding its step (the portal simulator's receive
 *   time); a system that falls more than GIVE_UP_LATE_MS behind is offered no more of a dossier.
 * Afterwards every dossier is checked whole at both targets (steps once, in order, final status),
 * and the CPU time each process spent per dossier is reported with the rates, which it explains.
 *
 * Run alone: `npx tsx bench/e2e-run.ts` (its doc lists the knobs).
 */
export interface E2eOptions {
  rounds: number;
  seconds: number;
  log: (m: string) => void;
  database?: BenchDatabase;
  /** Default 0 (see above). */
  reorderWindowSeconds?: number;
  /** A folder for the gateway's `--cpu-prof` profiles. */
  profileDir?: string;
  /** Default all three, in this order. */
  systems?: readonly SystemName[];
  /** New dossiers per second of the latency runs; default STEADY_RATES. */
  rates?: readonly number[];
}

export interface Row {
  benchmark: string;
  figure: string;
  value: string;
  goal?: string;
}

export interface ThroughputFigures {
  dossiers: number;
  events: number;
  perSecond: number;
  /** Callbacks answered per second while offering (the gateway answers once stored, the others once delivered). */
  answeredPerSecond: number;
  refused: number;
  refusals: Record<string, number>;
  /** Whether both targets held every acknowledged step within the wait. */
  drained: boolean;
  /** CPU per dossier of the system's process, and of the benchmark's (simulators and senders), ms. */
  cpuMsPerDossier: number;
  benchCpuMsPerDossier: number;
}

export interface LatencyFigures {
  /** New dossiers per second offered. */
  dossiersPerSecond: number;
  changes: number;
  held: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Changes the senders gave up on (the system fell more than GIVE_UP_LATE_MS behind) or that a refusal cut off. */
  notSent: number;
  refused: number;
  refusals: Record<string, number>;
  /** p99 of how late the senders were against the schedule, ms. */
  sendLagP99Ms: number;
  /** Whether the portal held every acknowledged change within DRAIN_MS (else the late ones are left out of the percentiles). */
  drained: boolean;
}

export interface SystemFigures {
  throughput: ThroughputFigures;
  /** At each of STEADY_RATES. */
  latency: LatencyFigures[];
  check: TargetCheck;
  peakRssMb: number;
}

export type E2eRound = Partial<Record<SystemName, SystemFigures>>;

const WARMUP = 100;
const LANES = 64;
/** New dossiers per second: 100 changes per second (at about 5.2 events a dossier), then the goal's 100; light first, so that a backlog the heavy one leaves cannot colour it. */
const STEADY_RATES: readonly number[] = [19, 100];
const STEADY_GAP_MS = 1_000;
const GIVE_UP_LATE_MS = 5_000;
const DRAIN_MS = 60_000;
/** The province numbers a day's dossiers with four digits, and the portal refuses a fifth. */
const DAILY_CODES = 9_800;

export async function e2eBenchmark(opts: E2eOptions): Promise<{ rows: Row[]; results: unknown }> {
  const systems = opts.systems ?? (['baseline', 'gateway', 'nodered'] as const);
  const rates = opts.rates ?? STEADY_RATES;
  const steadyCount = rates.reduce((n, rate) => n + rate * opts.seconds, 0);
  const poolCount = Math.min(250 * opts.seconds, DAILY_CODES - WARMUP - steadyCount);
  if (poolCount < 500) throw new Error(`e2e: ${opts.seconds} s is too long for one simulated day of dossier codes; use at most 60`);
  const source = landDossierSource({ seed: 20260302, startAt: Date.now() - 3_600_000, minSteps: 3 });
  // Generated once, before anything is timed; every system of every round gets the same dossiers.
  const plan: Plan = { warmup: source.take(WARMUP), pool: source.take(poolCount), steady: rates.map((rate) => ({ rate, dossiers: source.take(rate * opts.seconds) })) };
  const rounds: E2eRound[] = [];
  for (let i = 0; i < opts.rounds; i++) {
    const r: E2eRound = {};
    // Each round starts with another system, so that none is always measured first (or last).
    const order = systems.map((_, k) => systems[(k + i) % systems.length]!);
    for (const name of order) {
      const f = await measureSystem(name, plan, opts);
      r[name] = f;
      opts.log(
        `e2e round ${i + 1}, ${name}: ${round(f.throughput.perSecond)} dossiers/s (${round(f.throughput.cpuMsPerDossier)} ms CPU each), ` +
          f.latency.map((l) => `at ${l.dossiersPerSecond}/s source to portal p50/p95/p99 ${l.p50Ms}/${l.p95Ms}/${l.p99Ms} ms${l.notSent ? ` (${l.notSent} not offered)` : ''}`).join(', ') +
          `, ${f.check.whole}/${f.check.dossiers} whole` +
          refusalsOf(f) +
          (f.check.examples.length ? ` (${f.check.examples[0]})` : ''),
      );
    }
    rounds.push(r);
  }
  return { rows: rowsOf(rounds, opts, plan), results: { conditions: conditionsOf(opts, plan), rounds } };
}

interface Plan {
  warmup: BenchDossier[];
  pool: BenchDossier[];
  /** The latency runs: new dossiers per second, and the dossiers. */
  steady: { rate: number; dossiers: BenchDossier[] }[];
}

async function measureSystem(name: SystemName, plan: Plan, opts: E2eOptions): Promise<SystemFigures> {
  const sandbox = await startSandbox({ generator: false });
  sandbox.province.sim.setRateLimit(0);
  sandbox.dvcqg.sim.setRateLimit(0);
  const system = await startSystem(name, sandbox, { database: opts.database ?? 'sqlite', reorderWindowSeconds: opts.reorderWindowSeconds ?? 0, profileDir: opts.profileDir }, opts.log);
  const rss = rssSampler(system.pid);
  const sender = createLandSender(system.url, sandbox.credentials.land.securityCode);
  try {
    let expected = 0;
    const drain = async (log: SendLog) => {
      expected += log.acknowledged;
      return waitPortalHolds(sandbox, expected, DRAIN_MS);
    };
    const warm = await sendBatch(sender, plan.warmup, { lanes: 16, offerMs: 60_000 });
    if (warm.acknowledged === 0 || !(await drain(warm))) {
      throw new Error(`e2e: ${name} did not take the warm-up dossiers (refusals ${JSON.stringify(warm.refusals)}): is it configured right?`);
    }
    if (warm.refused > 0) opts.log(`e2e: ${name} refused ${warm.refused} warm-up callbacks: ${JSON.stringify(warm.refusals)}`);

    const cpu0 = { system: cpuMs(system.pid), bench: benchCpuMs() };
    const batch = await sendBatch(sender, plan.pool, { lanes: LANES, offerMs: opts.seconds * 1000 });
    const drained = await drain(batch);
    const cpu1 = { system: cpuMs(system.pid), bench: benchCpuMs() };
    const done = batch.completed;
    const lastHeld = Math.max(...[...portalHeldAt(sandbox, done).values()].flat().map((t) => t ?? 0));
    const events = done.reduce((n, d) => n + d.events.length, 0);
    const throughput: ThroughputFigures = {
      dossiers: done.length,
      events,
      perSecond: done.length / ((lastHeld - batch.firstSentAt) / 1000),
      answeredPerSecond: (batch.acknowledged + batch.refused) / ((batch.lastAnsweredAt - batch.firstSentAt) / 1000),
      refused: batch.refused,
      refusals: batch.refusals,
      drained,
      cpuMsPerDossier: (cpu1.system - cpu0.system) / Math.max(1, done.length),
      benchCpuMsPerDossier: (cpu1.bench - cpu0.bench) / Math.max(1, done.length),
    };

    const latency: LatencyFigures[] = [];
    const checked = [...plan.warmup, ...done];
    for (const { rate, dossiers } of plan.steady) {
      const steady = await sendSteady(sender, dossiers, { perSecond: rate, gapMs: STEADY_GAP_MS, giveUpLateMs: GIVE_UP_LATE_MS });
      const drained = await drain(steady);
      latency.push({ ...latencyOf(sandbox, rate, dossiers, steady), drained });
      checked.push(...steady.completed);
    }
    const check = checkTargets(sandbox, checked);
    return { throughput, latency, check, peakRssMb: round(rss.peak(), 0) };
  } finally {
    sender.close();
    rss.stop();
    await system.stop();
    await sandbox.close();
  }
}

/** Every refusal of a system's runs, by reason, for the log. */
function refusalsOf(f: SystemFigures): string {
  const all: Record<string, number> = {};
  for (const r of [f.throughput.refusals, ...f.latency.map((l) => l.refusals)]) for (const [k, n] of Object.entries(r)) all[k] = (all[k] ?? 0) + n;
  return Object.keys(all).length ? `; refused ${JSON.stringify(all)}` : '';
}

function latencyOf(sandbox: RunningSandbox, rate: number, dossiers: readonly BenchDossier[], log: SendLog): Omit<LatencyFigures, 'drained'> {
  const heldAt = portalHeldAt(sandbox, dossiers);
  const ms: number[] = [];
  let changes = 0;
  for (const d of dossiers) {
    const sent = log.sentAt.get(d.code) ?? [];
    const held = heldAt.get(d.code) ?? [];
    sent.forEach((at, i) => {
      changes++;
      const t = held[i];
      if (t !== undefined) ms.push(t - at);
    });
  }
  ms.sort((a, b) => a - b);
  return {
    dossiersPerSecond: rate,
    changes,
    held: ms.length,
    p50Ms: percentile(ms, 50),
    p95Ms: percentile(ms, 95),
    p99Ms: percentile(ms, 99),
    maxMs: ms.at(-1) ?? NaN,
    notSent: log.notSent,
    refused: log.refused,
    refusals: log.refusals,
    sendLagP99Ms: percentile(log.lagMs, 99),
  };
}

/** CPU time (user + system) of a process so far, ms (Linux /proc; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

function benchCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function rssSampler(pid: number) {
  let peak = 0;
  const sample = () => {
    try {
      peak = Math.max(peak, Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
    } catch {
      // exited
    }
  };
  const timer = setInterval(sample, 250);
  return {
    peak: () => (sample(), peak),
    stop: () => clearInterval(timer),
  };
}

function conditionsOf(opts: E2eOptions, plan: Plan) {
  const events = plan.pool.reduce((n, d) => n + d.events.length, 0) / plan.pool.length;
  return {
    database: opts.database ?? 'sqlite',
    reorderWindowSeconds: opts.reorderWindowSeconds ?? 0,
    eventsPerDossier: round(events, 2),
    lanes: LANES,
    steady: { dossiersPerSecond: plan.steady.map((p) => p.rate), gapMs: STEADY_GAP_MS, seconds: opts.seconds, giveUpLateMs: GIVE_UP_LATE_MS },
    clientLimits: BENCH_CLIENT_LIMITS,
    simulatorRateLimits: 'off',
  };
}

function rowsOf(rounds: E2eRound[], opts: E2eOptions, plan: Plan): Row[] {
  const c = conditionsOf(opts, plan);
  const has = (s: SystemName) => rounds.every((r) => r[s]);
  const present = (['gateway', 'baseline', 'nodered'] as const).filter(has);
  const m = (s: SystemName, f: (x: SystemFigures) => number) => median(rounds.map((r) => f(r[s]!)));
  const ratio = (a: SystemName, b: SystemName, f: (x: SystemFigures) => number) => median(rounds.map((r) => f(r[a]!) / f(r[b]!)));
  const pct = (n: number) => `${round(n * 100, 0)} %`;
  const label: Record<SystemName, string> = { gateway: 'gateway', baseline: 'baseline', nodered: 'Node-RED' };
  const rows: Row[] = [
    {
      benchmark: `End to end (land → province + national portal, ${c.database === 'postgres' ? 'PostgreSQL' : 'SQLite'})`,
      figure:
        `conditions: land simulator bodies, ${c.eventsPerDossier} events per dossier (≥ 4), each sent after the previous one's answer; simulator rate limits off; ` +
        `gateway client limits raised (province ${BENCH_CLIENT_LIMITS.province.requestsPerSecond}/s × ${BENCH_CLIENT_LIMITS.province.concurrency}, portal ${BENCH_CLIENT_LIMITS.dvcqg.requestsPerSecond}/s × ${BENCH_CLIENT_LIMITS.dvcqg.concurrency}); ` +
        `land reorder window ${c.reorderWindowSeconds} s (its default, 90 s, holds every land change back that long on purpose)`,
      value: '',
    },
  ];
  const tp = (s: SystemName) => {
    const drained = rounds.every((r) => r[s]!.throughput.drained);
    return `${round(m(s, (x) => x.throughput.perSecond), 0)} dossiers/s${drained ? '' : ' (not all delivered in time)'}`;
  };
  const tpFigure: Record<SystemName, string> = {
    gateway: `throughput, ${LANES} senders: gateway (every step held by both targets)`,
    baseline: 'no-durability baseline (same calls; no storage, ordering or retries)',
    nodered: 'Node-RED flow (same forwarding, no durability)',
  };
  for (const s of present) rows.push({ benchmark: '', figure: tpFigure[s], value: tp(s) });
  if (has('gateway') && has('baseline')) rows.push({ benchmark: '', figure: 'throughput ratio gateway / baseline', value: pct(ratio('gateway', 'baseline', (x) => x.throughput.perSecond)), goal: '≥ 50 %' });
  if (has('gateway') && has('nodered')) rows.push({ benchmark: '', figure: 'throughput ratio gateway / Node-RED', value: pct(ratio('gateway', 'nodered', (x) => x.throughput.perSecond)), goal: '> 100 %' });
  for (const [i, { rate }] of plan.steady.entries()) {
    const at = (x: SystemFigures) => x.latency[i]!;
    const lat = (s: SystemName) => {
      const behind = m(s, (x) => at(x).notSent + at(x).refused);
      const late = rounds.some((r) => !at(r[s]!).drained) ? ', not all delivered in time' : '';
      return `${m(s, (x) => at(x).p50Ms)} / ${m(s, (x) => at(x).p95Ms)} / ${m(s, (x) => at(x).p99Ms)} ms${behind > 0 ? ` (fell behind: ${behind} changes not taken${late})` : late ? ` (${late.slice(2)})` : ''}`;
    };
    const what = `${rate} dossiers/s (≈ ${round(rate * c.eventsPerDossier, 0)} changes/s)`;
    for (const s of present) {
      rows.push({ benchmark: '', figure: `source change to portal at ${what}, p50 / p95 / p99: ${label[s]}`, value: lat(s), ...(s === 'gateway' && rate === 100 ? { goal: 'p99 ≤ 1,000 ms' } : {}) });
    }
    if (has('gateway') && has('nodered')) {
      rows.push({
        benchmark: '',
        figure: `latency ratio gateway / Node-RED at ${what}, p50 / p99`,
        value: `${round(ratio('gateway', 'nodered', (x) => at(x).p50Ms), 2)} / ${round(ratio('gateway', 'nodered', (x) => at(x).p99Ms), 2)}`,
      });
    }
  }
  rows.push({
    benchmark: '',
    figure: 'dossiers not whole at the targets (a step missing, twice or out of order, or a wrong status) / callbacks refused',
    value: present
      .map((s) => `${label[s]} ${m(s, (x) => x.check.dossiers - x.check.whole)} / ${m(s, (x) => x.throughput.refused + x.latency.reduce((n, l) => n + l.refused, 0))}`)
      .join(', '),
  });
  rows.push({
    benchmark: '',
    figure: 'CPU per dossier delivered (throughput run): the system / the simulators and senders',
    value: present.map((s) => `${label[s]} ${round(m(s, (x) => x.throughput.cpuMsPerDossier), 1)} / ${round(m(s, (x) => x.throughput.benchCpuMsPerDossier), 1)} ms`).join(', '),
  });
  rows.push({ benchmark: '', figure: 'peak memory (RSS)', value: present.map((s) => `${label[s]} ${m(s, (x) => x.peakRssMb)} MB`).join(', ') });
  return rows;
}
