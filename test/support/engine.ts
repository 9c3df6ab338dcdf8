import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../contracts';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { createGateway, type Gateway } from '../../src/gateway';
import { silentLogger } from '../../src/lib/log';
import { sandboxConfigFile, sandboxSecrets } from '../../src/runtime/sandbox-mode';
import { openSqliteStore } from '../../src/store/sqlite/store';
import type { Store } from '../../src/store/types';

/**
 * The engine in-process against the simulators over real HTTP: for tests that drive delivery
 * rounds themselves (drift, reprocessing) instead of waiting on a scheduler.
 */
export interface Engine {
  sandbox: RunningSandbox;
  store: Store;
  gateway: Gateway;
  /** Runs delivery rounds until nothing is due (or a bound is hit). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export async function createEngine(): Promise<Engine> {
  const sandbox = await startSandbox({ generator: false, province: { rateLimitPerSecond: 0 }, dvcqg: { rateLimitPerSecond: 0 } });
  const dir = mkdtempSync(join(tmpdir(), 'lienthong-engine-'));
  const store = openSqliteStore({ file: join(dir, 'engine.db') });
  const file = sandboxConfigFile(sandbox);
  const config = resolveConfig(
    {
      ...file,
      targets: { province: { ...file.targets.province, requestsPerSecond: 1000 }, dvcqg: { ...file.targets.dvcqg, requestsPerSecond: 1000 } },
      delivery: { ...file.delivery, backoffBaseMs: 1, backoffMaxMs: 5 },
    },
    sandboxSecrets(sandbox),
  );
  const gateway = createGateway({ config, store, now: Date.now, logger: silentLogger, owner: 'engine-test' });
  return {
    sandbox,
    store,
    gateway,
    async drain() {
      for (let round = 0; round < 200; round++) {
        let handled = 0;
        for (const w of gateway.workers) handled += await w.runOnce();
        if (handled === 0) {
          await new Promise((r) => setTimeout(r, 20));
          let again = 0;
          for (const w of gateway.workers) again += await w.runOnce();
          if (again === 0) return;
        }
      }
    },
    async close() {
      await store.close();
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
