/* eslint-disable no-restricted-properties -- the one module that reads the monitoring process's environment */
import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";
import { withSecretFiles } from "@ems/config/secrets";
import { sharedEnvSchema } from "../shared/env.ts";

const count = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

/**
 * The monitoring process's settings, parsed once at start-up. The database URL (MONITORING_DATABASE_URL,
 * with MONITORING_DATABASE_PASSWORD[_FILE]) is read by @ems/db/env, like every database URL.
 */
export const monitoringEnv = createEnv({
  server: {
    ...sharedEnvSchema,
    /** Pins the replica to this one partition (tests, benchmarks); `--partition i` does the same. Unset: elastic. */
    PARTITION_INDEX: z.coerce.number().int().min(0).optional(),
    /** Swarm's {{.Task.Slot}} (1-based): an elastic replica claims partition slot - 1 first, if it is free. */
    TASK_SLOT: z.coerce.number().int().min(1).optional(),
    /** How often an elastic replica looks at who holds which partition. */
    MONITORING_REBALANCE_INTERVAL_MS: count(100, 60_000, 1_000),
    /** A replica that has a partition in use waits this long before taking over a free one. */
    MONITORING_TAKEOVER_GRACE_MS: count(0, 600_000, 3_000),
    /** A partition no longer in use is released once its queue was empty and quiet for this long. */
    MONITORING_DRAIN_QUIET_MS: count(0, 600_000, 5_000),
    MONITORING_PREFETCH: count(1, 10_000, 1_000),
    MONITORING_BATCH_SIZE: count(1, 5_000, 500),
    MONITORING_BATCH_CONCURRENCY: count(1, 16, 1),
    MONITORING_DB_POOL_SIZE: count(1, 50, 4),
    /** Longest a database statement may run before the batch is failed and retried (milliseconds). */
    MONITORING_STATEMENT_TIMEOUT_MS: count(100, 600_000, 30_000),
    MONITORING_SYNC_PREFETCH: count(1, 1_000, 20),
    CONSUMPTION_UPDATE_INTERVAL_MS: count(0, 60_000, 1_000),
    MONITORING_RETRY_DELAY_MS: count(0, 60_000, 1_000),
    MONITORING_STATS_INTERVAL_MS: count(0, 3_600_000, 10_000),
  },
  runtimeEnv: withSecretFiles(process.env, ["RABBITMQ_URL"]),
  emptyStringAsUndefined: true,
});
