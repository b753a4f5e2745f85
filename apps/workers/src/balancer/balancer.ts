import { parseMeasurement } from "@ems/contracts/measurement";
import { queueNames } from "@ems/contracts/queues";
import { partitionOf } from "@ems/hashing";
import { Broker, declareTopology, type Logger } from "@ems/messaging";
import { QueueStats, liveReplicaCount } from "../monitoring/queue-stats.ts";
import { DEFAULT_STALL_TIMEOUT_MS, ProgressWatch } from "../shared/progress.ts";
import { DEFAULT_FORWARD_BATCH, ForwardBatches, type ForwardBatchOptions } from "./forward-batches.ts";

/** Pause before a reading whose forward failed (RabbitMQ refused or lost it) is requeued and tried again. */
const FORWARD_RETRY_DELAY_MS = 1_000;

export interface BalancerConfig {
  rabbitmqUrl: string;
  queuePrefix: string;
  /** N: readings go to sensor.queue.0 .. N-1 — always, or (elastic) until the live count is known. */
  partitionCount: number;
  /**
   * Elastic partitions: every `pollIntervalMs` the balancer reads the live partition count from
   * RabbitMQ (the monitoring replicas consuming monitoring.sync.queue) and spreads over that many
   * partitions. Without it, N is fixed.
   */
  elastic?: { pollIntervalMs: number };
  /**
   * Readings held unacknowledged at once; forwards are confirmed concurrently up to this many. Each
   * is read whole before its size check, so this bounds the memory they take: prefetch × the
   * broker's maximum message size.
   */
  prefetch: number;
  /** Per-partition batches (default DEFAULT_FORWARD_BATCH; `maxReadings: 1` forwards one message per reading). */
  batch?: ForwardBatchOptions;
  /** Called once a batch's forward is confirmed, before its readings are acknowledged (tests simulate a crash there). */
  onBatchForwarded?: (partition: number, readings: number) => Promise<void> | void;
  /** Readings in hand and none forwarded for this long: unhealthy (default 60 s; see ProgressWatch). */
  stallTimeoutMs?: number;
  /** How often per-partition counts are logged; 0 turns the log off. */
  statsIntervalMs: number;
  log: Logger;
}

export interface BalancerCounts {
  /** Readings forwarded per partition since start. */
  forwarded: number[];
  /** Messages published to the partition queues: fewer than the readings when they go in batches. */
  messages: number;
  deadLettered: number;
}

export interface RunningBalancer {
  counts(): BalancerCounts;
  /** The partition count readings are forwarded over now. */
  partitionCount(): number;
  /** Connected to RabbitMQ and not stalled (for the container's health check; see ProgressWatch). */
  healthy(): boolean;
  /** Stops consuming, waits until every in-flight reading is forwarded (confirmed) and acked, closes. */
  stop(): Promise<void>;
}

/**
 * The load balancer: validates each raw reading from sensor.data.queue and forwards it, body
 * unchanged, to the partition queue of its device (consistent hashing), acknowledging it only after
 * RabbitMQ confirmed the forward. Invalid readings go to the dead-letter queue with the reason. A
 * forward that fails (broker unreachable) throws, so the reading is requeued and tried again.
 *
 * Elastic: the partition count follows the live monitoring replicas (see `follow`); each reading is
 * routed with the count of the moment, so once the count changed no reading goes to a partition ≥ n.
 */
