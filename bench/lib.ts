import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What every benchmark shares: child processes that announce themselves, medians, and peak RSS. */
export const ROOT = new URL('../', import.meta.url).pathname;

export interface Child<I> {
  info: I;
  child: ChildProcess;
  /** Peak resident set size of the child so far, in MB (sampled from /proc). */
  peakRssMb(): number;
  stop(): Promise<void>;
}

/** Starts `bench/<script>` under tsx and waits for the JSON line it writes on stderr once ready. */
export async function startChild<I>(script: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Child<I>> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', script)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(child.pid))), 200);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const info = await new Promise<I>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`${script} did not start in time: ${buffer}`)), timeoutMs);
    child.stderr!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const line = buffer.split('\n').find((l) => l.startsWith('{') && l.includes('"url"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as I);
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${buffer}`)));
  });
  return {
    info,
    child,
    peakRssMb: () => Math.max(peak, rssMb(child.pid)),
    async stop() {
      clearInterval(sampler);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    // Linux: /proc/<pid>/status VmRSS in kB.
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

export const median = (values: readonly number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
