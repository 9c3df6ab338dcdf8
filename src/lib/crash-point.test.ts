import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CRASH_AT_ENV, CRASH_POINTS, crashPoint, parseCrashAt } from './crash-point';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Runs a script that passes each point three times, printing around every pass, with the given env. */
function runArmed(value: string | undefined) {
  const script = [
    "import { crashPoint } from './src/lib/crash-point.ts';",
    'for (let i = 1; i <= 3; i++) {',
    "  crashPoint('after-accept');",
    "  process.stdout.write(`before ${i}\\n`);",
    "  crashPoint('after-claim');",
    "  process.stdout.write(`after ${i}\\n`);",
    '}',
  ].join('\n');
  const env = { ...process.env };
  delete env[CRASH_AT_ENV];
  if (value !== undefined) env[CRASH_AT_ENV] = value;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
}

describe('crash points', () => {
  it('reads <point>:<n>, n defaulting to 1, and refuses anything else', () => {
    expect(parseCrashAt(undefined)).toBeNull();
    expect(parseCrashAt(' ')).toBeNull();
    expect(parseCrashAt('after-claim:3')).toEqual({ point: 'after-claim', remaining: 2 });
    expect(parseCrashAt('mid-batch-dvcqg')).toEqual({ point: 'mid-batch-dvcqg', remaining: 0 });
    for (const bad of ['after-claim:0', 'after-claim:-1', 'after-claim:x', 'before-claim:1', 'after-claim:1:2']) {
      expect(() => parseCrashAt(bad), bad).toThrow(CRASH_AT_ENV);
    }
    for (const point of CRASH_POINTS) expect(parseCrashAt(`${point}:1`)?.point).toBe(point);
  });

  it('does nothing when not armed', () => {
    // This test process is not armed: passing every point returns.
    for (const point of CRASH_POINTS) crashPoint(point);
    const run = runArmed(undefined);
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('before 1\nafter 1\nbefore 2\nafter 2\nbefore 3\nafter 3\n');
  }, 60_000);

  it('kills the process with SIGKILL at the n-th pass of the armed point, running nothing after it', () => {
    const run = runArmed('after-claim:2');
    expect(run.signal).toBe('SIGKILL');
    expect(run.stdout).toBe('before 1\nafter 1\nbefore 2\n');
    expect(run.stderr).toContain('crash point after-claim reached');
  }, 60_000);

  it('stops a process started with a malformed value', () => {
    const run = runArmed('after-everything:1');
    expect(run.signal).toBeNull();
    expect(run.status).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${CRASH_AT_ENV}="after-everything:1"`);
  }, 60_000);
});
