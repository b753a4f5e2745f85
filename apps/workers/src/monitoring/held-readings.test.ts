import { randomUUID } from "node:crypto";
import type { ConsumeMessage } from "amqplib";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertCreatedSchema } from "@ems/contracts/notifications";
import { DEAD_LETTER_SOURCE_HEADER, NOTIFICATION_ROUTING_KEYS, queueNames } from "@ems/contracts/queues";
import type { DeviceSyncEvent } from "@ems/contracts/sync";
import { databaseUrls } from "@ems/db/env";
import { QueueProbe, deadLetterReason, eventually, uniqueQueuePrefix } from "../shared/testing.ts";
import { startMonitoring, type RunningMonitoring } from "./monitoring.ts";
import { testMonitoringConfig } from "./test-support.ts";

/**
 * Late sync events on the real broker and database: readings reach monitoring (one pinned replica,
 * straight onto its partition queue) before the sync event of their device does.
 */
const HOUR = 3_600_000;
const GRACE_MS = 8_000;
const prefix = uniqueQueuePrefix("held");
const names = queueNames(prefix);
// The hour three hours ago: every reading is in the past, its hour complete.
const H = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;

let probe: QueueProbe;
let db: pg.Pool;
let monitoring: RunningMonitoring;
let deadLetters: ConsumeMessage[];
let notifications: ConsumeMessage[];

beforeAll(async () => {
  probe = await QueueProbe.connect();
  await probe.declare(names, 1);
  deadLetters = await probe.record(names.deadLetter);
  notifications = await probe.record(names.chatNotifications);
  db = new pg.Pool({ connectionString: databaseUrls.monitoring, max: 2 });
  monitoring = await startMonitoring(testMonitoringConfig(prefix, { partitionCount: 1, partitionIndex: 0, holdGraceMs: GRACE_MS, heldSweepIntervalMs: 200 }));
});

afterAll(async () => {
  await monitoring.stop();
  await probe.close(names, 1);
  await db.end();
});

const publishReading = (deviceId: string, timestamp: number, value: number) =>
  probe.publish(names.partition(0), { timestamp, device_id: deviceId, measurement_value: value });

const publishSync = (event: Partial<DeviceSyncEvent> & { deviceId: string; version: number }) =>
  probe.publish(names.monitoringSync, {
    type: "device.created",
    ownerId: null,
    maxHourlyConsumption: "100",
    occurredAt: new Date().toISOString(),
    ...event,
  } satisfies DeviceSyncEvent);

async function heldCount(deviceId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>("SELECT count(*)::integer AS n FROM pending_readings WHERE device_id = $1", [deviceId]);
  return rows[0]?.n ?? 0;
}

async function hourTotals(deviceId: string): Promise<Record<string, { total: string; count: number }>> {
  const { rows } = await db.query<{ hour_start: Date; total: string; reading_count: number }>(
    "SELECT hour_start, trim_scale(total_kwh)::text AS total, reading_count FROM hourly_consumption WHERE device_id = $1",
    [deviceId],
  );
  return Object.fromEntries(rows.map((r) => [r.hour_start.toISOString(), { total: r.total, count: r.reading_count }]));
}

async function alertsOf(deviceId: string) {
  const { rows } = await db.query<{ owner_id: string | null; hour_start: Date }>("SELECT owner_id, hour_start FROM alerts WHERE device_id = $1", [deviceId]);
  return rows;
}

const deadLettersOf = (deviceId: string) => deadLetters.filter((m) => m.content.toString().includes(deviceId));
const alertNotificationsOf = (deviceId: string) =>
  notifications
    .filter((m) => m.fields.routingKey === NOTIFICATION_ROUTING_KEYS.alertCreated)
    .map((m) => alertCreatedSchema.parse(JSON.parse(m.content.toString())))
    .filter((alert) => alert.deviceId === deviceId);

