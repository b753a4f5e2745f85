/* eslint-disable no-restricted-properties -- the one module that reads the balancer's environment */
import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";
import { withSecretFiles } from "@ems/config/secrets";
import { sharedEnvSchema } from "../shared/env.ts";

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
    /** Interval of the per-partition count log line; 0 disables it. */
    BALANCER_STATS_INTERVAL_MS: z.coerce.number().int().min(0).default(10_000),
  },
  runtimeEnv: withSecretFiles(process.env, ["RABBITMQ_URL"]),
  emptyStringAsUndefined: true,
});
