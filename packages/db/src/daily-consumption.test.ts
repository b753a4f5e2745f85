import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseUrls } from "./env.ts";

// daily_consumption is kept by triggers on hourly_consumption, so it must agree with the hours after
// whatever a writer does to them: insert, ingest's upsert, update, delete, truncate.
describe("daily_consumption", () => {
  const client = new pg.Client({ connectionString: databaseUrls.monitoring });
  const device = "00000000-0000-4000-8000-0000000da117";

  beforeAll(async () => {
    await client.connect();
    await client.query("INSERT INTO devices (device_id, max_hourly_consumption, version) VALUES ($1, 100, 1)", [device]);
  });
  afterAll(async () => {
    await client.query("DELETE FROM devices WHERE device_id = $1", [device]);
    await client.end();
  });

  /** running_kwh per UTC day as text, straight from daily_consumption. */
  async function stored(): Promise<Record<string, string[]>> {
    const { rows } = await client.query<{ day: string; running: string[] }>(
      "SELECT day::text, running_kwh::text[] AS running FROM daily_consumption WHERE device_id = $1 ORDER BY day",
      [device],
    );
    return Object.fromEntries(rows.map((row) => [row.day, row.running.map((kwh) => String(Number(kwh)))]));
  }

  /** The running totals a day must have, given its hourly kWh by UTC hour. */
  function running(hours: Record<number, number>): string[] {
    let total = 0;
    return Array.from({ length: 24 }, (_, hour) => String((total += hours[hour] ?? 0)));
  }

  const upsertHour = (hourStart: string, kwh: string) =>
    client.query(
      `INSERT INTO hourly_consumption AS h (device_id, hour_start, total_kwh, reading_count) VALUES ($1, $2, $3, 1)
       ON CONFLICT (device_id, hour_start) DO UPDATE SET total_kwh = h.total_kwh + EXCLUDED.total_kwh`,
      [device, hourStart, kwh],
    );

  it("follows inserts, upserts, updates and deletes of hours, per UTC day", async () => {
    await client.query(
      `INSERT INTO hourly_consumption (device_id, hour_start, total_kwh, reading_count)
       VALUES ($1, '2026-03-01T00:00:00Z', 1.5, 1), ($1, '2026-03-01T22:00:00Z', 2, 1), ($1, '2026-03-02T05:00:00Z', 0.25, 1)`,
      [device],
    );
    expect(await stored()).toEqual({ "2026-03-01": running({ 0: 1.5, 22: 2 }), "2026-03-02": running({ 5: 0.25 }) });

    await upsertHour("2026-03-01T22:00:00Z", "0.5"); // ingest adding to an hour
    await upsertHour("2026-03-01T23:00:00Z", "1"); // and starting one
    expect((await stored())["2026-03-01"]).toEqual(running({ 0: 1.5, 22: 2.5, 23: 1 }));

    await client.query("UPDATE hourly_consumption SET total_kwh = 3 WHERE device_id = $1 AND hour_start = '2026-03-01T00:00:00Z'", [device]);
    await client.query("DELETE FROM hourly_consumption WHERE device_id = $1 AND hour_start = '2026-03-02T05:00:00Z'", [device]);
    expect(await stored()).toEqual({ "2026-03-01": running({ 0: 3, 22: 2.5, 23: 1 }), "2026-03-02": running({}) });
  });

  it("keeps sums exact (numeric, not floating point)", async () => {
    for (let i = 0; i < 10; i++) await upsertHour("2026-04-01T10:00:00Z", "0.1");
    const { rows } = await client.query<{ total: string }>(
      "SELECT running_kwh[24]::text AS total FROM daily_consumption WHERE device_id = $1 AND day = '2026-04-01'",
      [device],
    );
    expect(rows[0]?.total).toBe("1.0");
  });

  it("is emptied with the hours by TRUNCATE, and goes with its device", async () => {
    // In transactions rolled back: the test database is shared with other test files.
    for (const truncate of ["TRUNCATE hourly_consumption", "TRUNCATE hourly_consumption, daily_consumption", "TRUNCATE devices CASCADE"]) {
      await client.query("BEGIN");
      try {
        await client.query(truncate);
        const { rows } = await client.query<{ count: string }>("SELECT count(*) FROM daily_consumption");
        expect(rows[0]?.count, truncate).toBe("0");
      } finally {
        await client.query("ROLLBACK");
      }
    }
    const other = "00000000-0000-4000-8000-0000000da118";
    await client.query("INSERT INTO devices (device_id, max_hourly_consumption, version) VALUES ($1, 1, 1)", [other]);
    await client.query("INSERT INTO hourly_consumption (device_id, hour_start, total_kwh, reading_count) VALUES ($1, '2026-03-01T00:00:00Z', 1, 1)", [other]);
    await client.query("DELETE FROM devices WHERE device_id = $1", [other]);
    const { rows } = await client.query("SELECT 1 FROM daily_consumption WHERE device_id = $1", [other]);
    expect(rows).toEqual([]);
  });
});
