import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

/**
 * A target thread that dies on its first call, once: the marker file (LIENTHONG_TEST_DYING_MARKER)
 * records that it has. The next LIENTHONG_TEST_FAILED_STARTS threads (default none) exit before
 * they are ready; every later thread is the real one.
 */
const marker = process.env['LIENTHONG_TEST_DYING_MARKER']!;
const failedStarts = Number(process.env['LIENTHONG_TEST_FAILED_STARTS'] ?? 0);
const startsFile = `${marker}.starts`;
if (existsSync(marker)) {
  const failed = existsSync(startsFile) ? Number(readFileSync(startsFile, 'utf8')) : 0;
  if (failed < failedStarts) {
    writeFileSync(startsFile, String(failed + 1));
    process.exit(4);
  }
  await import('../../src/runtime/target-thread');
} else {
  const port = parentPort!;
  port.on('message', () => {
    writeFileSync(marker, 'died');
    process.exit(3);
  });
  const shape = (target: string, batchSize: number) => ({ target, batchSize, concurrency: 1 });
  port.postMessage({ kind: 'ready', clients: { province: shape('province', 1), dvcqg: { ...shape('dvcqg', 50), after: 'province' } } });
}
