import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One local stack (Postgres, pg_cron, pg_net worker, functions, gateway)
    // serves the whole run; see test/support/global-setup.ts.
    globalSetup: ['test/support/global-setup.ts'],
    // Files share that stack's queue: a tick in one file would claim another
    // file's events, so files run one after another.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
