/**
 * `npm run bench:pipeline -- --messages N`: the data plane end to end, as deployed, on the real RabbitMQ
 * and a dedicated, freshly migrated PostgreSQL database. The balancer (src/balancer.ts) and two elastic
 * monitoring replicas (bench/monitoring-replica.ts: src/monitoring.ts's settings plus commit reports)
 * run as separate processes, with the settings of the same environment variables as in deployment
 * (e.g. `BALANCER_BATCH_MAX=1 npm run bench:pipeline` measures one message per reading). This process
 * publishes N readings for 1,000 devices to sensor.data.queue, waits until every one is committed,
 * checks the stored hourly totals against the published values exactly, then runs the baseline: the
 * same with one message per reading as before batches (BALANCER_BATCH_MAX=1, MONITORING_PREFETCH=1000),
 * in the same run so that both see the same machine load. The last line printed is one JSON object:
 * {"messages","msgsPerSec","p50Ms","p99Ms","exact","baselineMsgsPerSec","bytesPerReading"}.
 *
 * Load is closed-loop by default: at most --in-flight readings are published but not yet committed at
 * any time, like a fleet of meters whose gateway waits for the system to keep up. Throughput is then the
 * pipeline's capacity at that concurrency and latency (publish → commit) is what a reading sees at that
 * load, instead of the queueing delay of a backlog that an open-loop flood would measure. `--rate R`
 * publishes at R readings/s instead (still at most --in-flight uncommitted, by default R): the latency
 * at a given load.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import amqp from "amqplib";
import pg from "pg";
import { z } from "zod";
import { hourStart, serializeMeasurement, type Measurement } from "@ems/contracts/measurement";
import { queueNames } from "@ems/contracts/queues";
import { createTestDatabases, dropTestDatabases } from "@ems/db/testing";
import { Broker, consoleLogger, declareTopology, deleteTopology, type Logger } from "@ems/messaging";
import { simulatorEnv as env } from "../src/simulator/env.ts";
import { RateLimiter, Semaphore } from "../src/simulator/pacing.ts";

const DEVICES = 1_000;
const PARTITIONS = 2;
const TEN_MINUTES = 600_000;
const HOUR = 3_600_000;

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "100000" },
    "baseline-messages": { type: "string" },
    "in-flight": { type: "string" },
    rate: { type: "string" },
    baseline: { type: "boolean", default: true },
    verbose: { type: "boolean", default: false },
  },
  allowNegative: true,
});
const options = z
  .object({
    messages: z.coerce.number().int().min(DEVICES),
    "baseline-messages": z.coerce.number().int().min(DEVICES).optional(),
    "in-flight": z.coerce.number().int().min(1).optional(),
    rate: z.coerce.number().int().min(1).optional(),
    baseline: z.boolean(),
    verbose: z.boolean(),
  })
  .parse(values);
const MESSAGES = options.messages;
const BASELINE_MESSAGES = options["baseline-messages"] ?? MESSAGES;
const IN_FLIGHT = options["in-flight"] ?? options.rate ?? 2_000;

const log = consoleLogger("bench", "info");
const quiet: Logger = { debug: () => {}, info: () => {}, warn: (m) => log.warn(m), error: (m) => log.error(m) };
const prefix = `bench-pipeline-${randomUUID().slice(0, 8)}.`;
const names = queueNames(prefix);
const workers = fileURLToPath(new URL("..", import.meta.url));

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

  committed(keys: readonly string[]): void {
    const now = performance.now();
    for (const key of keys) {
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

/** User + system CPU time a process has used, in microseconds (Linux /proc; 100 clock ticks per second); 0 once it is gone. */
function cpuMicros(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return 0;
  }
}

/** RabbitMQ's Erlang VM on this machine, if it runs here. */
function rabbitmqPid(): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() === "beam.smp") return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/**
 * CPU time per process group over a phase: on a machine shared with other work, throughput says more
 * about the load than about the pipeline, while CPU per reading does not depend on it. PostgreSQL:
 * the backends of this benchmark's database; RabbitMQ: the whole broker (other users' traffic included).
 */
