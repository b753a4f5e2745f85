import { randomUUID } from "node:crypto";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceSilenceSchema, type DeviceSilence } from "@ems/contracts/notifications";
import { NOTIFICATION_ROUTING_KEYS, queueNames } from "@ems/contracts/queues";
import { createTestDatabases, dropTestDatabases, type TestDatabaseUrls } from "@ems/db/testing";
import { QueueProbe, eventually, testLogger, uniqueQueuePrefix } from "../../shared/testing.ts";
import { createPool } from "../database.ts";
import { ingestReadings } from "../ingest.ts";
import { startMonitoring } from "../monitoring.ts";
import { maintainReadingPartitions, oldestAcceptedReading } from "../retention.ts";
import { applyDeviceSyncEvent } from "../sync.ts";
import { testMonitoringConfig } from "../test-support.ts";
import { SILENCE_BACKLOG_LIMIT, SilenceSweep, holdBackReason, sweepDeviceSilence, type InputQueue } from "./sweep.ts";

/**
 * The sweep looks at every device of its database, so it runs on databases of its own rather than on
 * the run's shared ones (where other files' devices would go silent under it).
 */
const SILENT_AFTER_MINUTES = 30;
const RETENTION_DAYS = 30;

let urls: TestDatabaseUrls;
let pool: pg.Pool;

beforeAll(async () => {
  urls = await createTestDatabases("silence");
  pool = createPool(urls.monitoring, 4, "ems-monitoring-test-silence", testLogger);
  await maintainReadingPartitions(pool, RETENTION_DAYS);
});

afterAll(async () => {
  await pool.end();
  await dropTestDatabases(urls);
});

async function device(ownerId: string | null = randomUUID()): Promise<string> {
  const deviceId = randomUUID();
  await applyDeviceSyncEvent(pool, { type: "device.created", deviceId, ownerId, maxHourlyConsumption: "100", version: 1, occurredAt: new Date().toISOString() });
  return deviceId;
}

const deleteDevice = (deviceId: string) =>
  applyDeviceSyncEvent(pool, { type: "device.deleted", deviceId, ownerId: null, maxHourlyConsumption: "100", version: 2, occurredAt: new Date().toISOString() });

/** Makes monitoring's last count of the device (its newest hour's updated_at) `minutesAgo` old; returns that instant. */
async function lastCountedAgo(deviceId: string, minutesAgo: number): Promise<Date> {
  const { rows } = await pool.query<{ updated_at: Date }>(
    `INSERT INTO hourly_consumption AS h (device_id, hour_start, total_kwh, reading_count, updated_at)
     VALUES ($1, date_trunc('hour', now() - make_interval(mins => $2)), 0.5, 3, now() - make_interval(mins => $2))
     ON CONFLICT (device_id, hour_start) DO UPDATE SET updated_at = EXCLUDED.updated_at
     RETURNING h.updated_at`,
    [deviceId, minutesAgo],
  );
  // Any newer hour would be its last reading instead.
  await pool.query("DELETE FROM hourly_consumption WHERE device_id = $1 AND hour_start > date_trunc('hour', now() - make_interval(mins => $2))", [deviceId, minutesAgo]);
  return rows[0]!.updated_at;
}

const countReading = (deviceId: string) =>
  ingestReadings(pool, [{ deviceId, timestamp: Date.now(), value: 0.2 }], oldestAcceptedReading(Date.now(), RETENTION_DAYS));

const sweep = () => sweepDeviceSilence(pool, SILENT_AFTER_MINUTES);
const of = (deviceId: string, alarms: readonly DeviceSilence[]) => alarms.filter((alarm) => alarm.deviceId === deviceId);

async function alarmRows(deviceId: string) {
  const { rows } = await pool.query<{ id: string; kind: string; hour_start: Date | null; total_kwh: string | null; last_reading_at: Date; cleared_at: Date | null }>(
    "SELECT id, kind, hour_start, total_kwh, last_reading_at, cleared_at FROM alerts WHERE device_id = $1 ORDER BY created_at",
    [deviceId],
  );
  return rows;
}

