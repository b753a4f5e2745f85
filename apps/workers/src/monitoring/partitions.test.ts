import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { queueNames } from "@ems/contracts/queues";
import { databaseUrls } from "@ems/db/env";
import { partitionOf } from "@ems/hashing";
import { startBalancer, type RunningBalancer } from "../balancer/balancer.ts";
import { QueueProbe, eventually, testEnv, testLogger, uniqueQueuePrefix } from "../shared/testing.ts";
import { startMonitoring, type RunningMonitoring } from "./monitoring.ts";
import { testMonitoringConfig } from "./test-support.ts";
import { partitionLockClass } from "./partition-locks.ts";
import { QueueStats, liveReplicaCount } from "./queue-stats.ts";

/**
 * Elastic partitions on the real database and broker: replicas claim partitions with advisory locks,
 * take over the partitions of replicas that are gone, drain partitions no longer in use, and the
 * balancer follows the live count. Each test has its own queue prefix, hence its own lock class.
 */
const HOUR = 3_600_000;
const T0 = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
/** The most partition queues any test here uses (deleted afterwards). */
const MAX_PARTITIONS = 5;

let db: pg.Pool;
let probe: QueueProbe;
let stats: QueueStats;
let prefix: string;
let running: { replicas: RunningMonitoring[]; balancer?: RunningBalancer };

beforeAll(() => {
  db = new pg.Pool({ connectionString: databaseUrls.monitoring, max: 3 });
  stats = new QueueStats(testEnv.RABBITMQ_URL, "partitions-test-stats", testLogger);
});

afterAll(async () => {
  await stats.close();
  await db.end();
});

/** A queue prefix (hence lock class) and topology of the test's own. */
async function freshPrefix(): Promise<void> {
  prefix = uniqueQueuePrefix("partitions");
  probe = await QueueProbe.connect();
  await probe.declare(queueNames(prefix), MAX_PARTITIONS);
  running = { replicas: [] };
  events = [];
}

afterEach(async (context) => {
  if (context.task.result?.state === "fail") console.error(`replicas' log:\n${events.join("\n")}`);
  await Promise.all([running.balancer?.stop(), ...running.replicas.map((r) => r.stop())]);
  await probe.close(queueNames(prefix), MAX_PARTITIONS);
});

const FAST = { rebalanceIntervalMs: 100, takeoverGraceMs: 400, drainQuietMs: 600 };

/** What the replicas of the current test said (printed when a test fails). */
let events: string[] = [];
let started = 0;
const recordingLogger = (name: string) => {
  const record = (level: string) => (message: string) => void events.push(`${new Date().toISOString().slice(11, 23)} ${name} ${level} ${message}`);
  return { debug: record("debug"), info: record("info"), warn: record("warn"), error: record("error") };
};

async function replica(options: { partitionCount?: number; preferredPartition?: number } = {}): Promise<RunningMonitoring> {
  const name = `replica-${++started}`;
  const monitoring = await startMonitoring(
    testMonitoringConfig(prefix, {
      partitionCount: options.partitionCount ?? 2,
      elastic: { ...FAST, preferredPartition: options.preferredPartition },
      log: recordingLogger(name),
    }),
  );
  running.replicas.push(monitoring);
  return monitoring;
}

async function balancer(partitionCount = 2): Promise<RunningBalancer> {
  running.balancer = await startBalancer({
    rabbitmqUrl: testEnv.RABBITMQ_URL,
    queuePrefix: prefix,
    partitionCount,
    elastic: { pollIntervalMs: 200 },
    prefetch: 100,
    statsIntervalMs: 0,
    log: testLogger,
  });
  return running.balancer;
}

