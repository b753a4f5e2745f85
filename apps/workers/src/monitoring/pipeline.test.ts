import { randomUUID } from "node:crypto";
import type { ConsumeMessage } from "amqplib";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertCreatedSchema, consumptionUpdatedSchema } from "@ems/contracts/notifications";
import { serializeMeasurement } from "@ems/contracts/measurement";
import { DEAD_LETTER_SOURCE_HEADER, NOTIFICATION_ROUTING_KEYS, queueNames } from "@ems/contracts/queues";
import { READINGS_BATCH_CONTENT_TYPE } from "@ems/contracts/readings-batch";
import type { DeviceSyncEvent } from "@ems/contracts/sync";
import { partitionOf } from "@ems/hashing";
import { databaseUrls } from "@ems/db/env";
import { Broker } from "@ems/messaging";
import { startBalancer, type RunningBalancer } from "../balancer/balancer.ts";
import { QueueProbe, closeBrokerConnection, deadLetterReason, eventually, testEnv, testLogger, uniqueQueuePrefix } from "../shared/testing.ts";
import { startMonitoring, type MonitoringConfig, type RunningMonitoring } from "./monitoring.ts";

/**
 * The whole data plane on the real broker and database: readings published to sensor.data.queue go
 * through the balancer to two monitoring replicas; devices are created through monitoring.sync.queue.
 */
const PARTITIONS = 2;
const HOUR = 3_600_000;
const prefix = uniqueQueuePrefix("pipeline");
const names = queueNames(prefix);
// Two hours ago, so every reading of these tests is in the past.
const T0 = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;

let probe: QueueProbe;
let db: pg.Pool;
let balancer: RunningBalancer;
let replicas: RunningMonitoring[];
let deadLetters: ConsumeMessage[];
let notifications: ConsumeMessage[];
/** Set by a test to make the next committed batch look like a crash between commit and ack. */
let failAfterNextCommit = false;
/** Set by a test to cut the balancer's connection (as a crash would) after a forward is confirmed, before the ack. */
let crashBalancerAfterNextForward = false;
/** Publishes straight onto partition queues, as a balancer (of this or an older version) does. */
let partitionPublisher: Broker;

const baseConfig = (partitionIndex: number): MonitoringConfig => ({
  rabbitmqUrl: testEnv.RABBITMQ_URL,
  queuePrefix: prefix,
  partitionCount: PARTITIONS,
  partitionIndex,
  databaseUrl: databaseUrls.monitoring,
  databasePoolSize: 2,
  prefetch: 200,
  batchSize: 100,
  batchConcurrency: 1,
  syncPrefetch: 10,
  consumptionUpdateIntervalMs: 0,
  retryDelayMs: 50,
  statsIntervalMs: 0,
  log: testLogger,
  onBatchCommitted: () => {
    if (!failAfterNextCommit) return;
    failAfterNextCommit = false;
    throw new Error("simulated crash after commit, before ack");
  },
});

beforeAll(async () => {
  probe = await QueueProbe.connect();
  await probe.declare(names, PARTITIONS);
  deadLetters = await probe.record(names.deadLetter);
  notifications = await probe.record(names.chatNotifications);
  db = new pg.Pool({ connectionString: databaseUrls.monitoring, max: 2 });
  balancer = await startBalancer({
    rabbitmqUrl: testEnv.RABBITMQ_URL,
    queuePrefix: prefix,
    partitionCount: PARTITIONS,
    prefetch: 100,
    statsIntervalMs: 0,
    log: testLogger,
    onBatchForwarded: async () => {
      if (!crashBalancerAfterNextForward) return;
      crashBalancerAfterNextForward = false;
      await closeBrokerConnection(`${prefix}balancer`);
    },
  });
  replicas = await Promise.all([0, 1].map((i) => startMonitoring(baseConfig(i))));
  partitionPublisher = new Broker({ url: testEnv.RABBITMQ_URL, name: `${prefix}partition-publisher`, log: testLogger });
  await partitionPublisher.start();
});

