import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // One set of migrated test databases per run (see @ems/db/testing); RabbitMQ names get a
    // per-test QUEUE_PREFIX so runs never share queues.
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests share one broker and database server on a 2-core machine.
    fileParallelism: false,
  },
});