/** Partition → holding backend pid, from pg_locks, for this test's prefix. */
async function lockHolders(): Promise<Map<number, number>> {
  const { rows } = await db.query<{ partition: number; pid: number }>(
    `SELECT objid::integer AS partition, pid FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = $1::integer::oid
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [partitionLockClass(prefix)],
  );
  return new Map(rows.map((r) => [r.partition, r.pid]));
}

const consumersOf = async (partition: number) => (await stats.counts(queueNames(prefix).partition(partition)))?.consumers ?? 0;
const sorted = (partitions: number[][]) => partitions.flat().sort((a, b) => a - b);

/** Devices in monitoring's copy (as sync events would put them), with a limit. */
async function devices(count: number, limitKwh = "1.000"): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  await db.query(
    "INSERT INTO devices (device_id, owner_id, max_hourly_consumption, version) SELECT id, NULL, $2::numeric, 1 FROM unnest($1::uuid[]) AS id",
    [ids, limitKwh],
  );
  return ids;
}

async function readingCount(ids: string[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>("SELECT coalesce(sum(reading_count), 0)::integer AS n FROM hourly_consumption WHERE device_id = ANY($1::uuid[])", [ids]);
  return rows[0]!.n;
}

describe("elastic partitions", () => {
  it("replicas started together claim distinct partitions, and a new replica brings the next one", async () => {
    await freshPrefix();
    const [a, b] = await Promise.all([replica(), replica()]);
    expect(sorted([a.partitions(), b.partitions()])).toEqual([0, 1]);
    expect(await liveReplicaCount(stats, queueNames(prefix))).toBe(2);
    const c = await replica();
    expect(c.partitions()).toEqual([2]);
    const holders = await lockHolders();
    expect([...holders.keys()].sort()).toEqual([0, 1, 2]);
    expect(new Set(holders.values()).size).toBe(3);
    expect(await Promise.all([0, 1, 2].map(consumersOf))).toEqual([1, 1, 1]);
    const { rows } = await db.query<{ partition_index: number }>("SELECT partition_index FROM monitoring_partitions WHERE queue_prefix = $1 ORDER BY 1", [prefix]);
    expect(rows.map((r) => r.partition_index)).toEqual([0, 1, 2]);
  });

  it("a task slot is only a preference: honoured when free and useful, never a reason to crash", async () => {
    await freshPrefix();
    // A fresh deploy where slot 2 starts well before slot 1: alone, it consumes partition 0 too (the
    // balancer then sends everything there); once slot 1 is live, it hands partition 0 over.
    const slot2 = await replica({ preferredPartition: 1 });
    expect(slot2.partitions()).toEqual([1]);
    await eventually("slot 2 alone consumes partition 0 too", () => slot2.partitions().join() === "0,1", 5_000);
    const slot1 = await replica({ preferredPartition: 0 });
    await eventually("each slot on its own partition", () => slot1.partitions().join() === "0" && slot2.partitions().join() === "1", 10_000);
    await slot2.stop();
    running.replicas.splice(running.replicas.indexOf(slot2), 1);
    // Swarm removed slot 2 and (re)starts slot 3 next to slot 1: it used to crash-loop with "partition
    // index 2 is outside 0..1"; now it takes the lowest free partition.
    const slot3 = await replica({ preferredPartition: 2 });
    expect(slot3.partitions()).toEqual([1]);
  });

  it("a stopped replica's partition is taken over at once by the replica whose partition went out of use, which drains it and releases it", async () => {
    await freshPrefix();
    const a = await replica();
    const b = await replica();
    const c = await replica();
    expect([a.partitions(), b.partitions(), c.partitions()]).toEqual([[0], [1], [2]]);
    // Readings waiting in partition 2 (as the balancer had sent them before it switched to 2 partitions).
    const ids = await devices(3);
    for (const [i, id] of ids.entries()) await probe.publish(queueNames(prefix).partition(2), { timestamp: T0 + i * 60_000, device_id: id, measurement_value: 0.1 });

    await a.stop();
    running.replicas.splice(running.replicas.indexOf(a), 1);
    // n = 2: partition 0 has no owner; c (whose partition 2 is no longer in use) takes it over at once
    // (b, which has partition 1, would wait the grace period).
    await eventually("partition 0 taken over by c", () => c.partitions().includes(0), 5_000);
    expect(b.partitions()).toEqual([1]);
    await eventually("readings of partition 2 counted", async () => (await readingCount(ids)) === 3);
    await eventually("partition 2 released once drained", () => c.partitions().join() === "0", 5_000);
    // (Its consumer stops first, in-flight readings acked, then the lock goes.)
    await eventually("its lock released", async () => [...(await lockHolders()).keys()].sort().join() === "0,1", 5_000);
    expect(await consumersOf(2)).toBe(0);
  });

  it("leftover readings in a partition queue no replica holds are found and counted", async () => {
    await freshPrefix();
    // Deployed once with 4 partitions, now 2 replicas: sensor.queue.3 still holds readings.
    const ids = await devices(4);
    for (const [i, id] of ids.entries()) await probe.publish(queueNames(prefix).partition(3), { timestamp: T0 + i * 60_000, device_id: id, measurement_value: 0.25 });
    const [a, b] = await Promise.all([replica({ partitionCount: 4 }), replica({ partitionCount: 4 })]);
    await eventually("leftovers counted", async () => (await readingCount(ids)) === 4, 10_000);
    await eventually("partition 3 released again", () => sorted([a.partitions(), b.partitions()]).join() === "0,1", 5_000);
    await eventually("no consumer left on partition 3", async () => (await consumersOf(3)) === 0, 5_000);
    expect((await stats.counts(queueNames(prefix).partition(3)))?.messages).toBe(0);
  });

  it("re-acquires its partitions after its lock connection was terminated", async () => {
    await freshPrefix();
    const [a, b] = await Promise.all([replica(), replica()]);
    const before = await lockHolders();
    await db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'ems-monitoring-%-locks' AND pid = ANY($1::int[])", [[...before.values()]]);
    await eventually("locks held by new sessions", async () => {
      const after = await lockHolders();
      return after.size === 2 && [...after.values()].every((pid) => ![...before.values()].includes(pid));
    }, 10_000);
    expect(sorted([a.partitions(), b.partitions()])).toEqual([0, 1]);
  });

  it("the balancer follows the live count: up only to partitions that have a consumer, down at once", async () => {
    await freshPrefix();
    const names = queueNames(prefix);
    // No replica yet: the balancer keeps PARTITION_COUNT.
    const bal = await balancer(2);
    expect(bal.partitionCount()).toBe(2);
    const a = await replica();
    await eventually("1 partition", () => bal.partitionCount() === 1, 5_000);
    await replica();
    await eventually("2 partitions", () => bal.partitionCount() === 2, 5_000);
    const c = await replica();
    await eventually("3 partitions", () => bal.partitionCount() === 3, 5_000);
    expect(await consumersOf(2)).toBe(1);

    // Every reading goes to partitionOf(device, n) of the moment; none to partition 2 after the switch down.
    const ids = await devices(60, "1000");
    for (const [i, id] of ids.entries()) await probe.publish(names.sensorData, { timestamp: T0 + i * 1_000, device_id: id, measurement_value: 0.001 });
    await eventually("forwarded", () => bal.counts().forwarded.reduce((x, y) => x + y, 0) === ids.length);
    expect(bal.counts().forwarded[2]).toBe(ids.filter((id) => partitionOf(id, 3) === 2).length);

    await c.stop();
    running.replicas.splice(running.replicas.indexOf(c), 1);
    await eventually("back to 2 partitions", () => bal.partitionCount() === 2, 5_000);
    const toPartition2 = bal.counts().forwarded[2];
    for (const [i, id] of ids.entries()) await probe.publish(names.sensorData, { timestamp: T0 + HOUR + i * 1_000, device_id: id, measurement_value: 0.001 });
    await eventually("forwarded again", () => bal.counts().forwarded.reduce((x, y) => x + y, 0) === 2 * ids.length);
    expect(bal.counts().forwarded[2]).toBe(toPartition2);
    await eventually("every reading counted once", async () => (await readingCount(ids)) === 2 * ids.length, 10_000);
    expect(a.partitions().length).toBe(1);
  });
});