afterAll(async () => {
  await Promise.all([balancer.stop(), ...replicas.map((r) => r.stop()), partitionPublisher.close()]);
  await probe.close(names, PARTITIONS);
  await db.end();
});

let version = 100;
async function sync(event: Partial<DeviceSyncEvent> & { deviceId: string }): Promise<number> {
  const v = event.version ?? ++version;
  await probe.publish(names.monitoringSync, {
    type: "device.updated",
    ownerId: null,
    maxHourlyConsumption: "100",
    occurredAt: new Date().toISOString(),
    ...event,
    version: v,
  } satisfies DeviceSyncEvent);
  return v;
}

async function storedVersion(deviceId: string): Promise<number | undefined> {
  const { rows } = await db.query<{ version: number }>("SELECT version FROM devices WHERE device_id = $1", [deviceId]);
  return rows[0]?.version;
}

/** Creates a device through the sync queue and waits until monitoring has it. */
async function createDevice(fields: Partial<DeviceSyncEvent> = {}): Promise<string> {
  const deviceId = randomUUID();
  const v = await sync({ type: "device.created", ...fields, deviceId });
  await eventually(`device ${deviceId} synced`, async () => (await storedVersion(deviceId)) === v);
  return deviceId;
}

const publishReading = (deviceId: string, timestamp: number, value: number) =>
  probe.publish(names.sensorData, { timestamp, device_id: deviceId, measurement_value: value });

async function totals(deviceIds: string[]): Promise<Record<string, string>> {
  const { rows } = await db.query<{ device_id: string; hour_start: Date; total_kwh: string }>(
    // trim_scale: "1.200" and "1.2" are the same total.
    "SELECT device_id, hour_start, trim_scale(total_kwh)::text AS total_kwh FROM hourly_consumption WHERE device_id = ANY($1::uuid[])",
    [deviceIds],
  );
  return Object.fromEntries(rows.map((r) => [`${r.device_id}@${r.hour_start.toISOString()}`, r.total_kwh]));
}

async function readingCount(deviceIds: string[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    "SELECT coalesce(sum(reading_count), 0)::integer AS n FROM hourly_consumption WHERE device_id = ANY($1::uuid[])",
    [deviceIds],
  );
  return rows[0]!.n;
}

const notificationsOf = (routingKey: string, deviceId: string) =>
  notifications
    .filter((m) => m.fields.routingKey === routingKey)
    .map((m) => JSON.parse(m.content.toString()) as { deviceId: string })
    .filter((n) => n.deviceId === deviceId);

