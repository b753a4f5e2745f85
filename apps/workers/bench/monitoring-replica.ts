/**
 * A monitoring replica for `bench:pipeline`, in its own process as deployed: the settings of the
 * process entry (src/monitoring.ts, from the same environment variables), plus one thing the
 * benchmark needs: after each commit it sends the committed readings' keys ("deviceId@timestamp") to
 * the benchmark over the IPC channel, which measures publish → commit latency with them.
 */
import { randomBytes } from "node:crypto";
import { consoleLogger } from "@ems/messaging";
import { monitoringConfigFromEnv, monitoringEnv as env } from "../src/monitoring/env.ts";
import { startMonitoring } from "../src/monitoring/monitoring.ts";

const send = (message: unknown) => process.send?.(message);
const memberId = env.PARTITION_INDEX === undefined ? randomBytes(3).toString("hex") : undefined;
const log = consoleLogger(`monitoring-${env.PARTITION_INDEX ?? memberId}`, env.LOG_LEVEL);
const monitoring = await startMonitoring({
  ...monitoringConfigFromEnv({ partitionIndex: env.PARTITION_INDEX, memberId, log }),
  onBatchCommitted: (readings) => send(readings.map((r) => `${r.deviceId}@${r.timestamp}`)),
});
send("ready");
process.once("SIGTERM", () => {
  void monitoring.stop().then(() => process.exit(0));
});
