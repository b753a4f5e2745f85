/** Load balancer process: `tsx src/balancer.ts` (settings: see README, "Load balancer"). */
import { consoleLogger } from "@ems/messaging";
import { exitOnStartupFailure, stopOnSignals } from "@ems/runtime";
import { startBalancer } from "./balancer/balancer.ts";
import { balancerEnv as env } from "./balancer/env.ts";
import { startHeartbeat } from "./shared/heartbeat.ts";

const log = consoleLogger("balancer", env.LOG_LEVEL);
const balancer = await startBalancer({
  rabbitmqUrl: env.RABBITMQ_URL,
  queuePrefix: env.QUEUE_PREFIX,
  partitionCount: env.PARTITION_COUNT,
  elastic: env.BALANCER_PARTITION_POLL_MS > 0 ? { pollIntervalMs: env.BALANCER_PARTITION_POLL_MS } : undefined,
  prefetch: env.BALANCER_PREFETCH,
  batch: { maxReadings: env.BALANCER_BATCH_MAX, lingerMs: env.BALANCER_BATCH_LINGER_MS, maxBytes: env.BALANCER_BATCH_MAX_BYTES },
  stallTimeoutMs: env.WORKER_STALL_TIMEOUT_MS,
  statsIntervalMs: env.BALANCER_STATS_INTERVAL_MS,
  log,
}).catch(exitOnStartupFailure(log));
startHeartbeat(() => balancer.healthy());
stopOnSignals(log, () => balancer.stop());
