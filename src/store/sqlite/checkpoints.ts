import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints off the event loop. In WAL mode SQLite copies the log back into the database (a
 * checkpoint) inside the commit that takes the log past 1000 pages, on the thread that commits:
 * under load that was every few dozen commits, each holding the gateway's one thread for several
 * milliseconds (a checkpoint writes and syncs the database file), over half the time spent
 * committing. Here a thread of its own, with its own connection, runs a passive checkpoint every
 * `intervalMs`: it never takes the write lock, so the gateway's commits neither wait for it nor
 * run it. A log that is wholly copied is started over by the next commit, so it stays small.
 *
 * A passive checkpoint copies only what was committed when it began. Should commits come so close
 * together that it never catches up (the log then only grows), the connection's own checkpoint
 * takes over at `backstopPages` and copies the little that is left. If the thread fails, the
 * connection checkpoints as SQLite does by default.
 */
export interface CheckpointResult {
  /** 1 when a lock kept it from copying everything. */
  busy: number;
  /** Frames in the log, and of those, how many are copied back into the database. */
  log: number;
  checkpointed: number;
}

export interface BackgroundCheckpoints {
  /** Runs a checkpoint now and resolves with SQLite's answer. */
  now(): Promise<CheckpointResult>;
  /** The answer of the thread's latest checkpoint, undefined before its first. */
  latest(): CheckpointResult | undefined;
  close(): Promise<void>;
}

const SQLITE_DEFAULT_PAGES = 1000;

/** The thread, as plain JavaScript: it needs only the driver, and starts without a TypeScript loader. */
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
// It never commits: NORMAL and FULL alike sync the log before a checkpoint and the database after.
db.pragma('synchronous = NORMAL');
const checkpoint = () => {
  try {
    return db.pragma('wal_checkpoint(PASSIVE)')[0];
  } catch (error) {
    // A lock held a moment too long: the next round copies it.
    return { busy: 1, log: -1, checkpointed: -1, error: String(error && error.message) };
  }
};
let timer = setTimeout(function tick() {
  parentPort.postMessage({ result: checkpoint() });
  timer = setTimeout(tick, workerData.intervalMs);
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m.type === 'now') parentPort.postMessage({ id: m.id, result: checkpoint() });
  if (m.type === 'close') {
    clearTimeout(timer);
    db.close();
    parentPort.close();
  }
});
`;

export function backgroundCheckpoints(
  raw: Database.Database,
  options: { file: string; intervalMs?: number; backstopPages?: number },
): BackgroundCheckpoints {
  raw.pragma(`wal_autocheckpoint = ${options.backstopPages ?? 10_000}`);
  const worker = new Worker(THREAD, {
    eval: true,
    // It allocates almost nothing: a small heap, and not the gateway's semi-space flags.
    execArgv: [],
    resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 8 },
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      file: options.file,
      intervalMs: options.intervalMs ?? 100,
    },
  });
  // The thread keeps no process alive (one that exits mid-checkpoint leaves nothing half done),
  // except while an answer from it is awaited.
  worker.unref();
  let closing = false;
  let alive = true;
  let serial = 0;
  let latest: CheckpointResult | undefined;
  const waiting = new Map<number, { resolve(r: CheckpointResult): void; reject(e: unknown): void }>();
  const fallBack = (error: unknown) => {
    if (!closing && raw.open) raw.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_PAGES}`);
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (code) => {
      alive = false;
      worker.unref();
      fallBack(new Error(`the checkpoint thread exited (${code})`));
      resolve();
    });
  });
  worker.on('error', fallBack);
  worker.on('message', (m: { id?: number; result: CheckpointResult }) => {
    latest = m.result;
    if (m.id === undefined) return;
    waiting.get(m.id)?.resolve(m.result);
    waiting.delete(m.id);
    if (waiting.size === 0 && !closing) worker.unref();
  });

  return {
    now() {
      const id = ++serial;
      if (!alive) return Promise.reject(new Error('the checkpoint thread is not running'));
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.ref();
        worker.postMessage({ type: 'now', id });
      });
    },
    latest: () => latest,
    async close() {
      closing = true;
      if (alive) {
        worker.ref();
        worker.postMessage({ type: 'close' });
      }
      await exited;
    },
  };
}
