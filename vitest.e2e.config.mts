import { defineConfig } from 'vitest/config';

// End-to-end suites: a real server (or the Electron app), real SQLite, real small training, Debian's Chromium.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.test.ts'],
    environment: 'node',
    testTimeout: 600_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
    // A UI on a loaded 2-core machine can take a few seconds to catch up; expect.poll's 1 s default is too tight.
    expect: { poll: { timeout: 15_000, interval: 100 } },
  },
});
