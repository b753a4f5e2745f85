import { parseMeasurement, type Measurement } from "@ems/contracts/measurement";
import { queueNames } from "@ems/contracts/queues";
import { deviceSyncEventSchema, type DeviceSyncEvent } from "@ems/contracts/sync";
import { Broker, declareTopology, type Delivery, type Logger } from "@ems/messaging";
import { BatchQueue } from "./batch-queue.ts";
import { createPool, isDataError } from "./database.ts";
import { ingestReadings, type IngestResult } from "./ingest.ts";
import { Notifier } from "./notifier.ts";
import { applyDeviceSyncEvent } from "./sync.ts";

export interface MonitoringConfig {
  rabbitmqUrl: string;
  queuePrefix: string;
  partitionCount: number;
  /** This replica consumes sensor.queue.{partitionIndex} only. */
  partitionIndex: number;
  databaseUrl: string;
  databasePoolSize: number;
  /** Unacknowledged readings held at once; should be about 2 × batchSize so one batch fills while another commits. */
  prefetch: number;
  /** Most readings per transaction. */
  batchSize: number;
  /** Transactions of this replica running at once. */
  batchConcurrency: number;
  syncPrefetch: number;
  /** See NotifierOptions.consumptionIntervalMs. */
  consumptionUpdateIntervalMs: number;
  /** Delay before a reading or event that failed for a transient reason (database down) is requeued. */
  retryDelayMs: number;
  /** How often throughput counts are logged; 0 turns the log off. */
  statsIntervalMs: number;
  log: Logger;
  /** Called after each committed batch (benchmarks measure publish → commit latency with it). */
  onBatchCommitted?: (readings: readonly Measurement[], result: IngestResult) => void;
}

export interface MonitoringCounts {
  counted: number;
  duplicates: number;
  deadLettered: number;
  batches: number;
  syncApplied: number;
  syncStale: number;
}

export interface RunningMonitoring {
  counts(): MonitoringCounts;
  /** Both RabbitMQ connections up (for the container's health check). */
  healthy(): boolean;
  /** Stops consuming, lets in-flight batches commit and ack, sends pending notifications, closes. */
  stop(): Promise<void>;
}

type ReadingResult = { outcome: "recorded" } | { outcome: "unknown-device" } | { outcome: "rejected"; reason: string };

/**
 * A monitoring replica: adds the readings of its partition to hourly totals exactly once, raises
 * over-limit alerts, keeps the device copy in sync, and notifies chat (see Notifier).
 *
 * Two RabbitMQ connections: one consumes (and dead-letters), one publishes notifications, so that on
 * shutdown the consumers can be drained completely while notifications can still be sent.
 */