describe("the device silent alarm", () => {
  it("is raised once for a device counted nothing for longer than the setting, for its owner or for nobody", async () => {
    const owner = randomUUID();
    const [owned, ownerless] = [await device(owner), await device(null)];
    const lastReading = await lastCountedAgo(owned, SILENT_AFTER_MINUTES + 15);
    await lastCountedAgo(ownerless, SILENT_AFTER_MINUTES + 1);

    const before = Date.now();
    const raised = await sweep();
    expect(of(owned, raised)).toEqual([
      {
        alarmId: expect.any(String) as unknown,
        deviceId: owned,
        ownerId: owner,
        state: "active",
        lastReadingAt: lastReading.toISOString(),
        silentAfterMinutes: SILENT_AFTER_MINUTES,
        raisedAt: expect.any(String) as unknown,
        clearedAt: null,
      },
    ]);
    expect(() => deviceSilenceSchema.parse(of(owned, raised)[0])).not.toThrow();
    expect(Date.parse(of(owned, raised)[0]!.raisedAt)).toBeGreaterThanOrEqual(before - 1_000);
    expect(of(ownerless, raised)).toMatchObject([{ ownerId: null, state: "active" }]);
    expect(await alarmRows(owned)).toEqual([
      { id: of(owned, raised)[0]!.alarmId, kind: "device_silent", hour_start: null, total_kwh: null, last_reading_at: lastReading, cleared_at: null },
    ]);

    // Still silent: a later sweep raises nothing more.
    expect(of(owned, await sweep())).toEqual([]);
    expect(await alarmRows(owned)).toHaveLength(1);
  });

  it("is raised once when two replicas sweep at the same moment", async () => {
    const deviceId = await device();
    await lastCountedAgo(deviceId, SILENT_AFTER_MINUTES + 5);
    const sweeps = await Promise.all([sweep(), sweep(), sweep()]);
    expect(of(deviceId, sweeps.flat())).toHaveLength(1);
    expect(await alarmRows(deviceId)).toHaveLength(1);
  });

  it("is not raised for a device that never reported, one still reporting, or a deleted one", async () => {
    const never = await device();
    const reporting = await device();
    await lastCountedAgo(reporting, SILENT_AFTER_MINUTES - 2);
    const deleted = await device();
    await lastCountedAgo(deleted, SILENT_AFTER_MINUTES + 60);
    await deleteDevice(deleted);

    const alarms = await sweep();
    for (const deviceId of [never, reporting, deleted]) {
      expect(of(deviceId, alarms)).toEqual([]);
      expect(await alarmRows(deviceId)).toEqual([]);
    }
  });

  it("is cleared when a reading of the device is counted again; a later silence raises a new alarm", async () => {
    const owner = randomUUID();
    const deviceId = await device(owner);
    await lastCountedAgo(deviceId, SILENT_AFTER_MINUTES + 10);
    const [raised] = of(deviceId, await sweep());

    expect((await countReading(deviceId)).countedCount).toBe(1);
    const [cleared] = of(deviceId, await sweep());
    expect(cleared).toEqual({ ...raised, state: "cleared", clearedAt: expect.any(String) as unknown });
    expect(Date.parse(cleared!.clearedAt!)).toBeGreaterThanOrEqual(Date.parse(raised!.raisedAt));
    expect(of(deviceId, await sweep())).toEqual([]);

    // Silent again: a new alarm, with the new last reading.
    const lastReading = await lastCountedAgo(deviceId, SILENT_AFTER_MINUTES + 3);
    const [again] = of(deviceId, await sweep());
    expect(again).toMatchObject({ state: "active", ownerId: owner, lastReadingAt: lastReading.toISOString(), clearedAt: null });
    expect(again!.alarmId).not.toBe(raised!.alarmId);

    // Back and silent again between two sweeps: the next one clears that alarm and raises another.
    await countReading(deviceId);
    await lastCountedAgo(deviceId, SILENT_AFTER_MINUTES + 1);
    const both = of(deviceId, await sweep());
    expect(both.map((alarm) => [alarm.alarmId === again!.alarmId, alarm.state])).toEqual([
      [true, "cleared"],
      [false, "active"],
    ]);
    expect((await alarmRows(deviceId)).map((row) => row.cleared_at === null)).toEqual([false, false, true]);
  });

  it("is cleared when the silent device is deleted, and not raised again", async () => {
    const deviceId = await device();
    await lastCountedAgo(deviceId, SILENT_AFTER_MINUTES + 10);
    const [raised] = of(deviceId, await sweep());
    await deleteDevice(deviceId);
    expect(of(deviceId, await sweep())).toEqual([{ ...raised, state: "cleared", clearedAt: expect.any(String) as unknown }]);
    expect(of(deviceId, await sweep())).toEqual([]);
    expect((await alarmRows(deviceId)).map((row) => row.cleared_at === null)).toEqual([false]);
  });
});

