import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src-main/**/*.test.ts', 'src-shared/**/*.test.ts', 'src-renderer/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['src-main/testing/vitest-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // TF.js's wasm backend and SQLite files are per process; separate forks keep tests independent.
    pool: 'forks',
    fileParallelism: false,
  },
});
