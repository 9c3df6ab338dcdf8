import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs the gateway as a real separate process (so a test can SIGKILL it), the way `npm start` runs
 * it, and reads its URL from its first log line.
 */
export interface GatewayProcess {
  url: string;
  /** The instance's name, the owner of the leases it takes. */
  instance: string;
  child: ChildProcess;
  logs: string[];
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * Node's flags in `npm start`. A young generation of 16 MB semi-spaces (V8's own size) keeps
 * garbage collection cheap under load: at 100 dossiers/s it took a ninth of the gateway's thread,
 * against a fifth with 4 MB ones. The old generation grows by half its live size between full
 * collections, not by V8's default of up to four times: the live heap is about 40 MB, and V8 let
 * it carry 150 MB of garbage before collecting. Together they keep a 40,000 drain's peak RSS at
 * 207 MB (16 MB alone: 317 MB; 4 MB alone: 264 MB) at the same rate.
 */
export const GATEWAY_NODE_FLAGS = ['--max-semi-space-size=16', '--heap-growing-percent=50'];

export async function startGatewayProcess(options: { env: Record<string, string>; timeoutMs?: number }): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, '--import', 'tsx', join(ROOT, 'src/runtime/node.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let buffer = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let instance = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start in time:\n${logs.join('\n')}`)), options.timeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        logs.push(line);
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string; instance?: string };
          if (entry.msg === 'lienthong started' && entry.url) {
            clearTimeout(timer);
            instance = entry.instance ?? '';
            resolve(entry.url);
          }
        } catch {
          // not a log line (the banner on stderr goes elsewhere)
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => logs.push(`[stderr] ${chunk.toString('utf8').trimEnd()}`));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before starting:\n${logs.join('\n')}`));
    });
  });
  return {
    url,
    instance,
    child,
    logs,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

export function writeJson(dir: string, name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Signs in to the console like a browser would and returns the session cookie for later calls. */
export async function signIn(url: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${url}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
    body: new URLSearchParams({ username, password, next: '/console' }),
  });
  const cookie = res.headers.get('set-cookie');
  if (res.status !== 303 || !cookie) throw new Error(`sign-in failed with ${res.status}`);
  return cookie.split(';')[0]!;
}
