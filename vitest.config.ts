import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Real child processes, real SQLite files and a real Chromium: isolate in forks and give
    // integration suites room; nothing here asserts on wall-clock speed (that is bench/).
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
