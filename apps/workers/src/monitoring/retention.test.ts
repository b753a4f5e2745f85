import { randomUUID } from "node:crypto";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabases, dropTestDatabases, type TestDatabaseUrls } from "@ems/db/testing";
import { testLogger } from "../shared/testing.ts";
import { createPool, isDataError } from "./database.ts";
import { ingestReadings } from "./ingest.ts";
import { maintainReadingPartitions, oldestAcceptedReading } from "./retention.ts";
import { applyDeviceSyncEvent } from "./sync.ts";

/**
 * Partition maintenance moves "today" around, so it runs on databases of its own rather than on the
 * run's shared ones.
 */
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 30, 12); // 2026-11-30 12:00 UTC
const RETENTION_DAYS = 3;

let urls: TestDatabaseUrls;
let pool: pg.Pool;

beforeAll(async () => {
  urls = await createTestDatabases("retention");
  pool = createPool(urls.monitoring, 4, "ems-monitoring-test-retention", testLogger);
});

afterAll(async () => {
  await pool.end();
  await dropTestDatabases(urls);
});

async function partitions(): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'readings'::regclass ORDER BY 1",
  );
  return rows.map((r) => r.name);
}

async function storedDays(deviceId: string): Promise<string[]> {
  const { rows } = await pool.query<{ reading_at: Date }>(
    "SELECT r.reading_at FROM readings r JOIN devices d USING (device_no) WHERE d.device_id = $1 ORDER BY 1",
    [deviceId],
  );
  return rows.map((r) => r.reading_at.toISOString().slice(0, 10));
}

describe("readings partitions", () => {
  it("creates a partition for every accepted day and two ahead, once, even when replicas run it together", async () => {
    expect(oldestAcceptedReading(NOW, RETENTION_DAYS)).toBe(Date.UTC(2026, 10, 27));
    const first = await Promise.all([maintainReadingPartitions(pool, RETENTION_DAYS, NOW), maintainReadingPartitions(pool, RETENTION_DAYS, NOW)]);
    const expected = ["readings_20261127", "readings_20261128", "readings_20261129", "readings_20261130", "readings_20261201", "readings_20261202"];
    // One replica created them all; the other waited for the lock and found nothing to do.
    expect(first.map((r) => r.created).sort()).toEqual([[], expected]);
    expect(await partitions()).toEqual(expected);
    expect(await maintainReadingPartitions(pool, RETENTION_DAYS, NOW)).toEqual({ created: [], dropped: [] });
  });

  it("drops whole the partitions older than the window plus one day, keeping totals and newer readings", async () => {
    const deviceId = randomUUID();
    await applyDeviceSyncEvent(pool, { type: "device.created", deviceId, ownerId: null, maxHourlyConsumption: "100", version: 1, occurredAt: new Date(NOW).toISOString() });
    const oldest = oldestAcceptedReading(NOW, RETENTION_DAYS);
    const at = (day: number) => ({ deviceId, timestamp: oldest + day * DAY + 3_600_000, value: 1 });
    const result = await ingestReadings(pool, [at(0), at(1), at(3)], oldest);
    expect(result.countedCount).toBe(3);
    expect(await storedDays(deviceId)).toEqual(["2026-11-27", "2026-11-28", "2026-11-30"]);

    // Two days later: 2026-11-29 is the oldest accepted day, 2026-11-28 is kept as the margin.
    const later = await maintainReadingPartitions(pool, RETENTION_DAYS, NOW + 2 * DAY);
    expect(later).toEqual({ created: ["readings_20261203", "readings_20261204"], dropped: ["readings_20261127"] });
    expect(await storedDays(deviceId)).toEqual(["2026-11-28", "2026-11-30"]);
    const { rows } = await pool.query<{ n: number }>("SELECT sum(reading_count)::integer AS n FROM hourly_consumption WHERE device_id = $1", [deviceId]);
    expect(rows[0]?.n).toBe(3);
  });

  it("refuses, as a data error, a reading whose day has no partition", async () => {
    const deviceId = randomUUID();
    await applyDeviceSyncEvent(pool, { type: "device.created", deviceId, ownerId: null, maxHourlyConsumption: "100", version: 1, occurredAt: new Date(NOW).toISOString() });
    const error: unknown = await ingestReadings(pool, [{ deviceId, timestamp: NOW + 30 * DAY, value: 1 }], 0).catch((failure: unknown) => failure);
    expect(isDataError(error)).toBe(true);
    expect((error as Error).message).toMatch(/^no partition of relation "readings" found for row/);
  });
});
