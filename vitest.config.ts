import { defineConfig } from 'vitest/config';

// One suite for the whole repository: unit tests beside the code (*.test.ts) and the
// cross-part tests in test/. The global setup starts the local control plane once.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'out/**'],
    globalSetup: ['test/setup/console.ts', 'test/setup/local-env.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