describe("data plane: balancer → monitoring replicas", () => {
  it("sums each device's readings per hour exactly on the replica of its partition", async () => {
    const devices = await Promise.all(Array.from({ length: 8 }, () => createDevice()));
    // Both partitions are exercised (the ids are random; retry the unlucky case by adding devices).
    while (new Set(devices.map((d) => partitionOf(d, PARTITIONS))).size < PARTITIONS) devices.push(await createDevice());
    const countedBefore = replicas.map((r) => r.counts().counted);

    // Six readings per device, 10 minutes apart from :30 → three in each of two hours. Values are whole
    // watt-hours, so the expected sums are exact in integer arithmetic.
    const expected: Record<string, string> = {};
    for (const [d, deviceId] of devices.entries()) {
      const wattHours = [0, 1, 2, 3, 4, 5].map((i) => (d + 1) * 100 + i);
      for (const [i, wh] of wattHours.entries()) await publishReading(deviceId, T0 + 30 * 60_000 + i * 600_000, wh / 1000);
      const sum = (values: number[]) => (values.reduce((a, b) => a + b, 0) / 1000).toString();
      expected[`${deviceId}@${new Date(T0).toISOString()}`] = sum(wattHours.slice(0, 3));
      expected[`${deviceId}@${new Date(T0 + HOUR).toISOString()}`] = sum(wattHours.slice(3));
    }
    await eventually("all readings counted", async () => (await readingCount(devices)) === devices.length * 6);
    expect(await totals(devices)).toEqual(expected);

    // Each replica counted exactly the readings of its own partition's devices.
    const perPartition = [0, 0];
    for (const deviceId of devices) perPartition[partitionOf(deviceId, PARTITIONS)]! += 6;
    await eventually("replica counts", () => replicas.every((r, i) => r.counts().counted - countedBefore[i]! === perPartition[i]));
  });

  it("never counts a redelivered reading twice", async () => {
    const deviceId = await createDevice();
    // The first batch commits, then "crashes" before acking: its readings come back and are recorded
    // again as duplicates.
    failAfterNextCommit = true;
    await publishReading(deviceId, T0, 0.25);
    await publishReading(deviceId, T0 + 600_000, 0.5);
    await eventually("the failed batch retried", () => !failAfterNextCommit);
    // And the meter itself sends a reading twice.
    await publishReading(deviceId, T0 + 600_000, 0.5);
    await publishReading(deviceId, T0 + 1_200_000, 0.125);
    await eventually("readings counted", async () => (await readingCount([deviceId])) === 3);
    await new Promise((resolve) => setTimeout(resolve, 300)); // time for a wrong extra count to show
    expect(await totals([deviceId])).toEqual({ [`${deviceId}@${new Date(T0).toISOString()}`]: "0.875" });
    expect(await readingCount([deviceId])).toBe(3);
  });

  it("raises one alert per device-hour for the owner at that moment, and the next one for a new owner", async () => {
    const firstOwner = randomUUID();
    const deviceId = await createDevice({ ownerId: firstOwner, maxHourlyConsumption: "1.000" });

    // Each reading committed before the next, so the running total crosses the limit at the second.
    for (const [i, value] of [0.6, 0.5, 0.7].entries()) {
      await publishReading(deviceId, T0 + i * 600_000, value);
      await eventually(`reading ${i} counted`, async () => (await readingCount([deviceId])) === i + 1);
    }
    await eventually("first alert pushed", () => notificationsOf(NOTIFICATION_ROUTING_KEYS.alertCreated, deviceId).length === 1);

    // Re-assign the device; more consumption in the same hour raises nothing new.
    const secondOwner = randomUUID();
    const v = await sync({ type: "device.assigned", deviceId, ownerId: secondOwner, maxHourlyConsumption: "1.000" });
    await eventually("re-assignment synced", async () => (await storedVersion(deviceId)) === v);
    await publishReading(deviceId, T0 + 30 * 60_000, 2);
    // The next hour goes over: alert for the new owner.
    await publishReading(deviceId, T0 + HOUR, 1.5);
    await eventually("second alert pushed", () => notificationsOf(NOTIFICATION_ROUTING_KEYS.alertCreated, deviceId).length === 2);
    await eventually("readings counted", async () => (await readingCount([deviceId])) === 5);

    const alerts = notificationsOf(NOTIFICATION_ROUTING_KEYS.alertCreated, deviceId).map((n) => alertCreatedSchema.parse(n));
    expect(alerts.map(({ ownerId, hourStart, total, limit }) => ({ ownerId, hourStart, total, limit }))).toEqual([
      { ownerId: firstOwner, hourStart: new Date(T0).toISOString(), total: "1.1", limit: "1.000" },
      { ownerId: secondOwner, hourStart: new Date(T0 + HOUR).toISOString(), total: "1.5", limit: "1.000" },
    ]);
    const { rows } = await db.query<{ owner_id: string; alert_id: string }>(
      "SELECT owner_id, id AS alert_id FROM alerts WHERE device_id = $1 ORDER BY hour_start",
      [deviceId],
    );
    expect(rows).toEqual(alerts.map((a) => ({ owner_id: a.ownerId, alert_id: a.alertId })));

    // Live consumption updates carry the running total to the owner of the moment.
    const updates = notificationsOf(NOTIFICATION_ROUTING_KEYS.consumptionUpdated, deviceId).map((n) => consumptionUpdatedSchema.parse(n));
    // (Only for live hours: the previous hour T0 + HOUR, not the older hour T0.)
    expect(updates.at(-1)).toEqual({ deviceId, ownerId: secondOwner, hourStart: new Date(T0 + HOUR).toISOString(), total: "1.5" });
    expect(updates.filter((u) => u.hourStart === new Date(T0).toISOString())).toEqual([]);
  });

  it("keeps totals exact when PostgreSQL and RabbitMQ connections fail mid-stream", async () => {
    const devices = await Promise.all(Array.from({ length: 6 }, () => createDevice()));
    const published: [string, number, number][] = [];
    for (let i = 0; i < 40; i++) {
      for (const [d, deviceId] of devices.entries()) published.push([deviceId, T0 + i * 60_000, (d * 40 + i + 1) / 1000]);
    }
    const failures = async (index: number) => {
      if (index === 60) {
        // Every monitoring connection to PostgreSQL dies, as in a database restart.
        await db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'ems-monitoring-%' AND datname = current_database()");
      }
      if (index === 120) await closeBrokerConnection(`${prefix}monitoring-0`);
      if (index === 160) await closeBrokerConnection(`${prefix}balancer`);
      if (index === 200) await closeBrokerConnection(`${prefix}monitoring-1`);
    };
    for (const [index, [deviceId, timestamp, value]] of published.entries()) {
      await failures(index);
      await publishReading(deviceId, timestamp, value);
    }
    await eventually("every reading counted", async () => (await readingCount(devices)) === published.length, 30_000);
    const expected = Object.fromEntries(
      devices.map((deviceId, d) => {
        const wattHours = Array.from({ length: 40 }, (_, i) => d * 40 + i + 1).reduce((a, b) => a + b, 0);
        return [`${deviceId}@${new Date(T0).toISOString()}`, (wattHours / 1000).toString()];
      }),
    );
    expect(await totals(devices)).toEqual(expected);
  });

  it("ignores a sync event older than the stored version and stays in sync with deletions", async () => {
    const deviceId = await createDevice({ maxHourlyConsumption: "5" });
    const current = await sync({ type: "device.updated", deviceId, maxHourlyConsumption: "7" });
    await eventually("update applied", async () => (await storedVersion(deviceId)) === current);
    await sync({ type: "device.updated", deviceId, maxHourlyConsumption: "1", version: current - 1 });
    const deleted = await sync({ type: "device.deleted", deviceId, maxHourlyConsumption: "7" });
    await eventually("deletion applied", async () => (await storedVersion(deviceId)) === deleted);
    const { rows } = await db.query("SELECT max_hourly_consumption::text AS max, deleted FROM devices WHERE device_id = $1", [deviceId]);
    expect(rows).toEqual([{ max: "7.000", deleted: true }]);
  });

  it("dead-letters deleted devices, readings older than the retention window and bad messages with their reason, and keeps consuming", async () => {
    const before = deadLetters.length;
    const known = await createDevice();
    const deletedDevice = await createDevice();
    const deletedVersion = await sync({ type: "device.deleted", deviceId: deletedDevice });
    await eventually("deletion applied", async () => (await storedVersion(deletedDevice)) === deletedVersion);

    await publishReading(known, T0 - 40 * 24 * HOUR, 1); // retention: 30 days (the default)
    await publishReading(deletedDevice, T0, 1);
    // Bad messages straight onto a partition queue and the sync queue (bypassing the balancer).
    await probe.publish(names.partition(0), "{oops");
    await probe.publish(names.monitoringSync, { type: "device.exploded", deviceId: known });
    await probe.publish(names.monitoringSync, { type: "device.updated", deviceId: known, ownerId: null, maxHourlyConsumption: "1e9999999999", version: 1_000, occurredAt: new Date().toISOString() });
    await probe.publish(names.monitoringSync, { type: "device.updated", deviceId: known, ownerId: null, maxHourlyConsumption: "12345678901", version: 1_000, occurredAt: new Date().toISOString() });
    await publishReading(known, T0, 0.5);

    await eventually("six dead letters", () => deadLetters.length === before + 6);
    const reasons = deadLetters.slice(before).map((m) => [m.content.toString(), deadLetterReason(m)] as const);
    const reasonFor = (fragment: string) => reasons.find(([body]) => body.includes(fragment))?.[1];
    expect(reasonFor(String(T0 - 40 * 24 * HOUR))).toBe("timestamp is older than the retention window (30 days before today, UTC)");
    expect(reasonFor(deletedDevice)).toBe("device deleted");
    expect(reasonFor("{oops")).toBe("malformed JSON");
    expect(reasonFor("device.exploded")).toMatch(/^invalid sync event: type: /);
    expect(reasonFor("1e9999999999")).toMatch(/^invalid sync event: maxHourlyConsumption: /);
    expect(reasonFor("12345678901")).toMatch(/^database rejected the event: numeric field overflow/);
    await eventually("the valid reading counted", async () => (await readingCount([known])) === 1);
  });
});

