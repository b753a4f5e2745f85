import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Measurement } from "@ems/contracts/measurement";
import type { DeviceSyncEvent } from "@ems/contracts/sync";
import { databaseUrls } from "@ems/db/env";
import { testLogger } from "../shared/testing.ts";
import { createPool, isDataError, type Queryable } from "./database.ts";
import { ingestReadings } from "./ingest.ts";
import { maintainReadingPartitions, oldestAcceptedReading } from "./retention.ts";
import { applyDeviceSyncEvent } from "./sync.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const RETENTION_DAYS = 30;
/** 10:00 UTC two days ago: inside the retention window. */
const T0 = oldestAcceptedReading(Date.now(), 2) + 10 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

let pool: pg.Pool;

beforeAll(async () => {
  pool = createPool(databaseUrls.monitoring, 4, "ems-monitoring-test", testLogger);
  await maintainReadingPartitions(pool, RETENTION_DAYS);
});
afterAll(async () => {
  await pool.end();
});

let version = 0;
async function syncDevice(fields: Partial<DeviceSyncEvent> & { deviceId: string }): Promise<void> {
  await applyDeviceSyncEvent(pool, {
    type: "device.updated",
    ownerId: null,
    maxHourlyConsumption: "1000",
    version: ++version,
    occurredAt: new Date().toISOString(),
    ...fields,
  });
}

async function newDevice(fields: Partial<DeviceSyncEvent> = {}): Promise<string> {
  const deviceId = randomUUID();
  await syncDevice({ type: "device.created", ...fields, deviceId });
  return deviceId;
}

async function hourTotals(deviceId: string): Promise<Record<string, { total: string; count: number }>> {
  const { rows } = await pool.query<{ hour_start: Date; total_kwh: string; reading_count: number }>(
    "SELECT hour_start, total_kwh::text, reading_count FROM hourly_consumption WHERE device_id = $1 ORDER BY hour_start",
    [deviceId],
  );
  return Object.fromEntries(rows.map((r) => [r.hour_start.toISOString(), { total: r.total_kwh, count: r.reading_count }]));
}

async function alertsOf(deviceId: string) {
  const { rows } = await pool.query<{ owner_id: string | null; hour_start: Date; total_kwh: string; limit_kwh: string }>(
    "SELECT owner_id, hour_start, total_kwh::text, limit_kwh::text FROM alerts WHERE device_id = $1 ORDER BY hour_start",
    [deviceId],
  );
  return rows;
}

const reading = (deviceId: string, timestamp: number, value: number): Measurement => ({ deviceId, timestamp, value });
const ingest = (db: Queryable, readings: Measurement[]) => ingestReadings(db, readings, oldestAcceptedReading(Date.now(), RETENTION_DAYS));

/** The stored readings of a device, as (timestamp, kWh) pairs. */
async function storedReadings(deviceId: string): Promise<{ at: number; kwh: string | null }[]> {
  const { rows } = await pool.query<{ reading_at: Date; kwh: string | null }>(
    "SELECT r.reading_at, r.kwh::text AS kwh FROM readings r JOIN devices d USING (device_no) WHERE d.device_id = $1 ORDER BY r.reading_at",
    [deviceId],
  );
  return rows.map((r) => ({ at: r.reading_at.getTime(), kwh: r.kwh }));
}

async function heldReadings(deviceId: string): Promise<{ at: number; kwh: string }[]> {
  const { rows } = await pool.query<{ reading_at: Date; kwh: string }>(
    "SELECT reading_at, kwh::text AS kwh FROM pending_readings WHERE device_id = $1 ORDER BY reading_at",
    [deviceId],
  );
  return rows.map((r) => ({ at: r.reading_at.getTime(), kwh: r.kwh }));
}