describe("holdBackReason", () => {
  const queue = (name: string, messages: number, consumers = 1): InputQueue => ({ queue: name, messages, consumers });

  it("holds back while readings wait in a queue nobody consumes, however few", () => {
    expect(holdBackReason([queue("sensor.data.queue", 3, 0), queue("sensor.queue.0", 0)])).toBe("sensor.data.queue holds 3 with no consumer");
    expect(holdBackReason([queue("sensor.data.queue", 0, 0), queue("sensor.queue.0", 0)])).toBeUndefined();
  });

  it("holds back while more than SILENCE_BACKLOG_LIMIT messages wait in all of them, even consumed", () => {
    expect(holdBackReason([queue("sensor.data.queue", SILENCE_BACKLOG_LIMIT), queue("sensor.queue.0", 1)])).toMatch(/messages wait/);
    expect(holdBackReason([queue("sensor.data.queue", SILENCE_BACKLOG_LIMIT - 1), queue("sensor.queue.0", 1)])).toBeUndefined();
  });
});

describe("while readings wait in monitoring's input queues", () => {
  /** A sweep every 50 ms told that `queued()` messages wait, consumed (or that RabbitMQ cannot say); the alarms it reports. */
  async function sweeping(queued: () => Promise<number>, during: (reported: () => DeviceSilence[]) => Promise<void>) {
    const reported: DeviceSilence[] = [];
    const sweep = new SilenceSweep({
      pool,
      silentAfterMinutes: SILENT_AFTER_MINUTES,
      sweepIntervalMs: 50,
      inputQueues: async () => [{ queue: "sensor.data.queue", messages: await queued(), consumers: 1 }],
      onChanged: (alarms) => reported.push(...alarms),
      log: testLogger,
    });
    sweep.start();
    try {
      await during(() => reported);
    } finally {
      await sweep.stop();
    }
  }
  const ticks = () => new Promise((resolve) => setTimeout(resolve, 300));

  it("raises no alarm (a device may look silent only because its readings wait there), but clears; then raises once drained", async () => {
    const back = await device();
    await lastCountedAgo(back, SILENT_AFTER_MINUTES + 20);
    const [alarm] = of(back, await sweep());
    await countReading(back);
    const silent = await device();
    await lastCountedAgo(silent, SILENT_AFTER_MINUTES + 20);

    let queued = SILENCE_BACKLOG_LIMIT + 1;
    await sweeping(
      () => Promise.resolve(queued),
      async (reported) => {
        await eventually("the reporting device's alarm cleared", () => of(back, reported()).length === 1);
        expect(of(back, reported())).toEqual([{ ...alarm, state: "cleared", clearedAt: expect.any(String) as unknown }]);
        await ticks();
        expect(of(silent, reported())).toEqual([]);
        expect(await alarmRows(silent)).toEqual([]);

        queued = SILENCE_BACKLOG_LIMIT;
        await eventually("the silent device raised", () => of(silent, reported()).length === 1);
        expect(of(silent, reported())[0]).toMatchObject({ state: "active" });
      },
    );
  });

  it("raises only at the second sweep that finds the queues clear (the last readings handed out may still be being counted)", async () => {
    const silent = await device();
    await lastCountedAgo(silent, SILENT_AFTER_MINUTES + 20);
    let asked = 0;
    let askedWhenRaised: number | undefined;
    const sweep = new SilenceSweep({
      pool,
      silentAfterMinutes: SILENT_AFTER_MINUTES,
      sweepIntervalMs: 50,
      // Three sweeps see readings nobody consumes (the balancer down), then the queues are clear.
      inputQueues: () => Promise.resolve([{ queue: "sensor.data.queue", messages: ++asked <= 3 ? 5 : 0, consumers: asked <= 3 ? 0 : 1 }]),
      onChanged: (alarms) => {
        if (of(silent, alarms).length > 0) askedWhenRaised ??= asked;
      },
      log: testLogger,
    });
    sweep.start();
    try {
      await eventually("the silent device raised", () => askedWhenRaised !== undefined);
    } finally {
      await sweep.stop();
    }
    expect(askedWhenRaised).toBe(5);
  });

  it("raises no alarm while RabbitMQ cannot say what waits", async () => {
    const silent = await device();
    await lastCountedAgo(silent, SILENT_AFTER_MINUTES + 20);
    await sweeping(
      () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:5672")),
      async (reported) => {
        await ticks();
        expect(of(silent, reported())).toEqual([]);
      },
    );
    expect(await alarmRows(silent)).toEqual([]);
  });
});

