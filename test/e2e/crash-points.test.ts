import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CRASH_AT_ENV, type CrashPoint } from '../../src/lib/crash-point';
import { checkBusiness } from '../support/check-business';
import { checkCivilStatus } from '../support/check-civil-status';
import { checkLand } from '../support/check-land';
import type { GatewayProcess } from '../support/gateway-process';
import { TEST_PG_URL, uniqueSchema, withPg } from '../support/postgres';
import { createWorld, tamperedProblems, waitDelivered, type Check, type World } from '../support/world';

/**
 * The SIGKILL matrix: for each stage boundary of the sync engine (src/lib/crash-point.ts) a fresh
 * world, the gateway started with that point armed while all three sources produce dossiers (no
 * random faults: the crash is the only one), the process dead by its own SIGKILL at the boundary,
 * restarted unarmed on the same database, and then at the simulators: every dossier held once by
 * the province and by the portal, every step once and in order, the final statuses right, no
 * status update repeated, and no status ever seen going back at either target.
 *
 * On SQLite the restarted gateway releases the dead one's leases at start (marking that work
 * uncertain); on PostgreSQL nothing is released and the work waits for its lease to run out, so
 * one case runs there too, with a short lease.
 */
interface Case {
  point: CrashPoint;
  /** The hit that kills: late enough that work is in flight, early enough that traffic still flows. */
  n: number;
  seed: number;
  database: 'sqlite' | 'postgres';
}

const CASES: Case[] = [
  { point: 'after-accept', n: 40, seed: 101, database: 'sqlite' },
  { point: 'after-claim', n: 20, seed: 103, database: 'sqlite' },
  { point: 'after-target-answer', n: 20, seed: 107, database: 'sqlite' },
  { point: 'mid-batch-dvcqg', n: 1, seed: 109, database: 'sqlite' },
  { point: 'after-target-answer', n: 20, seed: 113, database: 'postgres' },
];

/** Dossiers each source creates while the armed gateway runs, over TRAFFIC_MS. */
const PER_SOURCE = 20;
const TRAFFIC_MS = 4_500;
/**
 * Dossiers each polled source holds before the gateway starts: its first polls bring them in at
 * once, so deliveries (and portal batches) carry several dossiers from the start.
 */
const BACKLOG = 10;
/**
 * Long enough for a land event that hit the dead gateway to come back on the land system's resend
 * schedule before its successor is delivered (a resend can trail it by a few seconds), short enough
 * to keep the matrix quick.
 */
const REORDER_WINDOW_SECONDS = 8;
const PG_LEASE_SECONDS = 3;

function checkAll(world: World): Check {
  const checks = [checkCivilStatus(world.sandbox), checkLand(world.sandbox, world.landReorderWindowSeconds), checkBusiness(world.sandbox)];
  return {
    expectedHeld: checks.reduce((n, c) => n + c.expectedHeld, 0),
    expectedNotHeld: checks.reduce((n, c) => n + c.expectedNotHeld, 0),
    problems: checks.flatMap((c) => c.problems),
  };
}

