import { defineConfig } from 'vitest/config';

// Tests import workspace packages from their TypeScript sources (the "ioc:source"
// export condition), so they never depend on a stale build in dist/.
const conditions = ['ioc:source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['ioc:source'] } },
  test: {
    include: ['*/src/**/*.test.ts', 'ioc-web/app/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/src/global-setup.ts'],
    // Integration suites each start real servers on fixed ports; run files one at a time.
    fileParallelism: false,
    reporters: ['default'],
  },
});
