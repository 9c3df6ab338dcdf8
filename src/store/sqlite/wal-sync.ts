import type Database from 'better-sqlite3';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Power-loss durability with the fsync off the event loop. SQLite's `synchronous = FULL` fsyncs the
 * write-ahead log inside every commit, and better-sqlite3 runs on the calling thread: each commit
 * held the gateway's one thread for the whole fsync (about 250 µs here, far more on slow disks),
 * a tenth of its time under load. So the connection runs with `synchronous = NORMAL` (commits
 * append to the log and the checkpoints sync as usual) and the store's every answer waits for an
 * fsync of the log, made on libuv's thread pool, that began after its writes: the same frames are
 * on disk before anything leaves the store as with FULL, and commits that come together share one
 * fsync. Reads wait too while writes are unsynced, so nothing seen can be lost after it was seen.
 */
export interface WalSync {
  /** Resolves once everything written so far is on disk; undefined when nothing is waiting. */
  durable(): Promise<void> | undefined;
  close(): Promise<void>;
}

export function walSync(raw: Database.Database, file: string, fsyncOf: (handle: FileHandle) => Promise<void> = (h) => h.sync()): WalSync {
  const totalChanges = raw.prepare('select total_changes()').pluck();
  const changes = () => totalChanges.get() as number;
  // What the migrations wrote at open is synced with the first answer.
  let synced = -1;
  let handle: Promise<FileHandle> | undefined;
  let running: Promise<void> | undefined;
  let runningUpTo = synced;
  let queued: Promise<void> | undefined;

  /** The log's directory entry is made durable once, as SQLite does for a log it creates. */
  const openLog = async () => {
    const dir = await open(dirname(file), 'r');
    try {
      await fsyncOf(dir);
    } finally {
      await dir.close();
    }
    return open(`${file}-wal`, 'r');
  };

  const run = async () => {
    const upTo = (runningUpTo = changes());
    const log = await (handle ??= openLog()).catch((err: NodeJS.ErrnoException) => {
      handle = undefined;
      // No log yet: nothing was written to it.
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (log) await fsyncOf(log);
    synced = Math.max(synced, upTo);
  };

  const durable = (): Promise<void> | undefined => {
    const now = changes();
    if (now === synced) return undefined;
    if (running && now <= runningUpTo) return running;
    if (!running) {
      running = run().finally(() => (running = undefined));
      return running;
    }
    // Writes made while an fsync runs may have missed it: they share the next one.
    queued ??= running
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return durable();
      });
    return queued;
  };

  return {
    durable,
    async close() {
      try {
        await durable();
      } finally {
        await (await handle?.catch(() => undefined))?.close();
      }
    },
  };
}

/** The store with every answer held until what it wrote, and what it read, is on disk. */
export function durableAfterEach<S extends { close(): Promise<void> }>(store: S, sync: WalSync): S {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(store)) {
    if (typeof value !== 'function' || name === 'close') {
      wrapped[name] = value;
      continue;
    }
    const fn = value as (...args: unknown[]) => unknown;
    wrapped[name] = (...args: unknown[]) => {
      const result = fn(...args);
      if (!(result instanceof Promise)) return result;
      return result.then((v) => {
        const pending = sync.durable();
        return pending ? pending.then(() => v) : v;
      });
    };
  }
  wrapped['close'] = async () => {
    await sync.close();
    await store.close();
  };
  return wrapped as S;
}
