import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from './store';
import { durableAfterEach, walSync } from './wal-sync';

/** An fsync that finishes when the test says so, and remembers which file it was asked for. */
function heldFsync() {
  const calls: { ino: number; finish(): void }[] = [];
  const fsyncOf = async (h: FileHandle) => {
    const { ino } = await h.stat();
    await new Promise<void>((finish) => calls.push({ ino, finish }));
  };
  return { calls, fsyncOf };
}

const tick = () => new Promise((r) => setTimeout(r, 20));

/** Lets every fsync asked for finish until `p` settles. */
async function settle<T>(p: Promise<T> | undefined, calls: { finish(): void }[]): Promise<T | undefined> {
  let settled = false;
  const done = p?.finally(() => (settled = true));
  while (done && !settled) {
    calls.splice(0).forEach((c) => c.finish());
    await tick();
  }
  return done;
}

describe('the write-ahead log is synced off the event loop before an answer leaves the store', () => {
  let dir: string;
  let file: string;
  let raw: Database.Database;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lienthong-walsync-'));
    file = join(dir, 'g.db');
    raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.exec('create table t (v text)');
  });
  afterEach(() => {
    raw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds a write until an fsync of the log that began after it has finished', async () => {
    const { calls, fsyncOf } = heldFsync();
    const sync = walSync(raw, file, fsyncOf);
    await settle(sync.durable(), calls); // the directory entry, then the log, once at the start
    expect(sync.durable()).toBeUndefined();

    raw.prepare('insert into t values (?)').run('a');
    let done = false;
    const first = sync.durable()!.then(() => (done = true));
    await tick();
    expect(calls).toHaveLength(1);
    expect(done).toBe(false);
    const log = calls.at(-1)!;
    expect(log.ino).toBe(statSync(`${file}-wal`).ino);

    // A write while that fsync runs waits for the next one; a caller with nothing new shares the running one.
    raw.prepare('insert into t values (?)').run('b');
    let secondDone = false;
    const second = sync.durable()!.then(() => (secondDone = true));
    const third = sync.durable()!;
    log.finish();
    await first;
    expect(done).toBe(true);
    expect(secondDone).toBe(false);
    await tick();
    expect(calls).toHaveLength(2);
    calls[1]!.finish();
    await Promise.all([second, third]);
    expect(secondDone).toBe(true);
    expect(calls).toHaveLength(2); // the second and third shared one fsync
    expect(sync.durable()).toBeUndefined();
    await sync.close();
  });

  it('answers a store call only after the sync, and a failed fsync fails the call', async () => {
    const { calls, fsyncOf } = heldFsync();
    const sync = walSync(raw, file, fsyncOf);
    const insert = raw.prepare('insert into t values (?)');
    const store = durableAfterEach(
      {
        put: async (v: string) => insert.run(v).changes,
        count: async () => raw.prepare('select count(*) from t').pluck().get() as number,
        close: async () => undefined,
      },
      sync,
    );
    let answered = false;
    const put = store.put('x').then((n) => ((answered = true), n));
    await tick();
    expect(answered).toBe(false);
    // A read that could see the unsynced write waits for it too.
    let read = false;
    const count = store.count().then((n) => ((read = true), n));
    await tick();
    expect(read).toBe(false);
    await settle(Promise.all([put, count]), calls);
    expect(await put).toBe(1);
    expect(await count).toBe(1);

    const failing = walSync(raw, file, async () => {
      throw Object.assign(new Error('EIO'), { code: 'EIO' });
    });
    const broken = durableAfterEach({ put: async (v: string) => insert.run(v).changes, close: async () => undefined }, failing);
    await expect(broken.put('y')).rejects.toThrow('EIO');
    await settle(sync.close(), calls);
    await failing.close().catch(() => undefined);
  });

  it('an opened store keeps FULL by syncing itself: SQLite runs NORMAL and answers come after the fsync', async () => {
    const { calls, fsyncOf } = heldFsync();
    const release = () => calls.splice(0).forEach((c) => c.finish());
    const store = openSqliteStore({ file: join(dir, 'store.db'), syncLog: fsyncOf });
    expect(store.raw.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(await settle(store.getSetting('k'), calls)).toBeNull();
    let stored = false;
    const put = store.putSetting('k', 'v').then(() => (stored = true));
    await tick();
    expect(stored).toBe(false);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.ino).toBe(statSync(join(dir, 'store.db-wal')).ino);
    release();
    await put;
    expect(await store.getSetting('k')).toBe('v');
    await settle(store.close(), calls);
    const normal = openSqliteStore({ file: join(dir, 'normal.db'), synchronous: 'NORMAL' });
    expect(normal.raw.pragma('synchronous', { simple: true })).toBe(1);
    await normal.close();
  });
});
