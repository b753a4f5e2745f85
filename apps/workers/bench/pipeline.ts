/**
 * `npm run bench:pipeline -- --messages N`: the data plane end to end on the real RabbitMQ and a
 * dedicated, freshly migrated PostgreSQL database. Publishes N readings for 1,000 devices to
 * sensor.data.queue, runs them through the balancer and two monitoring replicas, waits until every
 * one is committed, checks the stored hourly totals against the published values exactly, then
 * measures the per-message baseline (prefetch 1, one transaction and one ack per reading). The last
 * line printed is one JSON object: {"messages","msgsPerSec","p50Ms","p99Ms","exact","baselineMsgsPerSec","bytesPerReading"}.
 *
 * Load is closed-loop: at most --in-flight readings are published but not yet committed at any time,
 * like a fleet of meters whose gateway waits for the system to keep up. Throughput is then the
 * pipeline's capacity at that concurrency and latency (publish → commit) is what a reading sees at
 * that load, instead of the queueing delay of a backlog that an open-loop flood would measure.
 */
import { parseArgs } from "node:util";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { z } from "zod";
import { hourStart, serializeMeasurement, type Measurement } from "@ems/contracts/measurement";
import { queueNames } from "@ems/contracts/queues";
import { createTestDatabases, dropTestDatabases } from "@ems/db/testing";
import { Broker, consoleLogger, declareTopology, deleteTopology, type Logger } from "@ems/messaging";
import { startBalancer } from "../src/balancer/balancer.ts";
import { startMonitoring, type MonitoringConfig } from "../src/monitoring/monitoring.ts";
import { simulatorEnv as env } from "../src/simulator/env.ts";
import { Semaphore } from "../src/simulator/pacing.ts";

const DEVICES = 1_000;
const PARTITIONS = 2;
const TEN_MINUTES = 600_000;
const HOUR = 3_600_000;

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "100000" },
    "baseline-messages": { type: "string" },
    "in-flight": { type: "string", default: "500" },
    "balancer-prefetch": { type: "string", default: "1000" },
    verbose: { type: "boolean", default: false },
  },
});
const options = z
  .object({
    messages: z.coerce.number().int().min(DEVICES),
    "baseline-messages": z.coerce.number().int().min(100).optional(),
    "in-flight": z.coerce.number().int().min(1),
    "balancer-prefetch": z.coerce.number().int().min(1),
    verbose: z.boolean(),
  })
  .parse(values);
const MESSAGES = options.messages;
const BASELINE_MESSAGES = options["baseline-messages"] ?? Math.min(MESSAGES, 5_000);
const IN_FLIGHT = options["in-flight"];
/** --verbose: each replica logs its batches every second. */
const STATS_MS = values.verbose ? 1_000 : 0;

const log = consoleLogger("bench", "info");
const quiet: Logger = { debug: () => {}, info: () => {}, warn: (m) => log.warn(m), error: (m) => log.error(m) };
const prefix = `bench-pipeline-${randomUUID().slice(0, 8)}.`;
const names = queueNames(prefix);

/** Publish and commit times of one phase's readings, keyed by device and timestamp. */
class Tracker {
  readonly publishedAt = new Map<string, number>();
  readonly latencies: number[] = [];
  private waiters: (() => void)[] = [];
  firstPublish = Infinity;
  lastCommit = 0;

  constructor(readonly window: Semaphore) {}

  published(key: string): void {
    const now = performance.now();
    this.firstPublish = Math.min(this.firstPublish, now);
    this.publishedAt.set(key, now);
  }

