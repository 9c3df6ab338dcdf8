import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * `createApp` must run on Workers as well as Node: bundling src/app.ts for a neutral platform must
 * pull in no `node:*` module, no Node built-in and no database driver.
 */
describe('portability of the app', () => {
  it('src/app.ts imports no runtime, driver or node:* module', async () => {
    const result = await build({
      entryPoints: [new URL('../src/app.ts', import.meta.url).pathname],
      bundle: true,
      write: false,
      platform: 'neutral',
      format: 'esm',
      mainFields: ['module', 'main'],
      metafile: true,
      logLevel: 'silent',
      external: ['node:*', 'fs', 'path', 'url', 'crypto', 'os', 'http', 'net', 'stream', 'events', 'util'],
    });
    const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
    expect(imports).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    for (const forbidden of ['better-sqlite3', 'node_modules/pg/', 'drizzle-orm/better-sqlite3', '@hono/node-server', 'src/runtime/', 'src/store/sqlite/']) {
      expect(inputs.filter((i) => i.includes(forbidden)), forbidden).toEqual([]);
    }
  });
});
