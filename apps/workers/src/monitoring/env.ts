/* eslint-disable no-restricted-properties -- the one module that reads the monitoring process's environment */
import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";
import { fleetEnvSchema } from "@ems/contracts/fleet";
import { withSecretFiles } from "@ems/config/secrets";
import { databaseUrls } from "@ems/db/env";
import type { Logger } from "@ems/messaging";
import { sharedEnvSchema } from "../shared/env.ts";
import { DEFAULT_HELD_SWEEP_INTERVAL_MS, DEFAULT_HOLD_GRACE_MS, DEFAULT_HOLD_MAX_READINGS } from "./held-readings.ts";
import type { MonitoringConfig } from "./monitoring.ts";
import { DEFAULT_RATE_WINDOW_MS } from "./partition-rates.ts";
import { DEFAULT_RETENTION_DAYS } from "./retention.ts";
import { DEFAULT_SILENCE_SWEEP_INTERVAL_MS } from "./silence/sweep.ts";

const count = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

/**
 * The monitoring process's settings, parsed once at start-up. The database URL (MONITORING_DATABASE_URL,
 * with MONITORING_DATABASE_PASSWORD[_FILE]) is read by @ems/db/env, like every database URL.
 */
export const monitoringEnv = createEnv({
  server: {
    ...sharedEnvSchema,
    /** FLEET_SILENT_AFTER_MINUTES: when the "device silent" alarm is raised (shared with the web's console). */
    ...fleetEnvSchema,
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
    /**
     * Unacknowledged messages held per partition consumer. A message is one reading or a batch of up to
     * BALANCER_BATCH_MAX (200): 100 holds up to 20,000 readings, plenty for batches of 500 to fill while
     * one commits, and few enough that a partition given up drains in seconds. With one message per
     * reading (BALANCER_BATCH_MAX=1), 1000 as before batches (docs/RELIABILITY.md).
     */
    MONITORING_PREFETCH: count(1, 10_000, 100),
    MONITORING_BATCH_SIZE: count(1, 5_000, 500),
    MONITORING_BATCH_CONCURRENCY: count(1, 16, 1),
    MONITORING_DB_POOL_SIZE: count(1, 50, 4),
    /** Longest a database statement may run before the batch is failed and retried (milliseconds). */
    MONITORING_STATEMENT_TIMEOUT_MS: count(100, 600_000, 30_000),
    MONITORING_SYNC_PREFETCH: count(1, 1_000, 20),
    CONSUMPTION_UPDATE_INTERVAL_MS: count(0, 60_000, 1_000),
    MONITORING_RETRY_DELAY_MS: count(0, 60_000, 1_000),
    MONITORING_STATS_INTERVAL_MS: count(0, 3_600_000, 10_000),
    /** Each held partition's newly counted readings are recorded per window this long (the admin console's readings/s). */
    MONITORING_RATE_WINDOW_MS: count(1_000, 3_600_000, DEFAULT_RATE_WINDOW_MS),
    /** Readings are kept (and deduplicated) for today and this many UTC days before it; older ones are refused. */
    MONITORING_RETENTION_DAYS: count(1, 3_650, DEFAULT_RETENTION_DAYS),
    /** A reading of a device with no sync event yet is held this long, then dead-lettered. */
    MONITORING_HOLD_GRACE_MS: count(0, 30 * 86_400_000, DEFAULT_HOLD_GRACE_MS),
    /** At most this many readings of not-yet-synced devices are held (all replicas); beyond, they are dead-lettered. */
    MONITORING_HOLD_MAX_READINGS: count(0, 100_000_000, DEFAULT_HOLD_MAX_READINGS),
    /** How often held readings are looked at (counted once their device is known; expired after the grace). */
    MONITORING_HELD_SWEEP_INTERVAL_MS: count(100, 3_600_000, DEFAULT_HELD_SWEEP_INTERVAL_MS),
    /** How often devices are looked at for "device silent" alarms to raise or clear (one replica at a time). */
    MONITORING_SILENCE_SWEEP_INTERVAL_MS: count(100, 3_600_000, DEFAULT_SILENCE_SWEEP_INTERVAL_MS),
  },
  runtimeEnv: withSecretFiles(process.env, ["RABBITMQ_URL"]),
  emptyStringAsUndefined: true,
});

/** A replica's configuration from these settings (the process entry, and `bench:pipeline`'s replicas). */
export function monitoringConfigFromEnv(replica: { partitionIndex: number | undefined; memberId: string | undefined; log: Logger }): MonitoringConfig {
  const env = monitoringEnv;
  return {
    rabbitmqUrl: env.RABBITMQ_URL,
    queuePrefix: env.QUEUE_PREFIX,
    partitionCount: env.PARTITION_COUNT,
    ...replica,
    elastic: {
      preferredPartition: env.TASK_SLOT === undefined ? undefined : env.TASK_SLOT - 1,
      rebalanceIntervalMs: env.MONITORING_REBALANCE_INTERVAL_MS,
      takeoverGraceMs: env.MONITORING_TAKEOVER_GRACE_MS,
      drainQuietMs: env.MONITORING_DRAIN_QUIET_MS,
    },
    databaseUrl: databaseUrls.monitoring,
    databasePoolSize: env.MONITORING_DB_POOL_SIZE,
    statementTimeoutMs: env.MONITORING_STATEMENT_TIMEOUT_MS,
    prefetch: env.MONITORING_PREFETCH,
    batchSize: env.MONITORING_BATCH_SIZE,
    batchConcurrency: env.MONITORING_BATCH_CONCURRENCY,
    syncPrefetch: env.MONITORING_SYNC_PREFETCH,
    consumptionUpdateIntervalMs: env.CONSUMPTION_UPDATE_INTERVAL_MS,
    retryDelayMs: env.MONITORING_RETRY_DELAY_MS,
    retentionDays: env.MONITORING_RETENTION_DAYS,
    holdGraceMs: env.MONITORING_HOLD_GRACE_MS,
    holdMaxReadings: env.MONITORING_HOLD_MAX_READINGS,
    heldSweepIntervalMs: env.MONITORING_HELD_SWEEP_INTERVAL_MS,
    silentAfterMinutes: env.FLEET_SILENT_AFTER_MINUTES,
    silenceSweepIntervalMs: env.MONITORING_SILENCE_SWEEP_INTERVAL_MS,
    stallTimeoutMs: env.WORKER_STALL_TIMEOUT_MS,
    statsIntervalMs: env.MONITORING_STATS_INTERVAL_MS,
    rateWindowMs: env.MONITORING_RATE_WINDOW_MS,
  };
}
