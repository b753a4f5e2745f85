import type { Measurement } from "@ems/contracts/measurement";
import { queueNames, type QueueNames } from "@ems/contracts/queues";
import { deviceSyncEventSchema, type DeviceSyncEvent } from "@ems/contracts/sync";
import { Broker, declareTopology, type Delivery, type Logger } from "@ems/messaging";
import { randomBytes } from "node:crypto";
import { BatchQueue } from "./batch-queue.ts";
import { createPool, isDataError } from "./database.ts";
import { ingestReadings, type IngestResult, type ReadingOutcome } from "./ingest.ts";
import { Notifier } from "./notifier.ts";
import { PartitionLocks } from "./partition-locks.ts";
import { DEFAULT_RATE_WINDOW_MS, PartitionRates } from "./partition-rates.ts";
import { PartitionManager, type PartitionConsumer } from "./partitions.ts";
import { QueueStats, liveReplicaCount } from "./queue-stats.ts";
import { parseReadingMessage } from "./reading-messages.ts";
import { applyDeviceSyncEvent } from "./sync.ts";
import { DEFAULT_HELD_SWEEP_INTERVAL_MS, DEFAULT_HOLD_GRACE_MS, DEFAULT_HOLD_MAX_READINGS, HeldReadings, publishDeadReading, refusalReason } from "./held-readings.ts";
import { DEFAULT_RETENTION_DAYS, oldestAcceptedReading, startReadingPartitionMaintenance } from "./retention.ts";
import { DEFAULT_SILENCE_SWEEP_INTERVAL_MS, DEFAULT_SILENT_AFTER_MINUTES, SilenceSweep, type InputQueue } from "./silence/sweep.ts";
import { DEFAULT_STALL_TIMEOUT_MS, ProgressWatch } from "../shared/progress.ts";

/** How an elastic replica claims, takes over and releases partitions (README: "Elastic partitions"). */
export interface ElasticOptions {
  /** Claimed first if free (Swarm: TASK_SLOT - 1). */
  preferredPartition?: number;
  /** How often the replica looks at who holds which partition. */
  rebalanceIntervalMs: number;
  /** A replica that already has a partition in use waits this long before taking over a free one. */
  takeoverGraceMs: number;
  /** A partition no longer in use is released once its queue was empty and quiet for this long. */
  drainQuietMs: number;
}

export const DEFAULT_ELASTIC_OPTIONS: ElasticOptions = { rebalanceIntervalMs: 1_000, takeoverGraceMs: 3_000, drainQuietMs: 5_000 };

export interface MonitoringConfig {
  rabbitmqUrl: string;
  queuePrefix: string;
  /**
   * PARTITION_COUNT. Pinned: N, partitionIndex must be below it. Elastic: the count the balancer starts
   * with; partition queues below it are always looked after for leftover readings.
   */
  partitionCount: number;
  /**
   * Pinned: this replica consumes sensor.queue.{partitionIndex} only, takes no lock and no part in
   * claiming (tests and benchmarks). Undefined: elastic, it claims partitions (see `elastic`).
   */
  partitionIndex?: number;
  elastic?: Partial<ElasticOptions>;
  /** Names this replica in logs, connection names and pg_stat_activity (elastic; default random). */
  memberId?: string;
  databaseUrl: string;
  databasePoolSize: number;
  /** Longest a monitoring statement may run (a batch stuck longer is retried); default 30 s. */
  statementTimeoutMs?: number;
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
  /** Readings before the UTC day this many days ago are refused; older partitions are dropped (default 30). */
  retentionDays?: number;
  /** A held reading (its device not known yet) is dead-lettered after this long (default 24 h). */
  holdGraceMs?: number;
  /** At most this many readings held (all replicas, about); beyond, unknown-device readings are dead-lettered (default 1,000,000). */
  holdMaxReadings?: number;
  /** How often held readings are swept: counted if their device is known by now, expired after the grace (default 10 s). */
  heldSweepIntervalMs?: number;
  /** FLEET_SILENT_AFTER_MINUTES: a device that had reported and was counted nothing for longer is silent (default 30). */
  silentAfterMinutes?: number;
  /** How often "device silent" alarms are raised and cleared, by one replica at a time (default 30 s). */
  silenceSweepIntervalMs?: number;
  /** Messages in hand and none settled for this long: unhealthy (default 60 s; see ProgressWatch). */
  stallTimeoutMs?: number;
  /** How often throughput counts are logged; 0 turns the log off. */
  statsIntervalMs: number;
  /** Elastic: each held partition's new readings are recorded per window this long, for the admin console (default 10 s; see PartitionRates). */
  rateWindowMs?: number;
  log: Logger;
  /** Called after each committed batch (benchmarks measure publish → commit latency with it). */
  onBatchCommitted?: (readings: readonly Measurement[], result: IngestResult) => void;
}

