import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['contracts/**/*.test.ts', 'adapters/**/*.test.ts', 'src/**/*.test.{ts,tsx}', 'sandbox/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two at a time: the end-to-end suites run gateway processes and simulators of their own, and
    // on two cores more of them side by side starve each other's timing.
    maxWorkers: 2,
  },
});