async function cpuSnapshot(db: pg.Pool, pids: { balancer: number | undefined; monitoring: (number | undefined)[] }) {
  const { rows } = await db.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
  const backends = rows.map((r) => r.pid);
  const rabbitmq = rabbitmqPid();
  const usage = process.cpuUsage();
  return {
    publisher: usage.user + usage.system,
    balancer: cpuMicros(pids.balancer),
    monitoring: pids.monitoring.reduce<number>((sum, pid) => sum + cpuMicros(pid), 0),
    backends: new Map(backends.map((pid) => [pid, cpuMicros(pid)])),
    rabbitmq: [rabbitmq, cpuMicros(rabbitmq)] as const,
  };
}

/** µs of CPU per reading in each group between two snapshots (a backend that started meanwhile counts from 0). */
function cpuPerReading(before: Awaited<ReturnType<typeof cpuSnapshot>>, after: Awaited<ReturnType<typeof cpuSnapshot>>, readings: number) {
  let postgres = 0;
  for (const [pid, micros] of after.backends) postgres += micros - (before.backends.get(pid) ?? 0);
  const rabbitmq = after.rabbitmq[0] === before.rabbitmq[0] ? after.rabbitmq[1] - before.rabbitmq[1] : 0;
  const perReading = (micros: number) => Math.round(micros / readings);
  const groups = {
    publisher: perReading(after.publisher - before.publisher),
    balancer: perReading(after.balancer - before.balancer),
    monitoring: perReading(after.monitoring - before.monitoring),
    postgres: perReading(postgres),
    rabbitmq: perReading(rabbitmq),
  };
  return { ...groups, total: Object.values(groups).reduce((a, b) => a + b, 0) };
}

/** Starts a worker process with the benchmark's environment plus `overrides`; resolves once it is ready. */
async function startWorker(label: string, script: string, overrides: Record<string, string>, onCommit?: (keys: string[]) => void): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: workers,
    // eslint-disable-next-line no-restricted-properties -- the workers get this process's settings, as `npm run dev` gives them
    env: { ...process.env, ...overrides },
    stdio: ["ignore", "pipe", "inherit", ...(onCommit ? ["ipc" as const] : [])],
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const failed = (code: number | null) => reject(new Error(`${label} exited (${code}) before it was ready:\n${output}`));
    child.once("exit", failed);
    const ready = () => {
      child.off("exit", failed);
      resolve(child);
    };
    child.stdout!.on("data", (chunk: Buffer) => {
      if (options.verbose) process.stdout.write(chunk);
      if (output.length < 10_000) output += chunk.toString();
      // The balancer's readiness line, as the local runner waits for it.
      if (!onCommit && output.includes("forwarding ")) ready();
    });
    child.on("message", (message: unknown) => {
      if (message === "ready") ready();
      else onCommit?.(message as string[]);
    });
  });
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/**
 * Runs one phase: starts two monitoring replicas and the balancer with the given settings, sends the
 * warm-up readings (not measured: JIT compilation, connection and pool start-up), then the measured
 * ones, each until all are committed, and stops the processes.
 */
