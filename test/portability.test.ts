import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleWorker } from './support/worker-bundle';

/**
 * `createApp` must run on Workers as well as Node: bundling src/app.ts for a neutral platform must
 * pull in no `node:*` module, no Node built-in and no database driver. The Workers entry, bundled as
 * a deploy bundles it, must pull in only the D1 driver.
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

  it('the Workers entry bundles for workerd with no Node module, no Node driver and no Node entry', async () => {
    const { metafile } = await bundleWorker();
    const imports = Object.values(metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
    expect(imports).toEqual([]);
    const inputs = Object.keys(metafile.inputs);
    for (const forbidden of ['better-sqlite3', 'node_modules/pg/', 'drizzle-orm/better-sqlite3', 'drizzle-orm/node-postgres', '@hono/node-server', 'src/store/pg/', 'src/store/sqlite/store.ts', 'src/runtime/node.ts', 'src/runtime/config-file.ts', 'sandbox/']) {
      expect(inputs.filter((i) => i.includes(forbidden)), forbidden).toEqual([]);
    }
    expect(inputs.some((i) => i.includes('drizzle-orm/d1/'))).toBe(true);
  });
});
