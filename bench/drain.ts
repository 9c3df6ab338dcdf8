import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startSandbox, type RunningSandbox } from '../sandbox';
import { sandboxConfigFile, sandboxSecrets } from '../src/runtime/sandbox-mode';
import { startGatewayProcess, writeJson } from '../test/support/gateway-process';
import { MAX_BACKLOG, backlogCode, fillBacklog, type Template } from './backlog';
import { benchStorage, type BenchDatabase, type BenchStorage } from './database';
import { median, round } from './lib';
import { thousands as n, type BenchRow } from './report';

/**
 * Growth: draining a backlog. A store is filled with `size` dossiers, each queued for both targets
 * (a gateway that was cut off from them for days, or a first import), then the real gateway starts
 * as its own process (`npm start`'s way) against it and the simulators, with every rate limit on
 * either side lifted so that the gateway itself is what is measured. Measured: the time until every
 * delivery is delivered, and the gateway process's peak resident memory (the kernel's high-water
 * mark, plus a sampled trend to tell a leak from a plateau).
 * The backlog is written straight into the tables (backlog.ts).
 */
export interface DrainFigures {
  size: number;
  database: BenchDatabase;
  fillMs: number;
  /** From spawning the gateway to its "started" line (tsx compiling, migrations, leases freed). */
  startMs: number;
  /** From "started" to the last delivery delivered at both targets. */
  drainMs: number;
  perSecond: number;
  /** VmHWM of the gateway process at the end: the peak the kernel saw. */
  peakRssMb: number;
  /** RSS at each tenth of the backlog delivered to the national portal (the last of the two). */
  rssTrend: { delivered: number; elapsedMs: number; rssMb: number }[];
  /** Attempts that did not deliver (each retried later); zero on a clean run. */
  failedAttempts: number;
}


export interface DrainOptions {
  size: number;
  database: BenchDatabase;
  log: (m: string) => void;
  timeoutMs?: number;
  /** Statements run on the filled store before the gateway starts: to measure a proposed migration (an index). */
  trySql?: readonly string[];
}