async function runPhase(label: string, db: pg.Pool, databaseUrl: string, warmUp: Measurement[], readings: Measurement[], settings: Record<string, string>): Promise<PhaseResult> {
  let tracker = new Tracker(new Semaphore(IN_FLIGHT));
  const stats = options.verbose ? "1000" : "0";
  const common = {
    ...settings,
    QUEUE_PREFIX: prefix,
    PARTITION_COUNT: String(PARTITIONS),
    LOG_LEVEL: options.verbose ? "info" : "warn",
  };
  const replicas = await Promise.all(
    [0, 1].map((i) =>
      startWorker(`monitoring ${i}`, "bench/monitoring-replica.ts", { ...common, MONITORING_DATABASE_URL: databaseUrl, MONITORING_STATS_INTERVAL_MS: stats }, (keys) =>
        tracker.committed(keys),
      ),
    ),
  );
  // Each partition queue consumed (elastic replicas claim one each) before the balancer starts.
  const connection = await amqp.connect(env.RABBITMQ_URL);
  const channel = await connection.createChannel();
  for (let i = 0; i < PARTITIONS; i++) {
    while ((await channel.checkQueue(names.partition(i))).consumerCount === 0) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await connection.close();
  const balancer = await startWorker("balancer", "src/balancer.ts", { ...common, LOG_LEVEL: "info", BALANCER_STATS_INTERVAL_MS: stats });
  const workerPids = { balancer: balancer.pid, monitoring: replicas.map((r) => r.pid) };

  const publisher = new Broker({ url: env.RABBITMQ_URL, name: "bench-publisher", log: quiet });
  await publisher.onConnect((channel) => declareTopology(channel, names, PARTITIONS));
  await publisher.start();
  const pacing = options.rate ? new RateLimiter(options.rate) : undefined;

  const send = async (batch: Measurement[]) => {
    tracker = new Tracker(new Semaphore(IN_FLIGHT));
    const publishes: Promise<void>[] = [];
    for (const reading of batch) {
      await tracker.window.acquire();
      await pacing?.take();
      tracker.published(`${reading.deviceId}@${reading.timestamp}`);
      publishes.push(publisher.sendToQueue(names.sensorData, serializeMeasurement(reading)));
    }
    await Promise.all(publishes);
    await tracker.drained();
    return tracker;
  };

  log.info(`${label}: warming up with ${warmUp.length} readings`);
  await send(warmUp);
  log.info(`${label}: publishing ${readings.length} readings (at most ${IN_FLIGHT} uncommitted${options.rate ? `, ${options.rate}/s` : ""}); load average ${loadavg()[0]!.toFixed(2)}`);
  const progress = setInterval(() => log.info(`${label}: ${tracker.latencies.length}/${readings.length} committed`), 5_000);
  const cpuBefore = await cpuSnapshot(db, workerPids);
  const measured = await send(readings);
  const cpu = cpuPerReading(cpuBefore, await cpuSnapshot(db, workerPids), readings.length);
  clearInterval(progress);
  log.info(
    `${label}: CPU µs per reading ${JSON.stringify(cpu)}: ${Math.round((availableParallelism() * 1e6) / cpu.total)} readings/s ` +
      `if they had the machine's ${availableParallelism()} cores to themselves; load average ${loadavg()[0]!.toFixed(2)}`,
  );

  await publisher.close();
  await stopWorker(balancer);
  await Promise.all(replicas.map(stopWorker));
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
    const baselineWarmUp = makeReadings(deviceIds, Math.min(BASELINE_MESSAGES, 5_000), baseline[0]!.timestamp);

    // The settings of this process's environment, as deployed (BALANCER_BATCH_MAX etc.).
    const measured = await runPhase("measured", db, urls.monitoring, warmUp, main, {});
    const storage = await bytesPerReading(db, warmUp.length + main.length);
    let exact = await totalsAreExact(db, [...warmUp, ...main]);
    // The baseline: one broker message per reading and hop, with the replicas' prefetch of then.
    let baselineMsgsPerSec: number | null = null;
    if (options.baseline) {
      baselineMsgsPerSec = (await runPhase("baseline (BALANCER_BATCH_MAX=1)", db, urls.monitoring, baselineWarmUp, baseline, { BALANCER_BATCH_MAX: "1", MONITORING_PREFETCH: "1000" })).msgsPerSec;
      exact &&= await totalsAreExact(db, [...baselineWarmUp, ...baseline, ...warmUp, ...main]);
    }

    console.log(JSON.stringify({ messages: MESSAGES, ...measured, exact, baselineMsgsPerSec, bytesPerReading: storage }));
  } finally {
    await admin.onConnect((channel) => deleteTopology(channel, names, PARTITIONS)).catch((e: unknown) => log.warn(`queue clean-up: ${String(e)}`));
    await admin.close();
    await db.end();
    await dropTestDatabases(urls);
  }
}

await main();
