import { defineConfig } from 'vitest/config';

// Unit tests sit next to the code (src/**/*.test.ts). Integration tests (test/integration) run
// against the real local control plane, started once per run by test/integration/setup.ts.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'scripts/**/*.test.ts', 'test/architecture/**/*.test.ts', 'test/compose-corpus/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        // Output formats (kustomize, helm) through the real peer tools; no cluster needed.
        test: {
          name: 'conformance',
          include: ['test/conformance/**/*.test.ts'],
          testTimeout: 120_000,
        },
      },
      {
        // Against a real local control plane (etcd + apiserver + controller-manager + scheduler +
        // kwok), started once per run by setup.ts. Files run one after another: they share the
        // cluster and a 2-core machine; each test uses its own namespace (harness.ts).
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