export interface MonitoringCounts {
  counted: number;
  duplicates: number;
  deadLettered: number;
  /** Readings acknowledged but held until their device's sync event arrives. */
  held: number;
  batches: number;
  syncApplied: number;
  syncStale: number;
}

export interface RunningMonitoring {
  counts(): MonitoringCounts;
  /** The partition queues this replica consumes now (pinned: always its one). */
  partitions(): number[];
  /** Every RabbitMQ connection up and not stalled (for the container's health check; see ProgressWatch). */
  healthy(): boolean;
  /** Stops consuming, lets in-flight batches commit and ack, sends pending notifications, closes. */
  stop(): Promise<void>;
}

type ReadingResult = { outcome: ReadingOutcome; newlyCounted: boolean } | { outcome: "rejected"; reason: string };

/**
 * A monitoring replica: adds the readings of its partition(s) to hourly totals exactly once, raises
 * over-limit alerts, raises and clears "device silent" alarms (see SilenceSweep), keeps the device copy
 * in sync, and notifies chat (see Notifier).
 *
 * Elastic (the default): claims partitions through PartitionManager, one RabbitMQ connection per
 * partition queue it consumes (so one can be given up alone) and one for monitoring.sync.queue, whose
 * consumer is what makes it count as a live replica. Pinned (`partitionIndex`): one connection consumes
 * its partition and the sync queue. Either way a separate connection publishes notifications, so that on
 * shutdown the consumers can be drained completely while notifications can still be sent.
 */
