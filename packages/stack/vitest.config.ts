import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The local-run smoke test starts every process against this run's own databases.
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    // vitest would otherwise also collect the fault-injection harness's helpers.
    include: ["src/**/*.test.ts"],
  },
});