export async function drainRound(options: DrainOptions): Promise<DrainFigures> {
  const { size, database, log } = options;
  if (size > MAX_BACKLOG) throw new Error(`drain: at most ${n(MAX_BACKLOG)} dossiers (one-stop codes would run out)`);
  const storage = benchStorage(database, 'drain');
  const dir = mkdtempSync(join(tmpdir(), 'lienthong-bench-drain-'));
  const sandbox = await startSandbox({ generator: false });
  try {
    for (const sim of [sandbox.province.sim, sandbox.dvcqg.sim, sandbox.civilStatus.sim, sandbox.business.sim]) sim.setRateLimit(0);
    const file = sandboxConfigFile(sandbox, { pollIntervalSeconds: 5 });
    const config = {
      ...file,
      // As the end-to-end world's `rateLimits: false`, and higher: the simulators answer without
      // limit. Delivery keeps the sandbox's settings (idle poll 250 ms, lease 60 s).
      targets: {
        province: { ...file.targets.province, requestsPerSecond: 10_000, concurrency: 16 },
        dvcqg: { ...file.targets.dvcqg, requestsPerSecond: 1_000 },
      },
    };
    const t0 = performance.now();
    const template = await fillBacklog(storage, config, sandbox, size, options.trySql ?? []);
    const fillMs = performance.now() - t0;
    log(`drain (${database}): ${n(size)} dossiers queued in ${round(fillMs / 1000)} s`);

    const probe = await openProbe(storage);
    const spawned = performance.now();
    const gateway = await startGatewayProcess({
      env: { LIENTHONG_CONFIG: writeJson(dir, 'lienthong.json', config), ...storage.env, LIENTHONG_ADMIN_PASSWORD: 'bench-admin-password', ...sandboxSecrets(sandbox) },
      timeoutMs: 120_000,
    });
    const started = performance.now();
    const rss = sampleRss(gateway.child.pid!);
    try {
      const rssTrend: DrainFigures['rssTrend'] = [];
      const deadline = started + (options.timeoutMs ?? 3_600_000);
      let lastLog = started;
      let lastPortal = 0;
      let lastProgressAt = started;
      for (;;) {
        await new Promise((r) => setTimeout(r, 500));
        const c = await probe.counts();
        const now = performance.now();
        if (c.failed > 0) throw new Error(`drain: ${c.failed} deliveries failed for good; the run is not a clean drain`);
        while (rssTrend.length < 10 && c.dvcqg >= ((rssTrend.length + 1) / 10) * size) rssTrend.push({ delivered: c.dvcqg, elapsedMs: now - started, rssMb: rss.currentMb() });
        if (c.province === size && c.dvcqg === size) break;
        if (c.dvcqg > lastPortal) [lastPortal, lastProgressAt] = [c.dvcqg, now];
        if (now - lastProgressAt > 120_000 && now - started > 120_000) throw new Error(`drain: no delivery to the national portal for two minutes (${c.province} / ${c.dvcqg} delivered)`);
        if (now > deadline) throw new Error(`drain: not done in time (${c.province} / ${c.dvcqg} of ${size} delivered)`);
        if (now - lastLog > 15_000) {
          lastLog = now;
          log(`drain (${database}): ${round((now - started) / 1000, 0)} s, delivered ${n(c.province)} province / ${n(c.dvcqg)} portal, RSS ${round(rss.currentMb(), 0)} MB`);
        }
      }
      const drainMs = performance.now() - started;
      const peakRssMb = Math.max(rss.highWaterMb(), rss.sampledPeakMb());
      const failedAttempts = await probe.failedAttempts();
      verifyTargets(sandbox, size, template);
      log(`drain (${database}): ${n(size)} in ${round(drainMs / 1000)} s, ${round(size / (drainMs / 1000), 0)} dossiers/s, peak RSS ${round(peakRssMb, 0)} MB`);
      return { size, database, fillMs, startMs: started - spawned, drainMs, perSecond: size / (drainMs / 1000), peakRssMb, rssTrend, failedAttempts };
    } finally {
      rss.stop();
      await gateway.kill('SIGTERM');
      await probe.close();
    }
  } finally {
    await sandbox.close();
    await storage.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Counts delivered rows per target from a connection of its own, as a monitoring query would. */
async function openProbe(storage: BenchStorage) {
  const countsSql = `SELECT target, state, COUNT(*) AS n FROM deliveries GROUP BY target, state`;
  const failedSql = `SELECT COUNT(*) AS n FROM delivery_attempts WHERE outcome <> 'delivered'`;
  const tally = (rows: { target: string; state: string; n: number | string }[]) => {
    const delivered = (target: string) => Number(rows.find((r) => r.target === target && r.state === 'delivered')?.n ?? 0);
    const failed = rows.filter((r) => r.state === 'failed' || r.state === 'dead').reduce((s, r) => s + Number(r.n), 0);
    return { province: delivered('province'), dvcqg: delivered('dvcqg'), failed };
  };
  if (storage.sqlite) {
    // Read-write, only reading: a read-only connection cannot open a WAL database whose -shm is gone.
    const db = new Database(storage.sqlite.file, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const counts = db.prepare(countsSql);
    const failed = db.prepare(failedSql);
    return {
      counts: async () => tally(counts.all() as { target: string; state: string; n: number }[]),
      failedAttempts: async () => Number((failed.get() as { n: number }).n),
      close: async () => db.close(),
    };
  }
  const client = new pg.Client({ connectionString: storage.postgres!.url, options: `-c search_path=${storage.postgres!.schema}` });
  await client.connect();
  return {
    counts: async () => tally((await client.query<{ target: string; state: string; n: string }>(countsSql)).rows),
    failedAttempts: async () => Number((await client.query<{ n: string }>(failedSql)).rows[0]!.n),
    close: () => client.end(),
  };
}

/** Resident memory of a process from /proc (Linux): sampled every 250 ms, and the kernel's own peak. */
function sampleRss(pid: number) {
  const read = (field: 'VmRSS' | 'VmHWM') => {
    try {
      return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    } catch {
      return 0;
    }
  };
  let peak = 0;
  let highWater = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, read('VmRSS'));
    highWater = Math.max(highWater, read('VmHWM'));
  }, 250);
  return {
    currentMb: () => read('VmRSS'),
    sampledPeakMb: () => Math.max(peak, read('VmRSS')),
    highWaterMb: () => Math.max(highWater, read('VmHWM')),
    stop: () => clearInterval(timer),
  };
}

