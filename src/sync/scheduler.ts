import type { Logger } from '../lib/log';
import type { DeliveryPipeline, DeliveryWorker } from './deliverer';
import type { PollRunner } from './poll-runner';

/**
 * Keeps the pollers and delivery workers running on a long-lived runtime (Node). Each loop runs one
 * round at a time; a delivery worker with nothing to do sleeps for `idleMs`.
 */
export interface Scheduler {
  start(): void;
  stop(): Promise<void>;
  /** Wakes idle delivery workers (after new work was accepted). */
  nudge(): void;
  /** Wakes idle delivery workers when work becomes due in `ms` (one timer, at the earliest time asked). */
  wakeIn(ms: number): void;
}

/** How long the wake-ups that finished calls cause are gathered (see `wakeSoon`). */
export const SETTLE_WAKE_MS = 10;

export function createScheduler(deps: {
  workers: readonly DeliveryWorker[];
  pollers: readonly { runner: PollRunner; intervalMs: number }[];
  /** Periodic jobs (mapping refresh, drift check), run after their first interval. */
  tasks?: readonly { name: string; intervalMs: number; run(): Promise<unknown> }[];
  idleMs: number;
  logger: Logger;
}): Scheduler {
  let running = false;
  const unsubscribe: (() => void)[] = [];
  const loops: Promise<void>[] = [];
  const idleWorkers = new Set<() => void>();
  const idlePollers = new Set<() => void>();
  const sleep = (ms: number, sleepers: Set<() => void>) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleepers.add(wake);
    });

  const wakeIdle = () => idleWorkers.forEach((wake) => wake());
  let wakeTimer: { at: number; timer: ReturnType<typeof setTimeout> } | undefined;
  const wakeIn = (ms: number) => {
    if (ms <= 0) return wakeIdle();
    const at = Date.now() + ms;
    if (wakeTimer && wakeTimer.at <= at) return;
    if (wakeTimer) clearTimeout(wakeTimer.timer);
    const timer = setTimeout(() => {
      wakeTimer = undefined;
      wakeIdle();
    }, ms);
    (timer as { unref?: () => void }).unref?.();
    wakeTimer = { at, timer };
  };

  /**
   * Calls settle hundreds of times a second under load, and each wake-up may cost a claim: the
   * wake-ups they cause are gathered, at most one every SETTLE_WAKE_MS, so a claim serves several.
   */
  let soon: ReturnType<typeof setTimeout> | undefined;
  const wakeSoon = () => {
    soon ??= setTimeout(() => {
      soon = undefined;
      wakeIdle();
    }, SETTLE_WAKE_MS);
  };

  const workerLoop = async (worker: DeliveryWorker) => {
    while (running) {
      let handled = 0;
      try {
        handled = await worker.runOnce();
        // What one target just took may be what another waits for (the portal follows the province).
        if (handled > 0) wakeIdle();
      } catch (err) {
        deps.logger.error('delivery round failed', { error: (err as Error).name, message: (err as Error).message.slice(0, 200) });
      }
      if (handled === 0 && running) await sleep(deps.idleMs, idleWorkers);
    }
  };
  /** A worker with a pipeline claims whenever call slots free up, and sleeps only when it claimed nothing. */
  const pipelineLoop = async (pipeline: DeliveryPipeline) => {
    while (running) {
      let claimed = 0;
      try {
        claimed = await pipeline.fill();
      } catch (err) {
        deps.logger.error('delivery round failed', { error: (err as Error).name, message: (err as Error).message.slice(0, 200) });
      }
      // Woken during a claim gap, it sleeps until the gap's end rather than for a whole idle period.
      if (claimed === 0 && running) await sleep(pipeline.nextClaimIn() || deps.idleMs, idleWorkers);
    }
    await pipeline.drain();
  };
  const pollLoop = async (runner: PollRunner, intervalMs: number) => {
    while (running) {
      await runner.runOnce();
      if (running) await sleep(intervalMs, idlePollers);
    }
  };

  const taskLoop = async (task: { name: string; intervalMs: number; run(): Promise<unknown> }) => {
    while (running) {
      await sleep(task.intervalMs, idlePollers);
      if (!running) break;
      try {
        await task.run();
      } catch (err) {
        deps.logger.error('periodic job failed', { job: task.name, error: (err as Error).name });
      }
    }
  };

  return {
    start() {
      if (running) return;
      running = true;
      for (const w of deps.workers) {
        if (w.pipeline) {
          // A call's outcome may be what another target waits for (the portal follows the province),
          // and it frees a slot of its own worker.
          unsubscribe.push(w.pipeline.onSettled(wakeSoon));
          loops.push(pipelineLoop(w.pipeline));
        } else loops.push(workerLoop(w));
      }
      for (const p of deps.pollers) loops.push(pollLoop(p.runner, p.intervalMs));
      for (const t of deps.tasks ?? []) loops.push(taskLoop(t));
    },
    async stop() {
      running = false;
      if (wakeTimer) clearTimeout(wakeTimer.timer);
      wakeTimer = undefined;
      if (soon) clearTimeout(soon);
      soon = undefined;
      unsubscribe.splice(0).forEach((u) => u());
      [...idleWorkers, ...idlePollers].forEach((wake) => wake());
      await Promise.all(loops.splice(0));
    },
    nudge: wakeIdle,
    wakeIn,
  };
}
