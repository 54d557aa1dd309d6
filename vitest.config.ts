import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/reliability/**/*.test.ts', 'test/differential/**/*.test.ts', 'test/golden/**/*.test.ts', 'test/soak/**/*.test.ts', 'test/scale/**/*.test.ts', 'test/browser/**/*.test.ts'],
    globalSetup: ['test/setup/build-cli.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The SDK warns once per process on Node < 22; the tests run on Node 20 on purpose.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
