import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BaselineConfig } from './baseline';
import { ROOT } from './lib';

/**
 * Node-RED for the end-to-end benchmark: bench/nodered/flows.json run headless by Node-RED's own
 * command line (bench/nodered/settings.js: no editor, no admin API, no credentials file), installed
 * into bench/nodered/node_modules on first use from bench/nodered's package-lock.json. The flow
 * reads its targets and credentials from LAND_FLOW_CONFIG (the baseline's configuration shape).
 */
const DIR = join(ROOT, 'bench', 'nodered');
const RED = join(DIR, 'node_modules', 'node-red', 'red.js');

export interface NodeRedProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export function ensureNodeRedInstalled(log: (m: string) => void): void {
  if (existsSync(RED)) return;
  log('installing Node-RED into bench/nodered (first use)');
  // The lock file pins every package; none of them needs an install script.
  const r = spawnSync('npm', ['install', '--prefix', DIR, '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0 || !existsSync(RED)) throw new Error(`npm install --prefix bench/nodered failed (exit ${r.status})`);
}

export async function startNodeRed(config: BaselineConfig, options: { log: (m: string) => void; timeoutMs?: number }): Promise<NodeRedProcess> {
  ensureNodeRedInstalled(options.log);
  const userDir = mkdtempSync(join(tmpdir(), 'lienthong-bench-nodered-'));
  const child = spawn(process.execPath, [RED, '--settings', join(DIR, 'settings.js'), '--userDir', userDir], {
    cwd: DIR,
    env: { ...process.env, PORT: '0', LAND_FLOW_CONFIG: JSON.stringify(config), NODE_RED_ENABLE_PROJECTS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines: string[] = [];
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(userDir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Node-RED did not start in time:\n${lines.join('\n')}`)), options.timeoutMs ?? 60_000);
      let buffer = '';
      const onData = (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        const parts = buffer.split('\n');
        buffer = parts.pop() ?? '';
        for (const line of parts) {
          if (lines.length < 200) lines.push(line);
          const m = /Server now running at (http:\/\/[^\s/]+)/.exec(line);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Node-RED exited with ${code}:\n${lines.join('\n')}`));
      });
    });
    // Listening is not ready: the flow signs in to both targets first.
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      const res = await fetch(`${url}/__ready`).catch(() => null);
      if (res?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`the Node-RED flow never signed in to the targets:\n${lines.slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { url, child, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
