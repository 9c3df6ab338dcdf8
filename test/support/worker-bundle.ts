import { build, type Metafile } from 'esbuild';

/**
 * Bundles src/runtime/worker.ts the way a Workers deploy does: for the `workerd` and `worker`
 * export conditions, on esbuild's neutral platform (no Node built-ins), with the migration files
 * as text. Anything Node-only is left as an import, so a test can see it and fail.
 */
export const WORKER_ENTRY = new URL('../../src/runtime/worker.ts', import.meta.url).pathname;

export const NODE_ONLY = ['node:*', 'fs', 'path', 'url', 'crypto', 'os', 'http', 'https', 'net', 'tls', 'stream', 'events', 'util', 'buffer', 'child_process', 'worker_threads', 'zlib'];

export async function bundleWorker(): Promise<{ code: string; metafile: Metafile }> {
  const result = await build({
    entryPoints: [WORKER_ENTRY],
    bundle: true,
    write: false,
    outfile: 'worker.js',
    platform: 'neutral',
    format: 'esm',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    loader: { '.sql': 'text' },
    metafile: true,
    logLevel: 'silent',
    external: NODE_ONLY,
  });
  return { code: result.outputFiles.find((f) => f.path.endsWith('.js'))!.text, metafile: result.metafile };
}