describe("data plane: readings batches on the partition queues", () => {
  /** Publishes readings in a burst (without waiting for each confirm), so the balancer batches them. */
  async function publishBurst(readings: { deviceId: string; timestamp: number; value: number }[]) {
    await Promise.all(readings.map((r) => partitionPublisher.sendToQueue(names.sensorData, serializeMeasurement(r))));
  }

  it("forwards bursts in batches and counts every reading exactly once", async () => {
    const devices = await Promise.all(Array.from({ length: 10 }, () => createDevice()));
    const messagesBefore = balancer.counts().messages;
    const forwardedBefore = balancer.counts().forwarded.reduce((a, b) => a + b, 0);
    const readings = Array.from({ length: 300 }, (_, i) => ({ deviceId: devices[i % 10]!, timestamp: T0 + Math.floor(i / 10) * 60_000, value: (i + 1) / 1000 }));
    await publishBurst(readings);
    await eventually("all readings counted", async () => (await readingCount(devices)) === readings.length);
    const expected = Object.fromEntries(
      devices.map((deviceId) => {
        const wattHours = readings.filter((r) => r.deviceId === deviceId).reduce((sum, r) => sum + Math.round(r.value * 1000), 0);
        return [`${deviceId}@${new Date(T0).toISOString()}`, (wattHours / 1000).toString()];
      }),
    );
    expect(await totals(devices)).toEqual(expected);
    const forwarded = balancer.counts().forwarded.reduce((a, b) => a + b, 0) - forwardedBefore;
    expect(forwarded).toBe(readings.length);
    // Batched: far fewer messages on the partition queues than readings.
    expect(balancer.counts().messages - messagesBefore).toBeLessThan(readings.length / 5);
  });

  it("counts a batch's readings once when the balancer dies between the forward's confirm and its ack", async () => {
    const devices = await Promise.all(Array.from({ length: 4 }, () => createDevice()));
    const duplicatesBefore = replicas.reduce((sum, r) => sum + r.counts().duplicates, 0);
    crashBalancerAfterNextForward = true;
    const readings = Array.from({ length: 40 }, (_, i) => ({ deviceId: devices[i % 4]!, timestamp: T0 + Math.floor(i / 4) * 60_000, value: 0.125 }));
    await publishBurst(readings);
    await eventually("all readings counted", async () => (await readingCount(devices)) === readings.length, 30_000);
    expect(crashBalancerAfterNextForward).toBe(false);
    // The forwarded batch came back (redelivered to the reconnected balancer, forwarded again) and was
    // recognised: duplicates, not counted twice.
    await eventually("the redelivered readings seen as duplicates", () => replicas.reduce((sum, r) => sum + r.counts().duplicates, 0) > duplicatesBefore);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await readingCount(devices)).toBe(readings.length);
    expect(Object.values(await totals(devices))).toEqual(devices.map(() => "1.25"));
  });

  it("dead-letters a bad reading of a batch on its own, with its reason, and counts the others", async () => {
    const before = deadLetters.length;
    const known = await createDevice();
    const deletedDevice = await createDevice();
    const deletedVersion = await sync({ type: "device.deleted", deviceId: deletedDevice });
    await eventually("deletion applied", async () => (await storedVersion(deletedDevice)) === deletedVersion);
    const negative = { timestamp: T0 + 60_000, device_id: known, measurement_value: -1 };
    const batch = {
      v: 1,
      readings: [
        { timestamp: T0, device_id: known, measurement_value: 0.5 },
        negative,
        { timestamp: T0 + 120_000, deviceId: known.toUpperCase(), measurementValue: 0.25 },
        { timestamp: T0 - 40 * 24 * HOUR, device_id: known, measurement_value: 1 },
        { timestamp: T0, device_id: deletedDevice, measurement_value: 1 },
        "not a reading",
      ],
    };
    await partitionPublisher.sendToQueue(names.partition(partitionOf(known, PARTITIONS)), JSON.stringify(batch), { contentType: READINGS_BATCH_CONTENT_TYPE });

    await eventually("the good readings counted", async () => (await readingCount([known])) === 2);
    expect(await totals([known])).toEqual({ [`${known}@${new Date(T0).toISOString()}`]: "0.75" });
    await eventually("four dead letters", () => deadLetters.length === before + 4);
    const dead = deadLetters.slice(before).map((m) => ({ body: m.content.toString(), reason: deadLetterReason(m), source: m.properties.headers?.[DEAD_LETTER_SOURCE_HEADER] as unknown }));
    // Each alone, in contract form (as received when it is not a valid reading), to be replayed into sensor.data.queue.
    expect(dead).toEqual(
      expect.arrayContaining([
        { body: JSON.stringify(negative), reason: "measurement_value must not be negative", source: names.sensorData },
        {
          body: serializeMeasurement({ timestamp: T0 - 40 * 24 * HOUR, deviceId: known, value: 1 }),
          reason: "timestamp is older than the retention window (30 days before today, UTC)",
          source: names.sensorData,
        },
        { body: serializeMeasurement({ timestamp: T0, deviceId: deletedDevice, value: 1 }), reason: "device deleted", source: names.sensorData },
        { body: '"not a reading"', reason: "body must be a JSON object", source: names.sensorData },
      ]),
    );
    // The batch message itself was acknowledged once (not redelivered: nothing more is dead-lettered or counted).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(deadLetters.length).toBe(before + 4);
    expect(await readingCount([known])).toBe(2);
  });

  it("still counts single-reading bodies on a partition queue (a balancer of the previous version during a rolling update), and refuses a batch of an unknown version whole", async () => {
    const before = deadLetters.length;
    const deviceId = await createDevice();
    const partition = names.partition(partitionOf(deviceId, PARTITIONS));
    await partitionPublisher.sendToQueue(partition, serializeMeasurement({ deviceId, timestamp: T0, value: 0.5 }));
    await partitionPublisher.sendToQueue(partition, JSON.stringify({ v: 1, readings: [{ timestamp: T0 + 60_000, device_id: deviceId, measurement_value: 0.25 }] }), {
      contentType: READINGS_BATCH_CONTENT_TYPE,
    });
    const future = JSON.stringify({ v: 2, readings: [{ timestamp: T0 + 120_000, device_id: deviceId, measurement_value: 4 }] });
    await partitionPublisher.sendToQueue(partition, future, { contentType: READINGS_BATCH_CONTENT_TYPE });
    await eventually("both readings counted", async () => (await readingCount([deviceId])) === 2);
    expect(await totals([deviceId])).toEqual({ [`${deviceId}@${new Date(T0).toISOString()}`]: "0.75" });
    await eventually("the unknown version dead-lettered", () => deadLetters.length === before + 1);
    expect(deadLetters[before]!.content.toString()).toBe(future);
    expect(deadLetterReason(deadLetters[before]!)).toBe("unsupported readings batch version 2 (expected 1)");
    expect(deadLetters[before]!.properties.headers?.[DEAD_LETTER_SOURCE_HEADER]).toBe(partition);
  });
});
