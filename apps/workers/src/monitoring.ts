/**
 * Monitoring replica: `tsx src/monitoring.ts` claims its partition(s) by itself (elastic; Swarm's
 * TASK_SLOT is only a preference), `--partition i` (or PARTITION_INDEX) pins it to partition i.
 * Settings: see README, "Monitoring".
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { consoleLogger } from "@ems/messaging";
import { databaseUrls } from "@ems/db/env";
import { exitOnStartupFailure, stopOnSignals } from "@ems/runtime";
import { monitoringEnv as env } from "./monitoring/env.ts";
import { startMonitoring } from "./monitoring/monitoring.ts";
import { startHeartbeat } from "./shared/heartbeat.ts";

const startupLog = consoleLogger("monitoring", env.LOG_LEVEL);
/** The pinned partition, if any: `--partition i`, else PARTITION_INDEX. */
function pinnedPartition(): number | undefined {
  const { values } = parseArgs({ options: { partition: { type: "string", short: "p" } } });
  if (values.partition !== undefined) {
    if (!/^\d+$/.test(values.partition)) throw new Error(`--partition must be a non-negative integer, got "${values.partition}"`);
    return Number(values.partition);
  }
  return env.PARTITION_INDEX;
}

const partitionIndex = (() => {
  try {
    return pinnedPartition();
  } catch (error) {
    return exitOnStartupFailure(startupLog)(error);
  }
})();

// Elastic replicas are told apart by a short random id (logs, RabbitMQ connection names, pg_stat_activity).
const memberId = partitionIndex === undefined ? randomBytes(3).toString("hex") : undefined;
const log = consoleLogger(`monitoring-${partitionIndex ?? memberId}`, env.LOG_LEVEL);
const monitoring = await startMonitoring({
  rabbitmqUrl: env.RABBITMQ_URL,
  queuePrefix: env.QUEUE_PREFIX,
  partitionCount: env.PARTITION_COUNT,
  partitionIndex,
  memberId,
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
  heldSweepIntervalMs: env.MONITORING_HELD_SWEEP_INTERVAL_MS,
  stallTimeoutMs: env.WORKER_STALL_TIMEOUT_MS,
  statsIntervalMs: env.MONITORING_STATS_INTERVAL_MS,
  log,
}).catch(exitOnStartupFailure(startupLog));
startHeartbeat(() => monitoring.healthy());
stopOnSignals(log, () => monitoring.stop());