export async function startBalancer(config: BalancerConfig): Promise<RunningBalancer> {
  const { log } = config;
  const names = queueNames(config.queuePrefix);
  let partitionCount = config.partitionCount;
  const counts: BalancerCounts = { forwarded: new Array<number>(partitionCount).fill(0), messages: 0, deadLettered: 0 };

  // The connection name carries the queue prefix, so each environment's connections are told apart.
  const broker = new Broker({ url: config.rabbitmqUrl, name: `${config.queuePrefix}balancer`, log, deadLetterQueue: names.deadLetter });
  await broker.onConnect((channel) => declareTopology(channel, names, config.partitionCount));
  await broker.start();

  let follower: Follower | undefined;
  if (config.elastic) {
    follower = follow(config, names, log, () => partitionCount, (next) => {
      partitionCount = next;
      while (counts.forwarded.length < next) counts.forwarded.push(0);
    });
    // Start with the live count if there is one already, rather than with PARTITION_COUNT.
    await follower.poll();
  }

  const batches = new ForwardBatches(
    (partition, body, options) => broker.sendToQueue(names.partition(partition), body, options),
    config.batch ?? DEFAULT_FORWARD_BATCH,
    async (partition, readings) => {
      counts.forwarded[partition]! += readings;
      counts.messages++;
      await config.onBatchForwarded?.(partition, readings);
    },
  );
  const progress = new ProgressWatch(config.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS, log);
  const forward = progress.track(async (delivery) => {
    const parsed = parseMeasurement(delivery.body);
    if (!parsed.ok) {
      await delivery.deadLetter(parsed.reason);
      counts.deadLettered++;
      return;
    }
    await batches.add(partitionOf(parsed.measurement.deviceId, partitionCount), delivery.body, delivery);
  }, FORWARD_RETRY_DELAY_MS);
  await broker.consume(names.sensorData, { prefetch: config.prefetch, retryDelayMs: FORWARD_RETRY_DELAY_MS }, forward);
  log.info(`forwarding ${names.sensorData} to ${describePartitions(names, partitionCount)}${config.elastic ? " (elastic: following the live monitoring replicas)" : ""}`);
  follower?.start();

  const stopStatsLog = config.statsIntervalMs > 0 ? logCountsPeriodically(counts, names, config.statsIntervalMs, log) : () => {};

  return {
    counts: () => ({ ...counts, forwarded: [...counts.forwarded] }),
    partitionCount: () => partitionCount,
    healthy: () => broker.isConnected && !progress.stalled(),
    async stop() {
      stopStatsLog();
      await follower?.stop();
      await broker.close();
      log.info(`stopped; forwarded ${counts.forwarded.join(" / ")} in ${counts.messages} messages, dead-lettered ${counts.deadLettered}`);
    },
  };
}

const describePartitions = (names: ReturnType<typeof queueNames>, n: number) =>
  n === 1 ? names.partition(0) : `${names.partition(0)} .. ${names.partition(n - 1)}`;

interface Follower {
  /** One look at the live count; never throws. */
  poll(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Follows the live partition count r (liveReplicaCount: replicas consuming monitoring.sync.queue; a
 * replica consumes it only once it consumes its partition queue):
 * - r < n: switch down to r at once. The replicas drain partitions ≥ r before they let them go.
 * - r > n: switch up only as far as partition queues n, n+1, … already have a consumer, so readings
 *   never wait in a partition no replica has claimed yet.
 * - r = 0 (no replica, or RabbitMQ does not answer): keep n; readings wait in the durable queues.
 * Jump consistent hashing moves about 1/(n+1) of the devices from n to n+1, and back.
 */
function follow(config: BalancerConfig, names: ReturnType<typeof queueNames>, log: Logger, current: () => number, switchTo: (n: number) => void): Follower {
  const stats = new QueueStats(config.rabbitmqUrl, `${config.queuePrefix}balancer-stats`, log);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let warnedNoReplica = false;

  const check = async () => {
    const replicas = await liveReplicaCount(stats, names);
    const n = current();
    if (replicas === 0) {
      if (!warnedNoReplica) log.warn(`no monitoring replica is live; keeping ${n} partition(s) until one is`);
      warnedNoReplica = true;
      return;
    }
    warnedNoReplica = false;
    let next = n;
    if (replicas < n) next = replicas;
    else while (next < replicas && ((await stats.counts(names.partition(next)))?.consumers ?? 0) > 0) next++;
    if (next === n) return;
    switchTo(next);
    log.info(`partition count ${n} → ${next} (${replicas} live monitoring replica(s)): forwarding to ${describePartitions(names, next)}`);
  };
  const poll = async () => {
    try {
      await check();
    } catch (error) {
      log.debug(`live partition count not read: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = poll().finally(() => {
        running = undefined;
        schedule();
      });
    }, config.elastic!.pollIntervalMs);
    timer.unref();
  };
  return {
    poll,
    start: schedule,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await stats.close();
    },
  };
}

/** Logs the readings forwarded per partition queue in each interval (only intervals with traffic). */
function logCountsPeriodically(counts: BalancerCounts, names: ReturnType<typeof queueNames>, intervalMs: number, log: Logger): () => void {
  let previous: BalancerCounts = { ...counts, forwarded: [...counts.forwarded] };
  const timer = setInterval(() => {
    const forwarded = counts.forwarded.map((n, i) => n - (previous.forwarded[i] ?? 0));
    const messages = counts.messages - previous.messages;
    const deadLettered = counts.deadLettered - previous.deadLettered;
    previous = { ...counts, forwarded: [...counts.forwarded] };
    if (forwarded.every((n) => n === 0) && deadLettered === 0) return;
    const perQueue = forwarded.map((n, i) => `${names.partition(i)}=${n}`).join(" ");
    log.info(`last ${intervalMs / 1000} s: ${perQueue} in ${messages} messages, dead-lettered=${deadLettered}`);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