describe("ingestReadings", () => {
  it("sums readings per UTC clock hour exactly, with boundary readings in the hour they start", async () => {
    const deviceId = await newDevice();
    const result = await ingest(pool, [
      reading(deviceId, T0 + 50 * 60_000, 0.1),
      reading(deviceId, T0 + HOUR - 1, 0.2), // 10:59:59.999 → 10:00
      reading(deviceId, T0 + HOUR, 0.7), // 11:00:00.000 → 11:00
      reading(deviceId, T0 + 2 * HOUR - 600_000, 0.05),
    ]);
    expect(result.outcomes).toEqual(["recorded", "recorded", "recorded", "recorded"]);
    expect(result.countedCount).toBe(4);
    expect(await hourTotals(deviceId)).toEqual({
      [iso(T0)]: { total: "0.3", count: 2 },
      [iso(T0 + HOUR)]: { total: "0.75", count: 2 },
    });
    // Batches add to what is there; doubles never leak binary rounding into the totals.
    await ingest(pool, [reading(deviceId, T0 + 10 * 60_000, 0.1), reading(deviceId, T0 + 20 * 60_000, 0.2)]);
    expect((await hourTotals(deviceId))[iso(T0)]).toEqual({ total: "0.6", count: 4 });
  });

  it("never counts a reading twice: not when redelivered, not when repeated in a batch", async () => {
    const deviceId = await newDevice();
    const first = await ingest(pool, [reading(deviceId, T0, 1), reading(deviceId, T0, 1), reading(deviceId, T0 + 600_000, 2)]);
    expect(first).toMatchObject({ countedCount: 2, duplicateCount: 1, newlyCounted: [true, false, true] });
    const redelivered = await ingest(pool, [reading(deviceId, T0 + 600_000, 2), reading(deviceId, T0 + 1_200_000, 4)]);
    expect(redelivered).toMatchObject({ countedCount: 1, duplicateCount: 1 });
    // Which reading of the device-hour was the new one is not known, only how many (the partition rates' count).
    expect(redelivered.newlyCounted.filter(Boolean)).toHaveLength(1);
    expect(redelivered.outcomes).toEqual(["recorded", "recorded"]);
    expect(await hourTotals(deviceId)).toEqual({ [iso(T0)]: { total: "7", count: 3 } });
  });

  it("counts a reading once when two batches carrying it commit concurrently", async () => {
    const deviceId = await newDevice();
    const batch = Array.from({ length: 50 }, (_, i) => reading(deviceId, T0 + i * 60_000, (i + 1) / 1000));
    const results = await Promise.all([ingest(pool, batch), ingest(pool, [...batch].reverse())]);
    expect(results[0].countedCount + results[1].countedCount).toBe(50);
    expect(await hourTotals(deviceId)).toEqual({ [iso(T0)]: { total: "1.275", count: 50 } });
  });

  it("commits two batches that add to and start hours of the same devices in crossed order (no deadlock on their days)", async () => {
    // Each batch adds to one device's existing hour and starts a new hour of the other, so their hourly
    // upserts touch daily_consumption's rows in two passes (the hours updated, then the hours inserted)
    // and in opposite device orders. A third session holds one day row until both wait on it.
    const [first, second] = [await newDevice(), await newDevice()].sort();
    await ingest(pool, [reading(first!, T0, 1), reading(second!, T0 + HOUR, 1)]);
    const holder = await pool.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT 1 FROM daily_consumption WHERE device_id = $1 FOR UPDATE", [first]);
      const batches = Promise.all([
        ingest(pool, [reading(first!, T0 + 60_000, 2), reading(second!, T0 + 2 * HOUR, 2)]),
        ingest(pool, [reading(second!, T0 + HOUR + 60_000, 3), reading(first!, T0 + 3 * HOUR, 3)]),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await holder.query("COMMIT");
      await batches;
    } finally {
      holder.release();
    }
    const { rows } = await pool.query<{ device_id: string; total: string }>(
      "SELECT device_id, running_kwh[24]::text AS total FROM daily_consumption WHERE device_id = ANY($1::uuid[]) ORDER BY device_id",
      [[first, second]],
    );
    expect(rows).toEqual([
      { device_id: first, total: "6" },
      { device_id: second, total: "6" },
    ]);
  });

  it("stores each counted reading with its value, and nothing for a duplicate", async () => {
    const deviceId = await newDevice();
    await ingest(pool, [reading(deviceId, T0, 0.1), reading(deviceId, T0 + 600_000, 0.25)]);
    await ingest(pool, [reading(deviceId, T0, 0.9)]); // a duplicate key: the first value stays
    expect(await storedReadings(deviceId)).toEqual([
      { at: T0, kwh: "0.1" },
      { at: T0 + 600_000, kwh: "0.25" },
    ]);
  });

  it("holds readings of an unknown device (a duplicate once), refuses a deleted device's, and counts neither", async () => {
    const known = await newDevice();
    const deleted = await newDevice();
    await syncDevice({ type: "device.deleted", deviceId: deleted });
    const stranger = randomUUID();
    const result = await ingest(pool, [reading(stranger, T0, 1), reading(known, T0, 1), reading(deleted, T0, 1), reading(stranger, T0, 1)]);
    expect(result.outcomes).toEqual(["held", "recorded", "device-deleted", "held"]);
    expect(result).toMatchObject({ countedCount: 1, duplicateCount: 0, heldCount: 2, newlyCounted: [false, true, false, false] });
    const again = await ingest(pool, [reading(stranger, T0, 5), reading(stranger, T0 + 600_000, 2)]);
    expect(again.outcomes).toEqual(["held", "held"]);
    expect(await heldReadings(stranger)).toEqual([
      { at: T0, kwh: "1" },
      { at: T0 + 600_000, kwh: "2" },
    ]);
    expect(await hourTotals(deleted)).toEqual({});
    expect(await storedReadings(deleted)).toEqual([]);
    expect(await heldReadings(deleted)).toEqual([]);
  });

  it("refuses a reading from before the retention window, whatever its device, and keeps one on the window's first day", async () => {
    const deviceId = await newDevice();
    const stranger = randomUUID();
    const oldest = oldestAcceptedReading(Date.now(), RETENTION_DAYS);
    const result = await ingest(pool, [reading(deviceId, oldest - 1, 1), reading(stranger, oldest - DAY, 1), reading(deviceId, oldest, 2)]);
    expect(result.outcomes).toEqual(["too-old", "too-old", "recorded"]);
    expect(result).toMatchObject({ countedCount: 1, duplicateCount: 0, heldCount: 0, newlyCounted: [false, false, true] });
    expect(await storedReadings(deviceId)).toEqual([{ at: oldest, kwh: "2" }]);
    expect(await heldReadings(stranger)).toEqual([]);
    // Only refusals: nothing reaches the database.
    const onlyOld = await ingest(pool, [reading(deviceId, oldest - 1, 1)]);
    expect(onlyOld).toEqual({ outcomes: ["too-old"], hourTotals: [], newlyCounted: [false], countedCount: 0, duplicateCount: 0, heldCount: 0 });
  });

  it("does not count a reading of a device deleted just before the batch's write, and reports it", async () => {
    const kept = await newDevice();
    const deleted = await newDevice();
    // The delete lands right before the statement that stores the readings, i.e. after anything
    // ingest may have looked up beforehand: the statement that counts must itself see it.
    let deletedBeforeWrite = false;
    const racing: Queryable = {
      async query(text, values) {
        if (!deletedBeforeWrite && /INSERT INTO readings/.test(text)) {
          deletedBeforeWrite = true;
          await syncDevice({ type: "device.deleted", deviceId: deleted });
        }
        return pool.query(text, values);
      },
    };
    const result = await ingest(racing, [reading(deleted, T0, 1), reading(kept, T0, 2), reading(deleted, T0 + 60_000, 3)]);
    expect(deletedBeforeWrite).toBe(true);
    // Reported (the consumer dead-letters them with reason "device deleted"), not counted.
    expect(result.outcomes).toEqual(["device-deleted", "recorded", "device-deleted"]);
    expect(result).toMatchObject({ countedCount: 1, duplicateCount: 0 });
    expect(result.hourTotals.map((total) => total.deviceId)).toEqual([kept]);
    expect(await hourTotals(deleted)).toEqual({});
    expect(await hourTotals(kept)).toEqual({ [iso(T0)]: { total: "2", count: 1 } });
    expect(await storedReadings(deleted)).toEqual([]);
  });

  it("fails a batch stuck on a lock past the statement timeout with a transient error, and counts it on the retry", async () => {
    const deviceId = await newDevice();
    const impatient = createPool(databaseUrls.monitoring, 1, "ems-monitoring-test-timeout", testLogger, { statementTimeoutMs: 300 });
    const holder = new pg.Client({ connectionString: databaseUrls.monitoring, application_name: "ems-monitoring-test-lock" });
    await holder.connect();
    try {
      // A transaction that keeps the device row locked against the batch's FOR SHARE.
      await holder.query("BEGIN");
      await holder.query("SELECT 1 FROM devices WHERE device_id = $1 FOR UPDATE", [deviceId]);
      const started = Date.now();
      const error = await ingest(impatient, [reading(deviceId, T0, 1)]).then(
        () => null,
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(pg.DatabaseError);
      expect((error as pg.DatabaseError).code).toBe("57014"); // query_canceled: statement timeout
      expect(isDataError(error)).toBe(false); // so the consumer requeues, never dead-letters
      expect(Date.now() - started).toBeLessThan(5_000);
      await holder.query("COMMIT");
      const retried = await ingest(impatient, [reading(deviceId, T0, 1)]);
      expect(retried.countedCount).toBe(1);
    } finally {
      await holder.query("ROLLBACK").catch(() => {});
      await holder.end();
      await impatient.end();
    }
  });

  it("does not count a reading of a device whose deletion commits while the batch is being written", async () => {
    const deviceId = await newDevice();
    const sync = new pg.Client({ connectionString: databaseUrls.monitoring, application_name: "ems-monitoring-test-sync" });
    await sync.connect();
    try {
      // A sync event deleting the device, not yet committed when the batch starts.
      await sync.query("BEGIN");
      await applyDeviceSyncEvent(sync, {
        type: "device.deleted",
        deviceId,
        ownerId: null,
        maxHourlyConsumption: "1000",
        version: ++version,
        occurredAt: new Date().toISOString(),
      });
      const syncPid = (await sync.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
      let settled = false;
      const batch = ingest(pool, [reading(deviceId, T0, 1)]).finally(() => {
        settled = true;
      });
      // Commit the delete once the batch has either finished or is waiting for the device row.
      const deadline = Date.now() + 10_000;
      let waited = false;
      while (!settled && !waited && Date.now() < deadline) {
        const { rowCount } = await pool.query("SELECT 1 FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", [syncPid]);
        waited = rowCount! > 0;
        if (!waited) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await sync.query("COMMIT");
      const result = await batch;
      // The batch waited for the device row the uncommitted delete holds, then saw it deleted.
      expect(waited).toBe(true);
      expect(result.outcomes).toEqual(["device-deleted"]);
      expect(result).toMatchObject({ countedCount: 0, duplicateCount: 0, hourTotals: [] });
      expect(await hourTotals(deviceId)).toEqual({});
      expect(await storedReadings(deviceId)).toEqual([]);
    } finally {
      await sync.query("ROLLBACK").catch(() => {});
      await sync.end();
    }
  });

  it("records a batch of only duplicates of a live device, with no totals to report", async () => {
    const deviceId = await newDevice();
    await ingest(pool, [reading(deviceId, T0, 1)]);
    const again = await ingest(pool, [reading(deviceId, T0, 1), reading(deviceId, T0, 1)]);
    expect(again).toEqual({ outcomes: ["recorded", "recorded"], hourTotals: [], newlyCounted: [false, false], countedCount: 0, duplicateCount: 2, heldCount: 0 });
  });

  it("stores one alert when an hour's total first exceeds the limit, for the owner at that moment", async () => {
    const owner = randomUUID();
    const deviceId = await newDevice({ ownerId: owner, maxHourlyConsumption: "1.000" });

    const atLimit = await ingest(pool, [reading(deviceId, T0, 0.4), reading(deviceId, T0 + 600_000, 0.6)]);
    expect(atLimit.hourTotals).toEqual([expect.objectContaining({ totalKwh: "1.0", alert: null, ownerId: owner })]);

    const over = await ingest(pool, [reading(deviceId, T0 + 1_200_000, 0.001)]);
    expect(over.hourTotals).toHaveLength(1);
    expect(over.hourTotals[0]).toMatchObject({ deviceId, totalKwh: "1.001", limitKwh: "1.000", ownerId: owner });
    expect(over.hourTotals[0]?.alert?.id).toMatch(/^[0-9a-f-]{36}$/);

    // Still over the limit in the same hour: no second alert, even for a new owner.
    const newOwner = randomUUID();
    await syncDevice({ type: "device.assigned", deviceId, ownerId: newOwner, maxHourlyConsumption: "1.000" });
    const stillOver = await ingest(pool, [reading(deviceId, T0 + 1_800_000, 1)]);
    expect(stillOver.hourTotals[0]).toMatchObject({ totalKwh: "2.001", ownerId: newOwner, alert: null });

    // The next hour's alert goes to the owner at that moment.
    const nextHour = await ingest(pool, [reading(deviceId, T0 + HOUR, 5)]);
    expect(nextHour.hourTotals[0]).toMatchObject({ ownerId: newOwner });
    expect(nextHour.hourTotals[0]?.alert).not.toBeNull();

    expect(await alertsOf(deviceId)).toEqual([
      { owner_id: owner, hour_start: new Date(T0), total_kwh: "1.001", limit_kwh: "1.000" },
      { owner_id: newOwner, hour_start: new Date(T0 + HOUR), total_kwh: "5", limit_kwh: "1.000" },
    ]);
  });

  it("stores an alert without an owner for an unassigned device", async () => {
    const deviceId = await newDevice({ maxHourlyConsumption: "0.5" });
    const result = await ingest(pool, [reading(deviceId, T0, 0.6)]);
    expect(result.hourTotals[0]).toMatchObject({ ownerId: null });
    expect(result.hourTotals[0]?.alert).not.toBeNull();
    expect((await alertsOf(deviceId)).map((a) => a.owner_id)).toEqual([null]);
  });
});

describe("createPool", () => {
  it("works in UTC hours even where the database's default time zone is not a whole-hour offset", async () => {
    const database = (await pool.query<{ db: string }>("SELECT current_database() AS db")).rows[0]!.db;
    await pool.query(`ALTER DATABASE "${database}" SET TimeZone = 'Asia/Kolkata'`);
    const kolkata = createPool(databaseUrls.monitoring, 1, "ems-monitoring-test", testLogger);
    try {
      const deviceId = await newDevice();
      await ingest(kolkata, [reading(deviceId, T0 + 5 * 60_000, 0.5)]);
      expect(await hourTotals(deviceId)).toEqual({ [iso(T0)]: { total: "0.5", count: 1 } });
    } finally {
      await kolkata.end();
      await pool.query(`ALTER DATABASE "${database}" RESET TimeZone`);
    }
  });
});

describe("applyDeviceSyncEvent", () => {
  it("applies newer versions only, and keeps a deleted device as a tombstone", async () => {
    const deviceId = randomUUID();
    const base = { deviceId, ownerId: null, maxHourlyConsumption: "2.5", occurredAt: new Date().toISOString() };
    expect(await applyDeviceSyncEvent(pool, { ...base, type: "device.created", version: 1 })).toBe("applied");
    expect(await applyDeviceSyncEvent(pool, { ...base, type: "device.updated", maxHourlyConsumption: "3", version: 3 })).toBe("applied");
    // Version 2 arrives late, and version 3 again: both ignored.
    expect(await applyDeviceSyncEvent(pool, { ...base, type: "device.updated", maxHourlyConsumption: "9", version: 2 })).toBe("stale");
    expect(await applyDeviceSyncEvent(pool, { ...base, type: "device.updated", maxHourlyConsumption: "9", version: 3 })).toBe("stale");
    expect(await applyDeviceSyncEvent(pool, { ...base, type: "device.deleted", maxHourlyConsumption: "3", version: 4 })).toBe("applied");
    // An older "assigned" event must not resurrect the deleted device.
    expect(await applyDeviceSyncEvent(pool, { ...base, type: "device.assigned", ownerId: randomUUID(), version: 2 })).toBe("stale");
    const { rows } = await pool.query("SELECT owner_id, max_hourly_consumption::text AS max, version, deleted FROM devices WHERE device_id = $1", [deviceId]);
    expect(rows).toEqual([{ owner_id: null, max: "3.000", version: 4, deleted: true }]);
  });
});
