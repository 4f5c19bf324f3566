import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration and e2e tests start dynalite servers and child processes; keep them apart.
    pool: 'forks',
    // The in-process handlers log structured JSON; tests keep only errors on the console.
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