  committed(readings: readonly Measurement[]): void {
    const now = performance.now();
    for (const reading of readings) {
      const key = `${reading.deviceId}@${reading.timestamp}`;
      const at = this.publishedAt.get(key);
      if (at === undefined) continue; // a redelivery already counted, or another phase
      this.publishedAt.delete(key);
      this.latencies.push(now - at);
      this.lastCommit = now;
      this.window.release();
    }
    if (this.publishedAt.size === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves once every published reading is committed. */
  drained(): Promise<void> {
    return this.publishedAt.size === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}

interface PhaseResult {
  msgsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/**
 * Runs one phase: starts the balancer and two replicas with the given tuning, sends the warm-up
 * readings (not measured: JIT compilation, connection and pool start-up), then the measured ones,
 * each through a closed-loop window and until all are committed, and stops the processes.
 */
async function runPhase(
  label: string,
  databaseUrl: string,
  warmUp: Measurement[],
  readings: Measurement[],
  tuning: { balancerPrefetch: number; prefetch: number; batchSize: number; batchConcurrency: number },
): Promise<PhaseResult> {
  let tracker = new Tracker(new Semaphore(IN_FLIGHT));
  const monitoringConfig = (partitionIndex: number): MonitoringConfig => ({
    rabbitmqUrl: env.RABBITMQ_URL,
    queuePrefix: prefix,
    partitionCount: PARTITIONS,
    partitionIndex,
    databaseUrl,
    databasePoolSize: 2,
    prefetch: tuning.prefetch,
    batchSize: tuning.batchSize,
    batchConcurrency: tuning.batchConcurrency,
    syncPrefetch: 10,
    consumptionUpdateIntervalMs: 1_000,
    retryDelayMs: 500,
    statsIntervalMs: STATS_MS,
    log: STATS_MS ? consoleLogger(`monitoring-${partitionIndex}`) : quiet,
    onBatchCommitted: (batch) => tracker.committed(batch),
  });
  const balancer = await startBalancer({
    rabbitmqUrl: env.RABBITMQ_URL,
    queuePrefix: prefix,
    partitionCount: PARTITIONS,
    prefetch: tuning.balancerPrefetch,
    statsIntervalMs: 0,
    log: quiet,
  });
  const replicas = await Promise.all([0, 1].map((i) => startMonitoring(monitoringConfig(i))));
  const publisher = new Broker({ url: env.RABBITMQ_URL, name: "bench-publisher", log: quiet });
  await publisher.onConnect((channel) => declareTopology(channel, names, PARTITIONS));
  await publisher.start();

  const send = async (batch: Measurement[]) => {
    tracker = new Tracker(new Semaphore(IN_FLIGHT));
    const publishes: Promise<void>[] = [];
    for (const reading of batch) {
      await tracker.window.acquire();
      tracker.published(`${reading.deviceId}@${reading.timestamp}`);
      publishes.push(publisher.sendToQueue(names.sensorData, serializeMeasurement(reading)));
    }
    await Promise.all(publishes);
    await tracker.drained();
    return tracker;
  };

  log.info(`${label}: warming up with ${warmUp.length} readings`);
  await send(warmUp);
  log.info(`${label}: publishing ${readings.length} readings (at most ${IN_FLIGHT} uncommitted)`);
  const progress = setInterval(() => log.info(`${label}: ${tracker.latencies.length}/${readings.length} committed`), 5_000);
  const cpuBefore = process.cpuUsage();
  const measured = await send(readings);
  const cpu = process.cpuUsage(cpuBefore);
  // The publisher, balancer and both replicas run in this process: its CPU per reading is theirs together.
  log.info(`${label}: this process used ${Math.round((cpu.user + cpu.system) / readings.length)} µs CPU per reading`);
  clearInterval(progress);

  await publisher.close();
  await Promise.all([balancer.stop(), ...replicas.map((r) => r.stop())]);
  const sorted = [...measured.latencies].sort((a, b) => a - b);
  const seconds = (measured.lastCommit - measured.firstPublish) / 1000;
  const result = {
    msgsPerSec: Math.round(readings.length / seconds),
    p50Ms: Math.round(percentile(sorted, 50) * 10) / 10,
    p99Ms: Math.round(percentile(sorted, 99) * 10) / 10,
  };
  log.info(`${label}: ${readings.length} readings in ${seconds.toFixed(2)} s → ${JSON.stringify(result)} (max ${Math.round(sorted.at(-1)!)} ms)`);
  return result;
}

/**
 * `count` readings for the devices, round-robin, one per device per 10 minutes, ending at least an hour
 * before `endBefore`; values are random whole watt-hours so expected sums are exact integers.
 */
function makeReadings(deviceIds: string[], count: number, endBefore: number): Measurement[] {
  const steps = Math.ceil(count / deviceIds.length);
  const start = hourStart(endBefore) - HOUR - steps * TEN_MINUTES;
  return Array.from({ length: count }, (_, i) => ({
    deviceId: deviceIds[i % deviceIds.length]!,
    timestamp: start + Math.floor(i / deviceIds.length) * TEN_MINUTES,
    value: Math.floor(Math.random() * 500) / 1000,
  }));
}

/** "1.234" for 1234 Wh, without trailing zeros, as PostgreSQL's trim_scale prints it. */
function kwhFromWattHours(wattHours: number): string {
  const whole = Math.floor(wattHours / 1000);
  const fraction = String(wattHours % 1000).padStart(3, "0").replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : String(whole);
}

/** True when every stored device-hour equals the sum of its published readings, and nothing else is stored. */
async function totalsAreExact(db: pg.Pool, readings: Measurement[]): Promise<boolean> {
  const expected = new Map<string, number>();
  for (const r of readings) {
    const key = `${r.deviceId}@${hourStart(r.timestamp)}`;
    expected.set(key, (expected.get(key) ?? 0) + Math.round(r.value * 1000));
  }
  const { rows } = await db.query<{ device_id: string; hour_start: Date; total: string; reading_count: number }>(
    "SELECT device_id, hour_start, trim_scale(total_kwh)::text AS total, reading_count FROM hourly_consumption",
  );
  let mismatches = 0;
  for (const row of rows) {
    const want = expected.get(`${row.device_id}@${row.hour_start.getTime()}`);
    if (want === undefined || kwhFromWattHours(want) !== row.total) mismatches++;
  }
  const storedReadings = rows.reduce((sum, row) => sum + row.reading_count, 0);
  log.info(`verify: ${rows.length} device-hours stored, ${expected.size} expected, ${mismatches} mismatches, ${storedReadings}/${readings.length} readings`);
  return mismatches === 0 && rows.length === expected.size && storedReadings === readings.length;
}

/**
 * Bytes the stored readings take on disk — the readings table with all its partitions (the empty ones
 * of the retention window and ahead included), indexes and TOAST — per reading stored.
 */
async function bytesPerReading(db: pg.Pool, readings: number): Promise<number> {
  const { rows } = await db.query<{ bytes: string }>(
    "SELECT sum(pg_total_relation_size(relid))::text AS bytes FROM pg_partition_tree('readings')",
  );
  return Math.round((Number(rows[0]?.bytes ?? 0) / readings) * 10) / 10;
}

async function main(): Promise<void> {
  log.info(`creating a dedicated test database; queues prefixed ${prefix}`);
  const urls = await createTestDatabases("benchpipeline");
  const db = new pg.Pool({ connectionString: urls.monitoring, max: 2 });
  const admin = new Broker({ url: env.RABBITMQ_URL, name: "bench-admin", log: quiet });
  try {
    await admin.onConnect((channel) => declareTopology(channel, names, PARTITIONS));
    await admin.start();

    // The device copy monitoring knows (normally filled from sync events): owners, generous limits.
    const deviceIds = Array.from({ length: DEVICES }, () => randomUUID());
    await db.query(
      `INSERT INTO devices (device_id, owner_id, max_hourly_consumption, version)
       SELECT d, gen_random_uuid(), 100, 1 FROM unnest($1::uuid[]) AS d`,
      [deviceIds],
    );

    // Every set of readings has its own device-hours: each ends before the next one starts.
    const main = makeReadings(deviceIds, MESSAGES, Date.now());
    const warmUp = makeReadings(deviceIds, Math.min(MESSAGES, 5_000), main[0]!.timestamp);
    const baseline = makeReadings(deviceIds, BASELINE_MESSAGES, warmUp[0]!.timestamp);
    const baselineWarmUp = makeReadings(deviceIds, 200, baseline[0]!.timestamp);

    const tuned = { balancerPrefetch: options["balancer-prefetch"], prefetch: 1_000, batchSize: 500, batchConcurrency: 1 };
    const batched = await runPhase("batched", urls.monitoring, warmUp, main, tuned);
    const exact = await totalsAreExact(db, [...warmUp, ...main]);
    const storage = await bytesPerReading(db, warmUp.length + main.length);
    const perMessage = { balancerPrefetch: 1, prefetch: 1, batchSize: 1, batchConcurrency: 1 };
    const baselineResult = await runPhase("baseline", urls.monitoring, baselineWarmUp, baseline, perMessage);

    console.log(JSON.stringify({ messages: MESSAGES, ...batched, exact, baselineMsgsPerSec: baselineResult.msgsPerSec, bytesPerReading: storage }));
  } finally {
    await admin.onConnect((channel) => deleteTopology(channel, names, PARTITIONS)).catch((e: unknown) => log.warn(`queue clean-up: ${String(e)}`));
    await admin.close();
    await db.end();
    await dropTestDatabases(urls);
  }
}

await main();