/**
 * The targets hold every dossier once, each with as many steps as the template's: the drain was
 * the real work, not an artefact of counting rows.
 */
function verifyTargets(sandbox: RunningSandbox, size: number, template: Template) {
  const first = sandbox.province.sim.state.findBySource(template.code, 'land');
  const firstPortal = first && sandbox.dvcqg.sim.state.dossier(first.maHoSo);
  if (!first || !firstPortal || first.TienTrinh.length === 0) throw new Error('drain: the targets do not hold the first dossier with its steps');
  const problems: string[] = [];
  for (let i = 1; i <= size && problems.length < 10; i++) {
    const p = sandbox.province.sim.state.findBySource(backlogCode(i), 'land');
    if (!p) {
      problems.push(`${backlogCode(i)}: not held by the province`);
      continue;
    }
    if (p.TienTrinh.length !== first.TienTrinh.length) problems.push(`${backlogCode(i)}: ${p.TienTrinh.length} province steps, expected ${first.TienTrinh.length}`);
    const d = sandbox.dvcqg.sim.state.dossier(p.maHoSo);
    if (!d) problems.push(`${backlogCode(i)}: not held by the national portal`);
    else if (d.TienDo.length !== firstPortal.TienDo.length) problems.push(`${backlogCode(i)}: ${d.TienDo.length} portal steps, expected ${firstPortal.TienDo.length}`);
  }
  if (problems.length) throw new Error(`drain: the targets do not hold what was queued:\n${problems.join('\n')}`);
}

/** The drain's rounds (each a fresh store and fresh simulators) and the table rows: medians of the rounds. */
export async function drainBenchmark(opts: {
  rounds: number;
  log: (m: string) => void;
  database: BenchDatabase;
  size?: number;
  trySql?: readonly string[];
}): Promise<{ rows: BenchRow[]; results: unknown }> {
  const size = opts.size ?? 100_000;
  const rounds: DrainFigures[] = [];
  for (let i = 0; i < opts.rounds; i++) rounds.push(await drainRound({ size, database: opts.database, log: opts.log, ...(opts.trySql ? { trySql: opts.trySql } : {}) }));
  const m = (f: (r: DrainFigures) => number) => median(rounds.map(f));
  const label = opts.database === 'postgres' ? 'PostgreSQL' : 'SQLite';
  const first = rounds[0]!.rssTrend;
  const trend = first.map((t) => round(t.rssMb, 0)).join(' → ');
  // Dossiers per second over each tenth: a rate that falls as the backlog shrinks (or grows) shows here.
  const rates = first.map((t, i) => round((t.delivered - (first[i - 1]?.delivered ?? 0)) / ((t.elapsedMs - (first[i - 1]?.elapsedMs ?? 0)) / 1000), 0)).join(' / ');
  const rows: BenchRow[] = [
    { benchmark: `Drain a backlog of ${n(size)} dossiers (${label}${opts.trySql?.length ? ', with the SQL tried' : ''})`, figure: 'delivered to both targets', value: `${round(m((r) => r.perSecond), 0)} dossiers/s` },
    { benchmark: '', figure: 'total time (gateway started to last delivery)', value: `${round(m((r) => r.drainMs) / 1000, 0)} s` },
    { benchmark: '', figure: 'gateway peak RSS', value: `${round(m((r) => r.peakRssMb), 0)} MB`, goal: '< 300 MB' },
    { benchmark: '', figure: 'RSS at each tenth delivered (first round)', value: `${trend} MB` },
    { benchmark: '', figure: 'rate over each tenth (first round)', value: `${rates} /s` },
    { benchmark: '', figure: 'failed attempts (retried)', value: String(m((r) => r.failedAttempts)) },
  ];
  return { rows, results: { size, database: opts.database, trySql: opts.trySql ?? [], rounds } };
}
