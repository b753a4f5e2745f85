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
    /** The partition this replica consumes; `--partition i` overrides it. */
    PARTITION_INDEX: z.coerce.number().int().min(0).optional(),
    /** Swarm's {{.Task.Slot}} (1-based): partition = slot - 1 when neither --partition nor PARTITION_INDEX is given. */
    TASK_SLOT: z.coerce.number().int().min(1).optional(),
    MONITORING_PREFETCH: count(1, 10_000, 1_000),
    MONITORING_BATCH_SIZE: count(1, 5_000, 500),
    MONITORING_BATCH_CONCURRENCY: count(1, 16, 1),
    MONITORING_DB_POOL_SIZE: count(1, 50, 4),
    MONITORING_SYNC_PREFETCH: count(1, 1_000, 20),
    CONSUMPTION_UPDATE_INTERVAL_MS: count(0, 60_000, 1_000),
    MONITORING_RETRY_DELAY_MS: count(0, 60_000, 1_000),
    MONITORING_STATS_INTERVAL_MS: count(0, 3_600_000, 10_000),
  },
  runtimeEnv: withSecretFiles(process.env, ["RABBITMQ_URL"]),
  emptyStringAsUndefined: true,
});
