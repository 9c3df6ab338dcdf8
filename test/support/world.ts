import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type FaultConfig, type RunningSandbox } from '../../sandbox';
import { sandboxConfigFile, sandboxSecrets } from '../../src/runtime/sandbox-mode';
import { startBalancer } from './balancer';
import { startGatewayProcess, writeJson, type GatewayProcess } from './gateway-process';
import { dropSchema } from './postgres';

/**
 * The end-to-end world: the five simulators in this process (their state survives the gateway
 * being killed), the gateway as a separate process configured with all three sources, and (in the
 * check-*.ts files beside this one) checks that read what the simulated targets hold and compare
 * it with what each source holds, computed here independently of the gateway's own mapping code.
 */
export const E2E_ADMIN_PASSWORD = 'e2e-admin-password';

/**
 * The land system's resends in the tests: its real schedule (1 min, 5 min, 30 min, hourly) shrunk
 * so that a gateway restart or a run of faults is covered within a second or a few.
 */
export const E2E_LAND_RESENDS_MS = [250, 500, 1_000, 2_000, 3_000, ...Array<number>(20).fill(5_000)];
/** How long the gateway lets a land change settle before delivering it (see reorderWindowSeconds). */
export const E2E_LAND_REORDER_WINDOW_SECONDS = 15;

export interface World {
  sandbox: RunningSandbox;
  dir: string;
  /** The gateway started last. */
  gateway?: GatewayProcess;
  /** Every gateway process started, running or not. */
  gateways: GatewayProcess[];
  /** The gateways' land reorder window. */
  landReorderWindowSeconds: number;
  /**
   * Starts (or restarts) a gateway on the world's database and points the land system at it; with
   * `balanced`, the land system pushes through a round-robin balancer over every running instance.
   * `env` adds to (or overrides) the gateway's environment, e.g. an armed crash point.
   */
  startGateway(env?: Record<string, string>): Promise<GatewayProcess>;
  close(): Promise<void>;
}

export interface WorldOptions {
  faults?: FaultConfig;
  seed?: number;
  /** A shared PostgreSQL database (its schema is dropped at close); SQLite in the world's folder otherwise. */
  postgres?: { url: string; schema: string };
  /** Push the land callbacks through a balancer over every running instance. */
  balanced?: boolean;
  /** False lifts the simulators' request limits (and the gateway's client-side ones). */
  rateLimits?: boolean;
  leaseSeconds?: number;
  /** How long a land change settles before delivery; default E2E_LAND_REORDER_WINDOW_SECONDS. */
  reorderWindowSeconds?: number;
}

