import { parseMeasurement } from "@ems/contracts/measurement";
import { queueNames } from "@ems/contracts/queues";
import { partitionOf } from "@ems/hashing";
import { Broker, declareTopology, type Logger } from "@ems/messaging";

export interface BalancerConfig {
  rabbitmqUrl: string;
  queuePrefix: string;
  /** N: readings go to sensor.queue.0 .. N-1. */
  partitionCount: number;
  /** Readings held unacknowledged at once; forwards are confirmed concurrently up to this many. */
  prefetch: number;
  /** How often per-partition counts are logged; 0 turns the log off. */
  statsIntervalMs: number;
  log: Logger;
}

export interface BalancerCounts {
  /** Readings forwarded per partition since start. */
  forwarded: number[];
  deadLettered: number;
}

export interface RunningBalancer {
  counts(): BalancerCounts;
  /** Connected to RabbitMQ (for the container's health check). */
  healthy(): boolean;
  /** Stops consuming, waits until every in-flight reading is forwarded (confirmed) and acked, closes. */
  stop(): Promise<void>;
}

/**
 * The load balancer: validates each raw reading from sensor.data.queue and forwards it, body
 * unchanged, to the partition queue of its device (consistent hashing), acknowledging it only after
 * RabbitMQ confirmed the forward. Invalid readings go to the dead-letter queue with the reason. A
 * forward that fails (broker unreachable) throws, so the reading is requeued and tried again.
 */
export async function startBalancer(config: BalancerConfig): Promise<RunningBalancer> {
  const { log, partitionCount } = config;
  const names = queueNames(config.queuePrefix);
  const partitionQueues = Array.from({ length: partitionCount }, (_, i) => names.partition(i));
  const counts: BalancerCounts = { forwarded: new Array<number>(partitionCount).fill(0), deadLettered: 0 };

  // The connection name carries the queue prefix, so each environment's connections are told apart.
  const broker = new Broker({ url: config.rabbitmqUrl, name: `${config.queuePrefix}balancer`, log, deadLetterQueue: names.deadLetter });
  await broker.onConnect((channel) => declareTopology(channel, names, partitionCount));
  await broker.start();
  await broker.consume(names.sensorData, { prefetch: config.prefetch }, async (delivery) => {
    const parsed = parseMeasurement(delivery.body);
    if (!parsed.ok) {
      await delivery.deadLetter(parsed.reason);
      counts.deadLettered++;
      return;
    }
    const partition = partitionOf(parsed.measurement.deviceId, partitionCount);
    await broker.sendToQueue(partitionQueues[partition]!, delivery.body);
    delivery.ack();
    counts.forwarded[partition]!++;
  });
  log.info(`forwarding ${names.sensorData} to ${partitionQueues.join(", ")}`);

  const stopStatsLog = config.statsIntervalMs > 0 ? logCountsPeriodically(counts, partitionQueues, config.statsIntervalMs, log) : () => {};

  return {
    counts: () => ({ forwarded: [...counts.forwarded], deadLettered: counts.deadLettered }),
    healthy: () => broker.isConnected,
    async stop() {
      stopStatsLog();
      await broker.close();
      log.info(`stopped; forwarded ${counts.forwarded.join(" / ")}, dead-lettered ${counts.deadLettered}`);
    },
  };
}

/** Logs the readings forwarded per partition queue in each interval (only intervals with traffic). */
function logCountsPeriodically(counts: BalancerCounts, queues: string[], intervalMs: number, log: Logger): () => void {
  let previous: BalancerCounts = { forwarded: [...counts.forwarded], deadLettered: counts.deadLettered };
  const timer = setInterval(() => {
    const forwarded = counts.forwarded.map((n, i) => n - previous.forwarded[i]!);
    const deadLettered = counts.deadLettered - previous.deadLettered;
    previous = { forwarded: [...counts.forwarded], deadLettered: counts.deadLettered };
    if (forwarded.every((n) => n === 0) && deadLettered === 0) return;
    const perQueue = queues.map((queue, i) => `${queue}=${forwarded[i]}`).join(" ");
    log.info(`last ${intervalMs / 1000} s: ${perQueue} dead-lettered=${deadLettered}`);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
