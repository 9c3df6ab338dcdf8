import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningSandbox } from '../sandbox';
import { LAND_PROCEDURES, NATIONAL_CATALOG } from '../sandbox/catalog';
import { sandboxConfigFile, sandboxSecrets } from '../src/runtime/sandbox-mode';
import { GATEWAY_NODE_FLAGS, writeJson } from '../test/support/gateway-process';
import type { BaselineConfig } from './baseline';
import { benchStorage, type BenchDatabase } from './database';
import { ROOT, startChild } from './lib';
import { startNodeRed } from './nodered-process';

/**
 * The three systems the end-to-end benchmark compares, each started as a process of its own
 * against one sandbox: the gateway (`npm start`'s entry on a fresh database), the no-durability
 * baseline (baseline.ts) and the Node-RED flow (nodered/). Each answers the land callbacks at `url`.
 */
export type SystemName = 'gateway' | 'baseline' | 'nodered';

export interface RunningSystem {
  name: SystemName;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * The gateway's client-side limits for the benchmark: far above what it reaches, so that they do
 * not shape the result (the simulators' own limits are off too). The defaults (province 15/s × 4,
 * portal 4/s) are the real systems' published limits.
 */
export const BENCH_CLIENT_LIMITS = { province: { requestsPerSecond: 10_000, concurrency: 32 }, dvcqg: { requestsPerSecond: 10_000, concurrency: 4 } } as const;

export function flowConfig(sandbox: RunningSandbox): BaselineConfig {
  const c = sandbox.credentials;
  return {
    securityCode: c.land.securityCode,
    office: { ...c.land.office },
    procedureMap: { ...LAND_PROCEDURES },
    catalog: Object.fromEntries(Object.values(LAND_PROCEDURES).map((code) => [code, NATIONAL_CATALOG[code]!])),
    province: { baseUrl: sandbox.province.url, clientId: c.province.clientId, clientSecret: c.province.clientSecret },
    dvcqg: { baseUrl: sandbox.dvcqg.url, username: c.dvcqg.username, password: c.dvcqg.password, madonvi: c.dvcqg.madonvi, dstcode: c.dvcqg.dstcode },
  };
}

export interface GatewayOptions {
  database: BenchDatabase;
  reorderWindowSeconds: number;
  /** A folder for `--cpu-prof` output; none: no profile. */
  profileDir?: string;
}

export async function startSystem(name: SystemName, sandbox: RunningSandbox, gateway: GatewayOptions, log: (m: string) => void): Promise<RunningSystem> {
  if (name === 'baseline') {
    const child = await startChild<{ url: string }>('baseline.ts', { BENCH_BASELINE: JSON.stringify(flowConfig(sandbox)) });
    return { name, url: child.info.url, pid: child.child.pid!, stop: child.stop };
  }
  if (name === 'nodered') {
    const red = await startNodeRed(flowConfig(sandbox), { log });
    return { name, url: red.url, pid: red.child.pid!, stop: red.stop };
  }
  return startGateway(sandbox, gateway);
}

/** The gateway as `npm start` runs it, land only, on a fresh database; its logs (info level, as in production) are read until it listens, then discarded. */
async function startGateway(sandbox: RunningSandbox, options: GatewayOptions): Promise<RunningSystem> {
  const dir = mkdtempSync(join(tmpdir(), 'lienthong-bench-e2e-'));
  const storage = benchStorage(options.database, 'e2e');
  const file = sandboxConfigFile(sandbox, { reorderWindowSeconds: options.reorderWindowSeconds });
  const config = {
    ...file,
    sources: { land: file.sources.land },
    targets: {
      province: { ...file.targets.province, ...BENCH_CLIENT_LIMITS.province },
      dvcqg: { ...file.targets.dvcqg, ...BENCH_CLIENT_LIMITS.dvcqg },
    },
  };
  const env: Record<string, string> = {
    ...process.env,
    PORT: '0',
    LOG_LEVEL: 'info',
    LIENTHONG_CONFIG: writeJson(dir, 'lienthong.json', config),
    LIENTHONG_ADMIN_PASSWORD: 'bench-admin-password',
    ...sandboxSecrets(sandbox),
    ...storage.env,
  };
  const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, ...profile, '--import', 'tsx', join(ROOT, 'src/runtime/node.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await storage.dispose();
    rmSync(dir, { recursive: true, force: true });
  };
  const seen: string[] = [];
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the gateway did not start in time:\n${seen.join('\n')}`)), 60_000);
      let buffer = '';
      const onData = (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) {
          if (seen.length < 50) seen.push(line);
          if (!line.includes('"lienthong started"')) continue;
          const started = JSON.parse(line) as { url: string };
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          child.stdout!.resume();
          resolve(started.url);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (c: Buffer) => seen.length < 50 && seen.push(`[stderr] ${c.toString('utf8').trimEnd()}`));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the gateway exited with ${code} before starting:\n${seen.join('\n')}`));
      });
    });
    return { name: 'gateway', url, pid: child.pid!, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
