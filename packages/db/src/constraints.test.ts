import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseUrls } from "./env.ts";

// The constraints that protect monitoring's data live in SQL, so they hold for every writer. These
// tests write to the migrated test database directly, as a writer with no application checks would.
describe("monitoring database constraints", () => {
  const client = new pg.Client({ connectionString: databaseUrls.monitoring });
  const device = "00000000-0000-4000-8000-00000000c0de";

  beforeAll(async () => {
    await client.connect();
    await client.query("INSERT INTO devices (device_id, max_hourly_consumption, version) VALUES ($1, 1, 1)", [device]);
  });
  afterAll(async () => {
    await client.query("DELETE FROM devices WHERE device_id = $1", [device]);
    await client.end();
  });

  const insertHour = (hourStart: string, total = "1") =>
    client.query("INSERT INTO hourly_consumption (device_id, hour_start, total_kwh, reading_count) VALUES ($1, $2, $3, 1)", [
      device,
      hourStart,
      total,
    ]);

  it("accepts a UTC clock hour even from a session in a half-hour time zone", async () => {
    await client.query("SET TimeZone = 'Asia/Kolkata'");
    try {
      await expect(insertHour("2026-11-27T10:00:00Z")).resolves.toBeDefined();
    } finally {
      await client.query("RESET TimeZone");
    }
  });

  it("rejects an hour that does not start on the hour", async () => {
    await expect(insertHour("2026-11-27T11:30:00Z")).rejects.toThrow(/hourly_consumption_hour_start_check/);
  });

  it("rejects a negative total", async () => {
    await expect(insertHour("2026-11-27T12:00:00Z", "-0.1")).rejects.toThrow(/check constraint/);
  });

  it("stores at most one alert per device-hour", async () => {
    const alert = "INSERT INTO alerts (device_id, hour_start, total_kwh, limit_kwh) VALUES ($1, '2026-11-27T10:00:00Z', 2, 1)";
    await client.query(alert, [device]);
    await expect(client.query(alert, [device])).rejects.toThrow(/alerts_device_id_hour_start_key/);
  });
});