export async function startMonitoring(config: MonitoringConfig): Promise<RunningMonitoring> {
  const { log } = config;
  if (!Number.isInteger(config.partitionIndex) || config.partitionIndex < 0 || config.partitionIndex >= config.partitionCount) {
    throw new Error(`partition index ${config.partitionIndex} is outside 0..${config.partitionCount - 1}`);
  }
  const names = queueNames(config.queuePrefix);
  const partitionQueue = names.partition(config.partitionIndex);
  const counts: MonitoringCounts = { counted: 0, duplicates: 0, deadLettered: 0, batches: 0, syncApplied: 0, syncStale: 0 };
  const pool = createPool(config.databaseUrl, config.databasePoolSize, `ems-monitoring-${config.partitionIndex}`, log);

  // Connection names carry the queue prefix, so each environment's connections are told apart.
  const name = `${config.queuePrefix}monitoring-${config.partitionIndex}`;
  const publisher = new Broker({ url: config.rabbitmqUrl, name: `${name}-notifications`, log });
  const consumer = new Broker({ url: config.rabbitmqUrl, name, log, deadLetterQueue: names.deadLetter });
  for (const broker of [publisher, consumer]) {
    await broker.onConnect((channel) => declareTopology(channel, names, config.partitionCount));
  }
  await Promise.all([publisher.start(), consumer.start()]);
  const notifier = new Notifier(publisher, { exchange: names.notificationsExchange, consumptionIntervalMs: config.consumptionUpdateIntervalMs, log });

  /** Commits one batch; a batch the database rejects as data is split so only the bad reading is refused. */
  async function ingestBatch(readings: Measurement[]): Promise<ReadingResult[]> {
    let result: IngestResult;
    try {
      result = await ingestReadings(pool, readings);
    } catch (error) {
      if (!isDataError(error)) {
        // Logged once per batch here rather than once per reading by the broker.
        log.warn(`batch of ${readings.length} readings not committed (${String(error)}); requeueing them in ${config.retryDelayMs} ms`);
        throw error;
      }
      if (readings.length === 1) return [{ outcome: "rejected", reason: `database rejected the reading: ${error.message}` }];
      log.warn(`a batch of ${readings.length} was rejected (${error.message}); retrying its readings one by one`);
      const single = [];
      for (const reading of readings) single.push(...(await ingestBatch([reading])));
      return single;
    }
    counts.batches++;
    counts.counted += result.countedCount;
    counts.duplicates += result.duplicateCount;
    config.onBatchCommitted?.(readings, result);
    notifier.notify(result.hourTotals);
    return result.outcomes.map((outcome) => ({ outcome }));
  }

  const batches = new BatchQueue(ingestBatch, { maxBatchSize: config.batchSize, maxConcurrent: config.batchConcurrency });

  const deadLetter = async (delivery: Delivery, reason: string) => {
    await delivery.deadLetter(reason);
    counts.deadLettered++;
  };

  await consumer.consume(partitionQueue, { prefetch: config.prefetch, retryDelayMs: config.retryDelayMs }, async (delivery) => {
    const parsed = parseMeasurement(delivery.body);
    if (!parsed.ok) return deadLetter(delivery, parsed.reason);
    let result: ReadingResult;
    try {
      result = await batches.add(parsed.measurement);
    } catch {
      // The database is unreachable (logged per batch): requeue after a pause; nothing was committed.
      await new Promise((resolve) => setTimeout(resolve, config.retryDelayMs));
      return delivery.nack(true);
    }
    if (result.outcome === "recorded") delivery.ack();
    else await deadLetter(delivery, result.outcome === "unknown-device" ? "unknown device" : result.reason);
  });

  await consumer.consume(names.monitoringSync, { prefetch: config.syncPrefetch, retryDelayMs: config.retryDelayMs }, async (delivery) => {
    const event = parseSyncEvent(delivery.body);
    if (!event.ok) return deadLetter(delivery, event.reason);
    try {
      const outcome = await applyDeviceSyncEvent(pool, event.event);
      if (outcome === "applied") counts.syncApplied++;
      else counts.syncStale++;
      log.debug(`sync ${event.event.type} ${event.event.deviceId} v${event.event.version}: ${outcome}`);
    } catch (error) {
      if (!isDataError(error)) throw error;
      return deadLetter(delivery, `database rejected the event: ${error.message}`);
    }
    delivery.ack();
  });
  log.info(`consuming ${partitionQueue} and ${names.monitoringSync}`);

  const stopStatsLog = config.statsIntervalMs > 0 ? logCountsPeriodically(counts, config.statsIntervalMs, log) : () => {};

  return {
    counts: () => ({ ...counts }),
    healthy: () => consumer.isConnected && publisher.isConnected,
    async stop() {
      stopStatsLog();
      await consumer.close();
      await notifier.close();
      await publisher.close();
      await pool.end();
      log.info(`stopped; counted ${counts.counted} readings in ${counts.batches} batches`);
    },
  };
}

type SyncParse = { ok: true; event: DeviceSyncEvent } | { ok: false; reason: string };

function parseSyncEvent(body: Buffer): SyncParse {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    return { ok: false, reason: "malformed JSON" };
  }
  const parsed = deviceSyncEventSchema.safeParse(json);
  if (parsed.success) return { ok: true, event: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, reason: `invalid sync event: ${issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "unknown error"}` };
}

function logCountsPeriodically(counts: MonitoringCounts, intervalMs: number, log: Logger): () => void {
  let previous = { ...counts };
  const timer = setInterval(() => {
    const counted = counts.counted - previous.counted;
    const batches = counts.batches - previous.batches;
    const duplicates = counts.duplicates - previous.duplicates;
    const deadLettered = counts.deadLettered - previous.deadLettered;
    previous = { ...counts };
    if (batches === 0 && deadLettered === 0) return;
    log.info(
      `last ${intervalMs / 1000} s: counted=${counted} duplicates=${duplicates} dead-lettered=${deadLettered} ` +
        `batches=${batches} (avg ${batches ? Math.round((counted + duplicates) / batches) : 0} readings)`,
    );
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
