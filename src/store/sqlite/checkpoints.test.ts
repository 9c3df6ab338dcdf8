import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backgroundCheckpoints, type BackgroundCheckpoints } from './checkpoints';
import { openSqliteStore } from './store';

describe('checkpoints run on a thread of their own', () => {
  let dir: string;
  let file: string;
  let raw: Database.Database;
  let checkpoints: BackgroundCheckpoints | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lienthong-checkpoints-'));
    file = join(dir, 'g.db');
    raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  });
  afterEach(async () => {
    await checkpoints?.close();
    checkpoints = undefined;
    raw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** About `pages` pages of the log, in one commit. */
  const write = (pages: number) => {
    const insert = raw.prepare('INSERT INTO t (body) VALUES (?)');
    raw.transaction(() => {
      for (let i = 0; i < pages; i++) insert.run(`${i}`.padEnd(3000, 'x'));
    })();
  };
  const walBytes = () => statSync(`${file}-wal`).size;

  it('leaves commits to the backstop, and a log the thread copied back is started over instead of growing', async () => {
    checkpoints = backgroundCheckpoints(raw, { file, intervalMs: 60_000, backstopPages: 50_000 });
    expect(raw.pragma('wal_autocheckpoint', { simple: true })).toBe(50_000);

    write(1500);
    const first = walBytes();
    expect(first).toBeGreaterThan(1500 * 4096 * 0.9);
    const copied = await checkpoints.now();
    expect(copied.busy).toBe(0);
    expect(copied.checkpointed).toBe(copied.log);

    write(1500);
    expect(walBytes()).toBeLessThan(first * 1.2);
    expect(raw.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(3000);
  });

  it('checkpoints every interval without being asked', async () => {
    checkpoints = backgroundCheckpoints(raw, { file, intervalMs: 20 });
    write(300);
    await vi.waitFor(() => {
      const latest = checkpoints!.latest();
      expect(latest?.log).toBeGreaterThan(0);
      expect(latest?.checkpointed).toBe(latest?.log);
    });
  });

  it('gives checkpoints back to the connection when the thread cannot run', async () => {
    raw.pragma('wal_autocheckpoint = 7');
    checkpoints = backgroundCheckpoints(raw, { file: join(dir, 'missing', 'g.db'), backstopPages: 50_000 });
    await expect(checkpoints.now()).rejects.toThrow();
    await vi.waitFor(() => expect(raw.pragma('wal_autocheckpoint', { simple: true })).toBe(1000));
  });
});

describe('the SQLite store', () => {
  it('checkpoints in the background, and on close leaves no log behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lienthong-checkpoints-'));
    try {
      const file = join(dir, 'g.db');
      const store = openSqliteStore({ file });
      expect(store.raw.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
      expect(existsSync(`${file}-wal`)).toBe(true);
      // The thread has its connection open.
      expect((await store.checkpoints!.now()).busy).toBe(0);
      await store.close();
      // Both connections are closed: the last to close copied the log back and removed it.
      expect(existsSync(`${file}-wal`)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
