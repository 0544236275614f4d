import { defineConfig } from 'vitest/config';

const e2e = {
  include: ['test/e2e/**/*.test.ts'],
  testTimeout: 180_000,
  hookTimeout: 120_000,
  // Each e2e file starts a twin, an app and a job engine; two at once is all two cores take.
  maxWorkers: 2,
};

// With a PostgreSQL server to use, the whole e2e suite runs a second time in scale-out mode:
// one web and two worker processes on PostgreSQL (.ci/run provides the server).
const postgres = process.env.SWITCHYARD_TEST_DATABASE_URL;

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      { test: { name: 'e2e', ...e2e } },
      ...(postgres
        ? [
            {
              test: {
                name: 'e2e-postgres',
                ...e2e,
                // These start their own processes (in both modes where it matters) and run once, in the e2e project.
                exclude: ['test/e2e/durability.test.ts', 'test/e2e/chaos.test.ts', 'test/e2e/wizard.test.ts'],
                env: { SWITCHYARD_TEST_MODE: 'postgres' },
              },
            },
          ]
        : []),
    ],
  },
});