function exited(gateway: GatewayProcess, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const { child } = gateway;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the armed gateway was still running after ${timeoutMs} ms: the crash point was never reached`)), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/**
 * Every status each target showed for each dossier, sampled while the run goes on: a status going
 * back would show here even if a later delivery hid it again.
 */
function watchStatuses(world: World) {
  const province = new Map<number, number[]>();
  const portal = new Map<string, number[]>();
  const note = <K>(seen: Map<K, number[]>, key: K, value: number) => {
    const list = seen.get(key) ?? [];
    if (list.at(-1) !== value) list.push(value);
    seen.set(key, list);
  };
  const sample = () => {
    for (const d of world.sandbox.province.sim.state.dossiers()) note(province, d.idHoSo, Number(d.TrangThai));
    for (const d of world.sandbox.dvcqg.sim.state.dossiers()) note(portal, d.MaHoSo, Number(d['TrangThaiHoSo']));
  };
  const timer = setInterval(sample, 150);
  return {
    /** Once everything is delivered: what each target showed must follow the steps' statuses in order. */
    problems(): string[] {
      sample();
      const problems: string[] = [];
      for (const d of world.sandbox.province.sim.state.dossiers()) {
        // checkSource has proved the province's steps are the source's, once each and in order.
        const truth = d.TienTrinh.map((s) => Number(s['TrangThai'])).filter((s, i, all) => i === 0 || all[i - 1] !== s);
        const code = `${String(d['HeThongNguon'])} ${String(d['MaHoSoNguon'])}`;
        for (const [target, seen] of [
          ['province', province.get(d.idHoSo) ?? []],
          ['portal', portal.get(d.maHoSo) ?? []],
        ] as const) {
          if (!isSubsequence(seen, truth)) problems.push(`${code}: the ${target} showed statuses [${seen.join(', ')}], not in the order of the steps [${truth.join(', ')}]`);
        }
        const updates = world.sandbox.province.sim.state.statusUpdates(d.idHoSo).map((u) => u['TrangThai']);
        if (updates.some((s, i) => i > 0 && updates[i - 1] === s)) problems.push(`${code}: the province received a status update twice in a row [${updates.join(', ')}]`);
      }
      return problems;
    },
    stop: () => clearInterval(timer),
  };
}

function isSubsequence(seen: readonly number[], truth: readonly number[]): boolean {
  let at = 0;
  for (const s of seen) {
    while (at < truth.length && truth[at] !== s) at++;
    if (at === truth.length) return false;
    at++;
  }
  return true;
}

/** A read-only look at the gateway's database, the same SQL on both (placeholders `$1`, ..., each used once, in order). */
type Query = <T>(sql: string, params?: unknown[]) => Promise<T[]>;

function databaseOf(world: World, pg: { url: string; schema: string } | undefined): Query {
  if (pg) {
    return (sql, params = []) =>
      withPg(pg.url, async (c) => {
        await c.query(`SET search_path TO "${pg.schema}"`);
        return (await c.query(sql, params)).rows;
      });
  }
  return async <T,>(sql: string, params: unknown[] = []) => {
    const db = new Database(join(world.dir, 'lienthong.db'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql.replace(/\$\d+/g, '?')).all(...params) as T[];
    } finally {
      db.close();
    }
  };
}

interface AttemptRow {
  deliveryId: number;
  target: string;
  startedAt: number;
  durationMs: number;
  outcome: string;
  operations: string;
}

/**
 * How the work in flight at the kill was taken up after it (only the restarted gateway records
 * attempts then): for each target, the calls of each in-flight delivery's next attempt, counted by
 * their sequence; when the last of them was held again; and every create after the kill that the
 * target answered "already held".
 */
async function resendReport(query: Query, inFlight: readonly { id: number; target: string }[], killedAt: number) {
  const attempts = (
    await query<AttemptRow>(
      `SELECT a.delivery_id AS "deliveryId", d.target AS target, a.started_at AS "startedAt", a.duration_ms AS "durationMs",
              a.outcome AS outcome, a.operations AS operations
         FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
        WHERE a.started_at >= $1 ORDER BY a.id`,
      [killedAt],
    )
  ).map((a) => ({ ...a, startedAt: Number(a.startedAt), durationMs: Number(a.durationMs) }));
  const ops = (a: AttemptRow) => (JSON.parse(a.operations) as string[]).map((o) => o.replace(/^steps:\d+$/, 'steps'));
  const next: Record<string, Record<string, number>> = { province: {}, dvcqg: {} };
  let settledAt = killedAt;
  for (const d of inFlight) {
    const mine = attempts.filter((a) => a.deliveryId === d.id);
    const key = mine[0] ? ops(mine[0]).join(',') || '(nothing)' : '(no attempt)';
    next[d.target]![key] = (next[d.target]![key] ?? 0) + 1;
    const done = mine.find((a) => a.outcome === 'delivered');
    if (done) settledAt = Math.max(settledAt, done.startedAt + done.durationMs);
  }
  const adopted = (target: string, pattern: string) => attempts.filter((a) => a.target === target && ops(a).join(',').includes(pattern)).length;
  return {
    inFlightSettledSeconds: Number(((settledAt - killedAt) / 1000).toFixed(1)),
    inFlight: { province: inFlight.filter((d) => d.target === 'province').length, dvcqg: inFlight.filter((d) => d.target === 'dvcqg').length },
    next,
    /** Creates the province answered 409 HOSO_DA_TON_TAI: adopted, read, and only what it lacked sent. */
    provinceCreateAdopted: adopted('province', 'create,read'),
    /** Creates the portal answered "already exists": sent again as updates. */
    dvcqgCreateAdopted: adopted('dvcqg', 'create,update'),
  };
}

describe('SIGKILL at every stage boundary of the sync engine', () => {
  for (const { point, n, seed, database } of CASES) {
    it(`${point} (${database}): loses nothing, repeats no effect, never goes back`, { timeout: 150_000 }, async () => {
      const pg = database === 'postgres' ? { url: TEST_PG_URL, schema: uniqueSchema('lt_crash') } : undefined;
      const world = await createWorld({
        seed,
        rateLimits: false,
        reorderWindowSeconds: REORDER_WINDOW_SECONDS,
        ...(pg ? { postgres: pg, leaseSeconds: PG_LEASE_SECONDS } : {}),
      });
      const statuses = watchStatuses(world);
      try {
        const { sandbox } = world;
        const land = sandbox.land.sim;
        const query = databaseOf(world, pg);
        await Promise.all([
          sandbox.civilStatus.sim.generator.run({ count: BACKLOG, durationMs: 0, changes: [1, 2], seed: seed + 1 }),
          sandbox.business.sim.generator.run({ count: BACKLOG, durationMs: 0, changes: [1, 2], seed: seed + 1 }),
        ]);
        const armed = await world.startGateway({ [CRASH_AT_ENV]: `${point}:${n}` });
        const startedAt = Date.now();
        let trafficEndedAt: number | undefined;
        const generating = Promise.all([
          sandbox.civilStatus.sim.generator.run({ count: PER_SOURCE, durationMs: TRAFFIC_MS, changes: [1, 3], seed }),
          land.generator.run({ count: PER_SOURCE, durationMs: TRAFFIC_MS, seed }),
          sandbox.business.sim.generator.run({ count: PER_SOURCE, durationMs: TRAFFIC_MS, changes: [1, 3], seed }),
        ]).then(() => (trafficEndedAt = Date.now()));

        // The process dies of its own SIGKILL, at the armed point, with work in flight.
        const death = await exited(armed, 60_000);
        const killedAt = Date.now();
        expect(death.signal, `the gateway exited with ${death.code} instead`).toBe('SIGKILL');
        expect(armed.logs.some((l) => l.includes(`crash point ${point} reached`))).toBe(true);
        expect(checkAll(world).problems.length).toBeGreaterThan(0);
        const trafficAtKill = trafficEndedAt === undefined ? 'still flowing' : `ended ${((killedAt - trafficEndedAt) / 1000).toFixed(1)} s before`;

        const inFlight = (await query<{ id: number; target: string }>('SELECT id, target FROM deliveries WHERE lease_owner IS NOT NULL ORDER BY id')).map((d) => ({
          ...d,
          id: Number(d.id),
        }));
        const [last] = await query<{ source: string; externalId: string; kind: string; contentHash: string }>(
          'SELECT source, external_id AS "externalId", kind, content_hash AS "contentHash" FROM source_records ORDER BY id DESC LIMIT 1',
        );
        // A portal batch was cut in the middle: all its dossiers were leased together.
        if (point === 'mid-batch-dvcqg') expect(inFlight.filter((d) => d.target === 'dvcqg').length).toBeGreaterThan(1);

        await world.startGateway();
        const restartedAt = Date.now();
        await generating;
        await land.whenIdle(90_000);
        const check = await waitDelivered(`everything delivered after a crash at ${point}`, () => checkAll(world), 90_000);
        const deliveredAt = Date.now();
        expect(check.expectedHeld).toBeGreaterThan(PER_SOURCE * 2);
        expect(land.state.givenUp()).toEqual([]);

        // Nothing moves afterwards: no late duplicate, no second copy; no status ever went back.
        await new Promise((r) => setTimeout(r, 1_000));
        expect(checkAll(world).problems).toEqual([]);
        expect(statuses.problems()).toEqual([]);
        // The last record stored before the kill (its sender had no answer, or its cursor had not moved) is held once.
        const copies = await query<{ n: number }>('SELECT count(*) AS n FROM source_records WHERE source = $1 AND external_id = $2 AND content_hash = $3', [
          last!.source,
          last!.externalId,
          last!.contentHash,
        ]);
        expect(Number(copies[0]!.n)).toBe(1);

        const resent = await resendReport(query, inFlight, killedAt);
        const cut = land.state.pushes().filter((p) => p.startedAt < killedAt && p.outcome !== 'acknowledged').length;
        console.log(
          `crash at ${point}:${n} on ${database}: ${check.expectedHeld} dossiers held at both targets; killed ${((killedAt - startedAt) / 1000).toFixed(1)} s after the start, traffic ${trafficAtKill}; ` +
            `restarted in ${((restartedAt - killedAt) / 1000).toFixed(1)} s, everything delivered ${((deliveredAt - killedAt) / 1000).toFixed(1)} s after the kill; ` +
            `last record before the kill: ${last!.source} ${last!.kind}; land callbacks cut by the kill ${cut}, resent in all ${land.state.counters().resent}; ` +
            `work in flight at the kill: ${JSON.stringify(resent)}`,
        );

        // The checks can fail: a duplicated step, a wrong status, and a status going back are seen.
        const [first] = sandbox.province.sim.state.dossiers().filter((d) => Number(d.TienTrinh[0]?.['TrangThai']) !== Number(d.TrangThai));
        sandbox.dvcqg.sim.state.tamper(first!.maHoSo, (d) => (d.fields['TrangThaiHoSo'] = String(first!.TienTrinh[0]!['TrangThai'])));
        expect(statuses.problems().some((p) => p.includes('the portal showed statuses'))).toBe(true);
        const tampered = tamperedProblems(sandbox, 'civil-status', () => checkAll(world));
        expect(tampered.some((p) => p.includes('province steps'))).toBe(true);
        expect(tampered.some((p) => p.includes('portal TrangThaiHoSo'))).toBe(true);
      } finally {
        statuses.stop();
        await world.close();
      }
    });
  }
});
