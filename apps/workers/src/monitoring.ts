/**
 * Monitoring replica: `tsx src/monitoring.ts` claims its partition(s) by itself (elastic; Swarm's
 * TASK_SLOT is only a preference), `--partition i` (or PARTITION_INDEX) pins it to partition i.
 * Settings: see README, "Monitoring".
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { consoleLogger } from "@ems/messaging";
import { exitOnStartupFailure, stopOnSignals } from "@ems/runtime";
import { monitoringConfigFromEnv, monitoringEnv as env } from "./monitoring/env.ts";
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
const monitoring = await startMonitoring(monitoringConfigFromEnv({ partitionIndex, memberId, log })).catch(exitOnStartupFailure(startupLog));
startHeartbeat(() => monitoring.healthy());
stopOnSignals(log, () => monitoring.stop());