/** Lets monitoring act on what was published so far (and its sweep run a few times). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 1_000));

describe("readings whose device's sync event arrives late", () => {
  it("are held, then counted exactly once when the sync event arrives, alert included; a duplicate counts once", async () => {
    const deviceId = randomUUID();
    const owner = randomUUID();
    // Six readings over the limit of 1 kWh in hour H (an alert), two in the next hour (none), and a
    // duplicate of the first while it is held.
    for (let i = 0; i < 6; i++) await publishReading(deviceId, H + i * 600_000, 0.3);
    await publishReading(deviceId, H + HOUR, 0.1);
    await publishReading(deviceId, H + HOUR + 600_000, 0.1);
    await publishReading(deviceId, H, 0.3);
    await eventually("8 readings held", async () => (await heldCount(deviceId)) === 8);
    expect(await hourTotals(deviceId)).toEqual({});

    await publishSync({ deviceId, ownerId: owner, maxHourlyConsumption: "1", version: 1 });
    await eventually("held readings counted", async () => (await heldCount(deviceId)) === 0 && Object.keys(await hourTotals(deviceId)).length === 2);
    // And a duplicate of a held reading after it was counted.
    await publishReading(deviceId, H + 600_000, 0.3);
    await settle();

    expect(await hourTotals(deviceId)).toEqual({
      [new Date(H).toISOString()]: { total: "1.8", count: 6 },
      [new Date(H + HOUR).toISOString()]: { total: "0.2", count: 2 },
    });
    expect(await alertsOf(deviceId)).toEqual([{ owner_id: owner, hour_start: new Date(H) }]);
    await eventually("the alert pushed", () => alertNotificationsOf(deviceId).length === 1);
    expect(alertNotificationsOf(deviceId)[0]).toMatchObject({ ownerId: owner, hourStart: new Date(H).toISOString(), total: "1.8", limit: "1.000" });
    expect(await heldCount(deviceId)).toBe(0);
    expect(deadLettersOf(deviceId)).toEqual([]);
  });

  it("counts a reading held by a batch that raced with its device's sync event, on the next sweep", async () => {
    const deviceId = randomUUID();
    await publishSync({ deviceId, version: 1 });
    await eventually("device synced", async () => (await db.query("SELECT 1 FROM devices WHERE device_id = $1", [deviceId])).rowCount === 1);
    // What a batch that did not see the device yet (its snapshot was older than the sync) leaves behind.
    await db.query("INSERT INTO pending_readings (device_id, reading_at, kwh) VALUES ($1, $2, 0.5)", [deviceId, new Date(H)]);
    await eventually("counted by the sweep", async () => (await hourTotals(deviceId))[new Date(H).toISOString()]?.count === 1);
    expect(await heldCount(deviceId)).toBe(0);
  });

  it("dead-letters the held readings of a device whose first sync event says it was deleted", async () => {
    const deviceId = randomUUID();
    await publishReading(deviceId, H, 0.4);
    await publishReading(deviceId, H + 600_000, 0.2);
    await eventually("2 readings held", async () => (await heldCount(deviceId)) === 2);

    await publishSync({ type: "device.deleted", deviceId, version: 2 });
    await eventually("2 dead letters", () => deadLettersOf(deviceId).length === 2);
    expect(deadLettersOf(deviceId).map(deadLetterReason)).toEqual(["device deleted", "device deleted"]);
    expect(deadLettersOf(deviceId).map((m) => JSON.parse(m.content.toString()) as unknown)).toEqual(
      expect.arrayContaining([
        { timestamp: H, device_id: deviceId, measurement_value: 0.4 },
        { timestamp: H + 600_000, device_id: deviceId, measurement_value: 0.2 },
      ]),
    );
    expect(await heldCount(deviceId)).toBe(0);
    expect(await hourTotals(deviceId)).toEqual({});
  });

  it("dead-letters a held reading whose device is still unknown after the grace period, with the reason", async () => {
    const deviceId = randomUUID();
    await publishReading(deviceId, H, 0.7);
    await eventually("held", async () => (await heldCount(deviceId)) === 1);
    const heldAt = Date.now();
    await settle();
    expect(deadLettersOf(deviceId)).toEqual([]); // still within the grace period

    const [dead] = await eventually("dead-lettered after the grace period", () => deadLettersOf(deviceId).length > 0 && deadLettersOf(deviceId), GRACE_MS + 10_000);
    expect(Date.now() - heldAt).toBeGreaterThanOrEqual(GRACE_MS - 1_000);
    expect(deadLetterReason(dead!)).toBe("unknown device: no sync event within 8 s");
    // Replayable as a reading: its body is the reading, its source the raw readings queue.
    expect(JSON.parse(dead!.content.toString())).toEqual({ timestamp: H, device_id: deviceId, measurement_value: 0.7 });
    expect(dead!.properties.headers?.[DEAD_LETTER_SOURCE_HEADER]).toBe(names.sensorData);
    // Published (and confirmed) before the transaction taking it out of pending_readings commits.
    await eventually("no longer held", async () => (await heldCount(deviceId)) === 0);
    await settle();
    expect(deadLettersOf(deviceId)).toHaveLength(1);
    expect(monitoring.counts().held).toBeGreaterThanOrEqual(12);
  });
});

describe("the hold's bound (MONITORING_HOLD_MAX_READINGS)", () => {
  it("when the hold is full, a reading of an unknown device is dead-lettered at once, replayable, with the reason; known devices still count", async () => {
    // A replica whose hold is always full (bound 0), on queues of its own.
    const fullPrefix = uniqueQueuePrefix("held-full");
    const fullNames = queueNames(fullPrefix);
    const fullProbe = await QueueProbe.connect();
    await fullProbe.declare(fullNames, 1);
    const fullDeadLetters = await fullProbe.record(fullNames.deadLetter);
    const full = await startMonitoring(testMonitoringConfig(fullPrefix, { partitionCount: 1, partitionIndex: 0, holdMaxReadings: 0 }));
    try {
      const unknown = randomUUID();
      const known = randomUUID();
      await fullProbe.publish(fullNames.monitoringSync, { type: "device.created", deviceId: known, ownerId: null, maxHourlyConsumption: "100", version: 1, occurredAt: new Date().toISOString() } satisfies DeviceSyncEvent);
      await eventually("device synced", async () => (await db.query("SELECT 1 FROM devices WHERE device_id = $1", [known])).rowCount === 1);
      await fullProbe.publish(fullNames.partition(0), { timestamp: H, device_id: unknown, measurement_value: 0.4 });
      await fullProbe.publish(fullNames.partition(0), { timestamp: H, device_id: known, measurement_value: 0.4 });

      const [dead] = await eventually("dead-lettered", () => fullDeadLetters.length > 0 && fullDeadLetters);
      expect(deadLetterReason(dead!)).toBe("unknown device: no sync event yet, and the hold for such readings is full (0)");
      expect(JSON.parse(dead!.content.toString())).toEqual({ timestamp: H, device_id: unknown, measurement_value: 0.4 });
      expect(await heldCount(unknown)).toBe(0);
      await eventually("the known device's reading counted", async () => (await hourTotals(known))[new Date(H).toISOString()]?.count === 1);
      expect(full.counts()).toMatchObject({ held: 0, deadLettered: 1 });
    } finally {
      await full.stop();
      await fullProbe.close(fullNames, 1);
    }
  });
});