export async function startMonitoring(config: MonitoringConfig): Promise<RunningMonitoring> {
  const { log } = config;
  const pinned = config.partitionIndex;
  if (pinned !== undefined && (!Number.isInteger(pinned) || pinned < 0 || pinned >= config.partitionCount)) {
    throw new Error(`partition index ${pinned} is outside 0..${config.partitionCount - 1}`);
  }
  const names = queueNames(config.queuePrefix);
  const counts: MonitoringCounts = { counted: 0, duplicates: 0, deadLettered: 0, held: 0, batches: 0, syncApplied: 0, syncStale: 0 };
  const member = pinned !== undefined ? String(pinned) : (config.memberId ?? randomBytes(3).toString("hex"));
  const pool = createPool(config.databaseUrl, config.databasePoolSize, `ems-monitoring-${member}`, log, { statementTimeoutMs: config.statementTimeoutMs });
  const retentionDays = config.retentionDays ?? DEFAULT_RETENTION_DAYS;
  const stopPartitionMaintenance = await startReadingPartitionMaintenance(pool, retentionDays, log);
  /** The partition locks' session name, which their claims record in monitoring_partitions.last_claimed_by. */
  const locksApplicationName = `ems-monitoring-${member}-locks`;
  // Elastic only: a pinned replica records no claim, so its partition has no monitoring_partitions row to write to.
  const rates =
    pinned === undefined
      ? new PartitionRates({ db: pool, queuePrefix: config.queuePrefix, holder: locksApplicationName, windowMs: config.rateWindowMs ?? DEFAULT_RATE_WINDOW_MS, log })
      : undefined;

  // Connection names carry the queue prefix, so each environment's connections are told apart.
  const name = `${config.queuePrefix}monitoring-${member}`;
  const topology = (broker: Broker, partition?: number) =>
    broker.onConnect(async (channel) => {
      await declareTopology(channel, names, config.partitionCount);
      if (partition !== undefined && partition >= config.partitionCount) await channel.assertQueue(names.partition(partition), { durable: true });
    });
  const publisher = new Broker({ url: config.rabbitmqUrl, name: `${name}-notifications`, log });
  await topology(publisher);
  await publisher.start();
  const notifier = new Notifier(publisher, { exchange: names.notificationsExchange, consumptionIntervalMs: config.consumptionUpdateIntervalMs, log });

  const committed = (readings: readonly Measurement[], result: IngestResult) => {
    counts.batches++;
    counts.counted += result.countedCount;
    counts.duplicates += result.duplicateCount;
    counts.held += result.heldCount;
    held.noteHeld(result.heldCount);
    config.onBatchCommitted?.(readings, result);
    notifier.notify(result.hourTotals);
  };
  const limits = { retentionDays, holdMaxReadings: config.holdMaxReadings ?? DEFAULT_HOLD_MAX_READINGS };
  const held = new HeldReadings({
    pool,
    retentionDays,
    maxReadings: limits.holdMaxReadings,
    graceMs: config.holdGraceMs ?? DEFAULT_HOLD_GRACE_MS,
    sweepIntervalMs: config.heldSweepIntervalMs ?? DEFAULT_HELD_SWEEP_INTERVAL_MS,
    deadLetter: async (reading, reason) => {
      await publishDeadReading(publisher, names, reading, reason);
      counts.deadLettered++;
    },
    onCommitted: committed,
    log,
  });

  /** Commits one batch; a batch the database rejects as data is split so only the bad reading is refused. */
  async function ingestBatch(readings: Measurement[]): Promise<ReadingResult[]> {
    let result: IngestResult;
    try {
      result = await ingestReadings(pool, readings, oldestAcceptedReading(Date.now(), retentionDays), held.hasRoom());
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
    committed(readings, result);
    return result.outcomes.map((outcome, i) => ({ outcome, newlyCounted: result.newlyCounted[i]! }));
  }

  const progress = new ProgressWatch(config.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS, log);
  const batches = new BatchQueue(ingestBatch, { maxBatchSize: config.batchSize, maxConcurrent: config.batchConcurrency });

  const deadLetter = async (delivery: Delivery, reason: string) => {
    await delivery.deadLetter(reason);
    counts.deadLettered++;
  };

  /** Why a reading is not counted, or undefined when it is counted (or held) and committed. */
  const refused = (result: ReadingResult) =>
    result.outcome === "recorded" || result.outcome === "held" ? undefined : "reason" in result ? result.reason : refusalReason(result.outcome, limits);

  /**
   * One reading, or a readings batch whose readings go into one statement (with those of other
   * messages if they fit). A bad or refused reading of a batch is dead-lettered on its own, with its
   * reason; the batch message is acknowledged once the others are committed and those dead letters
   * confirmed. If that fails part way, the redelivered batch counts nothing twice (dedup by key).
   */
  const handleReading = async (delivery: Delivery, partition: number) => {
    const message = parseReadingMessage(delivery.body, delivery.message.properties.contentType as string | undefined);
    if (!message.ok) return deadLetter(delivery, message.reason);
    const readings = message.batch ? message.readings.flatMap((r) => (r.ok ? [r.measurement] : [])) : [message.measurement];
    let results: ReadingResult[];
    try {
      results = readings.length > 0 ? await batches.addAll(readings) : [];
    } catch {
      // The database is unreachable (logged per batch): requeue after a pause; nothing was committed.
      await new Promise((resolve) => setTimeout(resolve, config.retryDelayMs));
      return delivery.nack(true);
    }
    rates?.add(partition, results.reduce((n, result) => n + ("newlyCounted" in result && result.newlyCounted ? 1 : 0), 0));
    if (!message.batch) {
      const reason = refused(results[0]!);
      return reason === undefined ? delivery.ack() : deadLetter(delivery, reason);
    }
    const deadReadings = [
      ...message.readings.flatMap((r) => (r.ok ? [] : [{ reading: r.body, reason: r.reason }])),
      ...readings.flatMap((reading, i) => {
        const reason = refused(results[i]!);
        return reason === undefined ? [] : [{ reading, reason }];
      }),
    ];
    await Promise.all(deadReadings.map(({ reading, reason }) => publishDeadReading(publisher, names, reading, reason)));
    counts.deadLettered += deadReadings.length;
    delivery.ack();
  };

  /**
   * One connection per partition queue consumed, so that a partition can be given up (its consumer
   * cancelled, its in-flight readings committed and acked) while the others go on.
   */
  const startPartitionConsumer = (partition: number, onDelivery: () => void = () => {}): PartitionConsumer => {
    const broker = new Broker({ url: config.rabbitmqUrl, name: `${name}-p${partition}`, log, deadLetterQueue: names.deadLetter });
    rates?.track(partition);
    const ready = (async () => {
      await topology(broker, partition);
      const consumeReading = progress.track((delivery) => {
        onDelivery();
        return handleReading(delivery, partition);
      }, config.retryDelayMs);
      await broker.consume(names.partition(partition), { prefetch: config.prefetch, retryDelayMs: config.retryDelayMs }, consumeReading);
      await broker.start();
    })();
    ready.catch(() => undefined);
    const stop = () => {
      rates?.untrack(partition);
      return broker.close();
    };
    return { ready, stop, connected: () => broker.isConnected };
  };

  const handleSync = async (delivery: Delivery) => {
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
    // Readings held while the device was unknown, counted now; if this fails the sweep does it later.
    await held.release([event.event.deviceId]).catch((error: unknown) => log.warn(`held readings of ${event.event.deviceId} not released yet: ${String(error)}`));
    delivery.ack();
  };

  // The partition(s) first: a replica counts as live (its monitoring.sync.queue consumer, which the
  // balancer counts) only once it consumes a partition queue.
  let first: number;
  let manager: PartitionManager | undefined;
  let stats: QueueStats | undefined;
  let consumer: Broker;
  if (pinned !== undefined) {
    // Pinned: one connection consumes the partition and the sync queue, as before elastic partitions.
    consumer = new Broker({ url: config.rabbitmqUrl, name, log, deadLetterQueue: names.deadLetter });
    await topology(consumer);
    await consumer.start();
    await consumer.consume(names.partition(pinned), { prefetch: config.prefetch, retryDelayMs: config.retryDelayMs }, progress.track((delivery) => handleReading(delivery, pinned), config.retryDelayMs));
    first = pinned;
  } else {
    const elastic = { ...DEFAULT_ELASTIC_OPTIONS, ...config.elastic };
    stats = new QueueStats(config.rabbitmqUrl, `${name}-stats`, log);
    const locks = new PartitionLocks({
      databaseUrl: config.databaseUrl,
      queuePrefix: config.queuePrefix,
      applicationName: locksApplicationName,
      preferredPartition: elastic.preferredPartition,
      log,
    });
    manager = new PartitionManager({
      locks,
      stats,
      names,
      expectedPartitionCount: config.partitionCount,
      preferredPartition: elastic.preferredPartition,
      intervalMs: elastic.rebalanceIntervalMs,
      takeoverGraceMs: elastic.takeoverGraceMs,
      drainQuietMs: elastic.drainQuietMs,
      log,
      startConsumer: startPartitionConsumer,
    });
    try {
      first = await manager.join();
    } catch (error) {
      await manager.stop().catch(() => undefined);
      await stats.close();
      throw error;
    }
    consumer = new Broker({ url: config.rabbitmqUrl, name: `${name}-sync`, log, deadLetterQueue: names.deadLetter });
    await topology(consumer);
    await consumer.start();
  }
  await consumer.consume(names.monitoringSync, { prefetch: config.syncPrefetch, retryDelayMs: config.retryDelayMs }, progress.track(handleSync, config.retryDelayMs));
  // Swarm's check and the local runner's readiness look for this line.
  log.info(`consuming ${names.partition(first)} and ${names.monitoringSync}`);
  manager?.start();
  rates?.start();
  await held.recount().catch((error: unknown) => log.warn(`held readings not counted yet (the next sweep will): ${String(error)}`));
  held.start();
  // The sweep asks what waits in monitoring's input queues (a pinned replica has no stats of its own).
  const inputStats = stats ?? new QueueStats(config.rabbitmqUrl, `${name}-stats`, log);
  const silence = new SilenceSweep({
    pool,
    silentAfterMinutes: config.silentAfterMinutes ?? DEFAULT_SILENT_AFTER_MINUTES,
    sweepIntervalMs: config.silenceSweepIntervalMs ?? DEFAULT_SILENCE_SWEEP_INTERVAL_MS,
    inputQueues: () => inputQueues(inputStats, names, config.partitionCount),
    onChanged: (alarms) => notifier.notifySilence(alarms),
    log,
  });
  silence.start();

  const stopStatsLog = config.statsIntervalMs > 0 ? logCountsPeriodically(counts, config.statsIntervalMs, log) : () => {};

  return {
    counts: () => ({ ...counts }),
    partitions: () => (manager ? manager.partitions() : [first]),
    healthy: () => publisher.isConnected && consumer.isConnected && (manager?.connected() ?? true) && !progress.stalled(),
    async stop() {
      stopStatsLog();
      stopPartitionMaintenance();
      await rates?.stop();
      await silence.stop();
      // No longer counted as live first (its sync consumer goes): the balancer stops sending to this
      // replica's partitions within its poll interval, and the other replicas drain what is left in
      // them once the locks are released, exactly as after a crash.
      await manager?.halt();
      await consumer.close();
      await manager?.stop();
      await inputStats.close();
      await held.stop();
      await notifier.close();
      await publisher.close();
      await pool.end();
      log.info(`stopped; counted ${counts.counted} readings in ${counts.batches} batches`);
    },
  };
}

/**
 * Monitoring's input queues as RabbitMQ counts them: the balancer's (sensor.data.queue) and every
 * partition queue in use (the live partition count, or the configured one if larger).
 */
async function inputQueues(stats: QueueStats, names: QueueNames, partitionCount: number): Promise<InputQueue[]> {
  const partitions = Math.max(partitionCount, await liveReplicaCount(stats, names));
  const queues: InputQueue[] = [];
  for (const queue of [names.sensorData, ...Array.from({ length: partitions }, (_, i) => names.partition(i))]) {
    const counts = await stats.counts(queue);
    if (counts) queues.push({ queue, ...counts });
  }
  return queues;
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
