/* eslint-disable no-restricted-properties -- the one module that reads the balancer's environment */
import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";
import { withSecretFiles } from "@ems/config/secrets";
import { MAX_READINGS_BATCH_BYTES, MAX_READINGS_PER_BATCH } from "@ems/contracts/readings-batch";
import { sharedEnvSchema } from "../shared/env.ts";
import { DEFAULT_FORWARD_BATCH } from "./forward-batches.ts";

/** The balancer's settings, parsed once at start-up. */
export const balancerEnv = createEnv({
  server: {
    ...sharedEnvSchema,
    /**
     * Unacknowledged readings the balancer holds; its forwards are confirmed concurrently up to this many.
     * Chosen by `npm run bench:pipeline` (docs/RELIABILITY.md, "The balancer's prefetch"): 100 / 250 /
     * 500 / 1000 gave 1,113 / 1,907 / 2,823 / 3,612 readings/s and p99 2.7 / 1.7 / 1.3 / 1.2 s with
     * 2,000 in flight. Each is read whole before the 4 KiB check, so 1000 holds at most 62.5 MiB under
     * the stack's 64 KiB broker limit (the local RabbitMQ has none: its default is 128 MiB).
     */
    BALANCER_PREFETCH: z.coerce.number().int().min(1).max(10_000).default(1_000),
    /**
     * How often the balancer reads the live partition count (monitoring replicas consuming
     * monitoring.sync.queue) from RabbitMQ; 0 fixes the count at PARTITION_COUNT.
     */
    BALANCER_PARTITION_POLL_MS: z.coerce.number().int().min(0).max(60_000).default(2_000),
    /**
     * Readings per partition batch: the balancer sends one message per partition queue carrying up to this
     * many readings (README: "Readings batches"); 1 sends one message per reading, body unchanged.
     */
    BALANCER_BATCH_MAX: z.coerce.number().int().min(1).max(MAX_READINGS_PER_BATCH).default(DEFAULT_FORWARD_BATCH.maxReadings),
    /** Longest a reading waits for its batch to fill (adds at most this to its latency). */
    BALANCER_BATCH_LINGER_MS: z.coerce.number().int().min(0).max(1_000).default(DEFAULT_FORWARD_BATCH.lingerMs),
    /** Largest batch body; below the broker's maximum message size (64 KiB in the stack). */
    BALANCER_BATCH_MAX_BYTES: z.coerce.number().int().min(8_192).max(MAX_READINGS_BATCH_BYTES).default(DEFAULT_FORWARD_BATCH.maxBytes),
    /** Interval of the per-partition count log line; 0 disables it. */
    BALANCER_STATS_INTERVAL_MS: z.coerce.number().int().min(0).default(10_000),
  },
  runtimeEnv: withSecretFiles(process.env, ["RABBITMQ_URL"]),
  emptyStringAsUndefined: true,
});
