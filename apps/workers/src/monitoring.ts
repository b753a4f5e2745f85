/**
 * Monitoring replica: `tsx src/monitoring.ts --partition 0` (or PARTITION_INDEX, or Swarm's TASK_SLOT).
 * Settings: see README, "Monitoring".
 */
import { parseArgs } from "node:util";
import { consoleLogger } from "@ems/messaging";
import { databaseUrls } from "@ems/db/env";
import { monitoringEnv as env } from "./monitoring/env.ts";
import { startMonitoring } from "./monitoring/monitoring.ts";
import { startHeartbeat } from "./shared/heartbeat.ts";
import { exitOnStartupFailure, stopOnSignals } from "./shared/process.ts";

const startupLog = consoleLogger("monitoring", env.LOG_LEVEL);
function resolvePartitionIndex(): number {
  const { values } = parseArgs({ options: { partition: { type: "string", short: "p" } } });
  if (values.partition !== undefined) {
    if (!/^\d+$/.test(values.partition)) throw new Error(`--partition must be a non-negative integer, got "${values.partition}"`);
    return Number(values.partition);
  }
  if (env.PARTITION_INDEX !== undefined) return env.PARTITION_INDEX;
  if (env.TASK_SLOT !== undefined) return env.TASK_SLOT - 1;
  throw new Error("which partition? pass --partition i, or set PARTITION_INDEX or TASK_SLOT");
}

const partitionIndex = (() => {
  try {
    return resolvePartitionIndex();
  } catch (error) {
    return exitOnStartupFailure(startupLog)(error);
  }
})();

const log = consoleLogger(`monitoring-${partitionIndex}`, env.LOG_LEVEL);
const monitoring = await startMonitoring({
  rabbitmqUrl: env.RABBITMQ_URL,
  queuePrefix: env.QUEUE_PREFIX,
  partitionCount: env.PARTITION_COUNT,
  partitionIndex,
  databaseUrl: databaseUrls.monitoring,
  databasePoolSize: env.MONITORING_DB_POOL_SIZE,
  prefetch: env.MONITORING_PREFETCH,
  batchSize: env.MONITORING_BATCH_SIZE,
  batchConcurrency: env.MONITORING_BATCH_CONCURRENCY,
  syncPrefetch: env.MONITORING_SYNC_PREFETCH,
  consumptionUpdateIntervalMs: env.CONSUMPTION_UPDATE_INTERVAL_MS,
  retryDelayMs: env.MONITORING_RETRY_DELAY_MS,
  statsIntervalMs: env.MONITORING_STATS_INTERVAL_MS,
  log,
}).catch(exitOnStartupFailure(startupLog));
startHeartbeat(() => monitoring.healthy());
stopOnSignals(log, () => monitoring.stop());