describe("a monitoring replica", () => {
  /** A run's own queues, with a recorder of what monitoring pushes to chat. */
  async function queuesWithPushes(label: string) {
    const prefix = uniqueQueuePrefix(label);
    const names = queueNames(prefix);
    const probe = await QueueProbe.connect();
    await probe.declare(names, 1);
    const notifications = await probe.record(names.chatNotifications);
    /** The silence alarms of `deviceId` pushed so far. */
    const pushedFor = (deviceId: string) =>
      notifications
        .filter((m) => m.fields.routingKey === NOTIFICATION_ROUTING_KEYS.deviceSilence)
        .map((m) => deviceSilenceSchema.parse(JSON.parse(m.content.toString())))
        .filter((alarm) => alarm.deviceId === deviceId);
    return { prefix, names, probe, pushedFor };
  }

  it("pushes each silence alarm raised and cleared on device.silence, once", async () => {
    const { prefix, names, probe, pushedFor } = await queuesWithPushes("silence");
    const replica = await startMonitoring(
      testMonitoringConfig(prefix, {
        partitionCount: 1,
        partitionIndex: 0,
        databaseUrl: urls.monitoring,
        silentAfterMinutes: SILENT_AFTER_MINUTES,
        silenceSweepIntervalMs: 200,
      }),
    );
    try {
      const owner = randomUUID();
      const deviceId = await device(owner);
      const lastReading = await lastCountedAgo(deviceId, SILENT_AFTER_MINUTES + 10);
      const pushed = () => pushedFor(deviceId);

      const [raised] = await eventually("the alarm pushed", () => pushed().length === 1 && pushed());
      const [row] = await alarmRows(deviceId);
      expect(raised).toMatchObject({ alarmId: row!.id, ownerId: owner, state: "active", lastReadingAt: lastReading.toISOString(), silentAfterMinutes: SILENT_AFTER_MINUTES, clearedAt: null });

      await probe.publish(names.partition(0), { timestamp: Date.now(), device_id: deviceId, measurement_value: 0.3 });
      await eventually("the clearing pushed", () => pushed().length === 2);
      expect(pushed()[1]).toEqual({ ...raised, state: "cleared", clearedAt: expect.any(String) as unknown });
      await new Promise((resolve) => setTimeout(resolve, 600)); // a few more sweeps
      expect(pushed()).toHaveLength(2);
    } finally {
      await replica.stop();
      await probe.close(names, 1);
    }
  });

  it("raises nothing while readings wait where nobody consumes them (the balancer down), and raises once they are drained", async () => {
    const { prefix, names, probe, pushedFor } = await queuesWithPushes("silence-backlog");
    // A few readings the balancer has not forwarded (it is down, in a small fleet): counted late, if ever.
    await probe.fill(names.sensorData, 3, { timestamp: Date.now(), device_id: randomUUID(), measurement_value: 0.1 });
    const replica = await startMonitoring(
      testMonitoringConfig(prefix, { partitionCount: 1, partitionIndex: 0, databaseUrl: urls.monitoring, silentAfterMinutes: SILENT_AFTER_MINUTES, silenceSweepIntervalMs: 100 }),
    );
    try {
      const deviceId = await device();
      await lastCountedAgo(deviceId, SILENT_AFTER_MINUTES + 10);
      const pushed = () => pushedFor(deviceId);
      await new Promise((resolve) => setTimeout(resolve, 800)); // several sweeps
      expect(pushed()).toEqual([]);
      expect(await alarmRows(deviceId)).toEqual([]);

      await probe.purge(names.sensorData);
      await eventually("the alarm raised once the backlog is gone", () => pushed().length === 1);
    } finally {
      await replica.stop();
      await probe.close(names, 1);
    }
  });
});