export async function createWorld(options: WorldOptions = {}): Promise<World> {
  const f = options.faults;
  const sandbox = await startSandbox({
    generator: false,
    seed: options.seed,
    province: f ? { faults: { ...f, seed: f.seed + 1 } } : {},
    dvcqg: f ? { faults: { ...f, seed: f.seed + 2 } } : {},
    civilStatus: f ? { faults: { ...f, seed: f.seed + 3 } } : {},
    land: {
      resendScheduleMs: E2E_LAND_RESENDS_MS,
      duplicateRate: 0.05,
      duplicateDelayMs: 500,
      reorderRate: 0.08,
      reorderDelayMs: 1_500,
      ...(f ? { faults: { ...f, seed: f.seed + 4 } } : {}),
    },
    business: f ? { faults: { ...f, seed: f.seed + 5 } } : {},
  });
  const dir = mkdtempSync(join(tmpdir(), 'lienthong-e2e-'));
  const landReorderWindowSeconds = options.reorderWindowSeconds ?? E2E_LAND_REORDER_WINDOW_SECONDS;
  const file = sandboxConfigFile(sandbox, { pollIntervalSeconds: 1, startFrom: '2026-01-01T00:00:00+07:00', reorderWindowSeconds: landReorderWindowSeconds });
  const config = {
    ...file,
    sources: {
      'civil-status': { ...file.sources['civil-status'], overlapSeconds: 10, timeoutMs: 2_000 },
      land: file.sources.land,
      'business-registration': { ...file.sources['business-registration'], overlapSeconds: 10, timeoutMs: 3_000 },
    },
    targets: {
      province: { ...file.targets.province, timeoutMs: 2_000 },
      dvcqg: { ...file.targets.dvcqg, timeoutMs: 2_000 },
    },
    delivery: { retryBudgetHours: 24, backoffBaseMs: 200, backoffMaxMs: 2_000, leaseSeconds: options.leaseSeconds ?? 30, idlePollMs: 100 },
  };
  if (options.rateLimits === false) {
    for (const sim of [sandbox.province.sim, sandbox.dvcqg.sim, sandbox.civilStatus.sim, sandbox.business.sim]) sim.setRateLimit(0);
    Object.assign(config.targets.province, { requestsPerSecond: 1_000, concurrency: 16 });
    Object.assign(config.targets.dvcqg, { requestsPerSecond: 200 });
    Object.assign(config.sources['civil-status'], { requestsPerSecond: 200 });
    Object.assign(config.sources['business-registration'], { requestsPerSecond: 200 });
  }
  const balancer = options.balanced ? await startBalancer(() => world.gateways.filter((g) => g.child.exitCode === null && g.child.signalCode === null).map((g) => g.url)) : undefined;
  const database: Record<string, string> = options.postgres
    ? { DATABASE_URL: options.postgres.url, LIENTHONG_PG_SCHEMA: options.postgres.schema }
    : { LIENTHONG_DB: join(dir, 'lienthong.db') };
  const configPath = writeJson(dir, 'lienthong.json', config);
  const world: World = {
    sandbox,
    dir,
    gateways: [],
    landReorderWindowSeconds,
    async startGateway(env = {}) {
      const gateway = await startGatewayProcess({
        env: { LIENTHONG_CONFIG: configPath, ...database, LIENTHONG_ADMIN_PASSWORD: E2E_ADMIN_PASSWORD, LOG_LEVEL: 'debug', ...sandboxSecrets(sandbox), ...env },
      });
      world.gateway = gateway;
      world.gateways.push(gateway);
      sandbox.land.sim.setTarget(balancer?.url ?? gateway.url);
      return gateway;
    },
    async close() {
      await Promise.all(world.gateways.map((g) => g.kill('SIGKILL')));
      await sandbox.close();
      await balancer?.close();
      if (options.postgres) await dropSchema(options.postgres.url, options.postgres.schema);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return world;
}

export interface Check {
  expectedHeld: number;
  expectedNotHeld: number;
  problems: string[];
}

/** An instant as the targets write it, computed here without the gateway's time code. */
export function vnTimes(epochMs: number) {
  const d = new Date(epochMs + 7 * 3600_000).toISOString();
  const [y, mo, day, h, mi, s] = [d.slice(0, 4), d.slice(5, 7), d.slice(8, 10), d.slice(11, 13), d.slice(14, 16), d.slice(17, 19)];
  return { compact: `${y}${mo}${day}${h}${mi}${s}`, iso: `${y}-${mo}-${day}T${h}:${mi}:${s}+07:00`, province: `${y}-${mo}-${day} ${h}:${mi}:${s}` };
}

/** Epoch seconds of an ISO-8601 instant with an offset (fractions dropped). */
export const epochSecond = (iso: string) => Math.floor(Date.parse(iso) / 1000);

type ProvinceView = ReturnType<RunningSandbox['province']['sim']['state']['dossiers']>[number];
type PortalView = ReturnType<RunningSandbox['dvcqg']['sim']['state']['dossiers']>[number];

/** What one source expects of a dossier at the targets; null when no target may hold it. */
export interface Expected {
  code: string;
  /** Province steps in order: `epochSecond|TrangThai` (content is the gateway's to choose). */
  steps: string[];
  /** When given, the province steps' NoiDungXuLy, in order. */
  stepContents?: string[];
  /** For a source that pushes its events: when each step (in `steps` order) reached the gateway. */
  pushed?: PushedSteps;
  province: Record<string, unknown>;
  portal: Record<string, unknown>;
  /** Extra checks on the portal's record (lists, optional fields). */
  portalCheck?(n: PortalView): string[];
}

/**
 * When each step of a pushed dossier reached the gateway (wall clock, epoch ms, in `steps` order):
 * its event's first attempt that was sent, and the end of its first acknowledged attempt (Infinity
 * if none was); and how long the gateway holds a change back so that overtaken events fall in place.
 */
export interface PushedSteps {
  firstSentAt: number[];
  acknowledgedAt: number[];
  reorderWindowMs: number;
}

/**
 * The province keeps steps in the order received, so a step that reaches the gateway after a later
 * one's reorder window has let that one go can only follow it (the gateway reports it as drift).
 * The held order passes when it holds each expected step exactly once and every inversion is such
 * a step: acknowledged more than the window after the later step was first sent. Any change to the
 * dossier only restarts the window, so the gateway cannot have let the later step go any sooner.
 */
export function onlyLateStepsOutOfOrder(held: readonly string[], expected: readonly string[], pushed: PushedSteps): boolean {
  if ([...held].sort().join(',') !== [...expected].sort().join(',')) return false;
  const rank = new Map<string, number>();
  expected.forEach((k, i) => rank.has(k) || rank.set(k, i));
  for (let i = 0; i < held.length; i++) {
    for (let j = i + 1; j < held.length; j++) {
      const later = rank.get(held[i]!)!;
      const earlier = rank.get(held[j]!)!;
      if (later > earlier && pushed.acknowledgedAt[earlier]! <= pushed.firstSentAt[later]! + pushed.reorderWindowMs) return false;
    }
  }
  return true;
}

/**
 * Compares what the targets hold of one source with what it expects: each expected dossier held
 * once by the province, its steps exactly once and in order, its fields right, and held by the
 * national portal with its fields and the same set of steps; nothing else held.
 */
export function checkSource(sandbox: RunningSandbox, system: string, expected: readonly (Expected | { code: string; notHeld: string })[]): Check {
  const problems: string[] = [];
  const province = sandbox.province.sim.state.dossiers().filter((d) => d['HeThongNguon'] === system);
  const portal = new Map(sandbox.dvcqg.sim.state.dossiers().map((d) => [d.MaHoSo, d]));
  const bySource = new Map<string, ProvinceView[]>();
  for (const p of province) {
    const key = String(p['MaHoSoNguon']);
    bySource.set(key, [...(bySource.get(key) ?? []), p]);
  }
  let expectedHeld = 0;
  let expectedNotHeld = 0;
  for (const e of expected) {
    const held = bySource.get(e.code) ?? [];
    if ('notHeld' in e) {
      expectedNotHeld++;
      if (held.length > 0) problems.push(`${e.code}: ${e.notHeld} but held by the province`);
      continue;
    }
    expectedHeld++;
    if (held.length !== 1) {
      problems.push(`${e.code}: held ${held.length} times by the province`);
      continue;
    }
    const p = held[0]!;
    const steps = p.TienTrinh.map((s) => `${epochSecond(String(s['ThoiDiemXuLy']))}|${s['TrangThai']}`);
    const inOrder = steps.join(',') === e.steps.join(',') || (e.pushed !== undefined && onlyLateStepsOutOfOrder(steps, e.steps, e.pushed));
    if (!inOrder) problems.push(`${e.code}: province steps [${steps.join(', ')}] instead of [${e.steps.join(', ')}]`);
    const contents = p.TienTrinh.map((s) => String(s['NoiDungXuLy']));
    if (e.stepContents && contents.join('\n') !== e.stepContents.join('\n')) problems.push(`${e.code}: province step contents differ from the source's`);
    for (const [field, value] of Object.entries(e.province)) {
      if (JSON.stringify(p[field]) !== JSON.stringify(value)) problems.push(`${e.code}: province ${field} is ${JSON.stringify(p[field])}, expected ${JSON.stringify(value)}`);
    }
    const n = portal.get(p.maHoSo);
    if (!n) {
      problems.push(`${e.code}: not held by the national portal`);
      continue;
    }
    for (const [field, value] of Object.entries(e.portal)) {
      if (JSON.stringify(n[field]) !== JSON.stringify(value)) problems.push(`${e.code}: portal ${field} is ${JSON.stringify(n[field])}, expected ${JSON.stringify(value)}`);
    }
    const status = Number(e.portal['TrangThaiHoSo']);
    if ([3, 7, 8, 9, 10].includes(status) && !/^\d{14}$/.test(String(n['NgayKetThucXuLy']))) problems.push(`${e.code}: portal has no NgayKetThucXuLy`);
    const portalSteps = new Set(n.TienDo.map((s) => `${epochSecond(compactToIso(String(s['ThoiDiemXuLy'])))}|${s['TrangThai']}`));
    const wanted = new Set(e.steps);
    if (portalSteps.size !== wanted.size || [...wanted].some((k) => !portalSteps.has(k))) {
      problems.push(`${e.code}: portal steps ${portalSteps.size} differ from the source's ${wanted.size}`);
    }
    problems.push(...(e.portalCheck?.(n) ?? []).map((m) => `${e.code}: ${m}`));
  }
  if (province.length !== expectedHeld) problems.push(`the province holds ${province.length} ${system} dossiers, expected ${expectedHeld}`);
  return { expectedHeld, expectedNotHeld, problems };
}

const compactToIso = (c: string) => `${c.slice(0, 4)}-${c.slice(4, 6)}-${c.slice(6, 8)}T${c.slice(8, 10)}:${c.slice(10, 12)}:${c.slice(12, 14)}+07:00`;

/** Waits until `check` finds no problem, and fails with the remaining problems if it never does. */
export async function waitDelivered(what: string, check: () => Check, timeoutMs: number): Promise<Check> {
  const start = Date.now();
  const deadline = start + timeoutMs;
  let reported = start;
  for (;;) {
    const c = check();
    if (c.problems.length === 0) return c;
    if (Date.now() - reported > 15_000) {
      reported = Date.now();
      console.log(`${what}: ${c.problems.length} problems left after ${Math.round((reported - start) / 1000)} s`);
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}:\n${c.problems.slice(0, 15).join('\n')}\n(${c.problems.length} problems)`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Proves a check can fail: a step appended twice at the province and a status changed at the
 * portal, behind the gateway's back, must each be reported. Call it last (it changes the targets).
 */
export function tamperedProblems(sandbox: RunningSandbox, system: string, check: () => Check): string[] {
  const [first, second] = sandbox.province.sim.state.dossiers().filter((d) => d['HeThongNguon'] === system);
  sandbox.province.sim.state.tamper(first!.idHoSo, (d) => d.TienTrinh.push(structuredClone(d.TienTrinh.at(-1)!)));
  sandbox.dvcqg.sim.state.tamper(second!.maHoSo, (d) => {
    d.fields['TrangThaiHoSo'] = d.fields['TrangThaiHoSo'] === '8' ? '4' : '8';
  });
  return check().problems;
}
