import { beforeAll, describe, expect, it } from "vitest";
import { monitoringDb } from "@ems/db/monitoring";
import { devicePeriodInputSchema, periodBuckets, previousPeriod, userPeriodInputSchema, type PeriodConsumption } from "~/lib/consumption-periods.ts";
import { listAlertsInputSchema } from "~/lib/schemas.ts";
import { createCast, createTestDevice, createTestUser, seedAlert, seedMonitoring, seedSilenceAlarm, type Cast } from "../../../test/fixtures.ts";
import { DomainError } from "../errors.ts";
import type { Viewer } from "../viewer.ts";
import {
  acknowledgeAlert,
  bucketTotalsQuery,
  deviceConsumptionOverPeriod,
  hourlyBucketTotalsQuery,
  listAlerts,
  userConsumptionOverPeriod,
} from "./monitoring.ts";
import { utcDaySplits } from "./utc-day-splits.ts";

/** Consumption over periods against the real monitoring and device databases. */

let cast: Cast;
let kitchen: string;
let heatPump: string;
let bobsMeter: string;

beforeAll(async () => {
  cast = await createCast();
  [kitchen, heatPump, bobsMeter] = (
    await Promise.all([createTestDevice(cast.admin, cast.clientA.id), createTestDevice(cast.admin, cast.clientA.id), createTestDevice(cast.admin, cast.clientB.id)])
  ).map((device) => device.id) as [string, string, string];
  await seedMonitoring(kitchen, cast.clientA.id, [
    // Europe/Bucharest, spring forward on 2026-03-29 (03:00 → 04:00, +02:00 → +03:00).
    { hourStart: "2026-03-28T21:00:00Z", kwh: "0.5" }, // 23:00 on 28 March
    { hourStart: "2026-03-28T22:00:00Z", kwh: "0.25" }, // 00:00 on 29 March
    { hourStart: "2026-03-29T00:00:00Z", kwh: "0.125" }, // 02:00, the last hour before the jump
    { hourStart: "2026-03-29T01:00:00Z", kwh: "0.75" }, // 04:00
    // Fall back on 2026-10-25 (04:00 → 03:00): 03:00 happens twice.
    { hourStart: "2026-10-25T00:00:00Z", kwh: "1" }, // the first 03:00 (+03:00)
    { hourStart: "2026-10-25T01:00:00Z", kwh: "2" }, // the second 03:00 (+02:00)
    // Month boundaries in Bucharest: 1 March begins at 2026-02-28T22:00Z.
    { hourStart: "2026-02-28T21:00:00Z", kwh: "1.5" }, // 28 February 23:00
    { hourStart: "2026-01-31T21:00:00Z", kwh: "0.5" }, // 31 January 23:00
    { hourStart: "2026-01-31T22:00:00Z", kwh: "0.25" }, // 1 February 00:00
  ]);
  await seedMonitoring(heatPump, cast.clientA.id, [
    { hourStart: "2026-03-28T22:00:00Z", kwh: "1.25" },
    { hourStart: "2026-02-28T22:00:00Z", kwh: "3" }, // 1 March 00:00 in Bucharest
  ]);
  await seedMonitoring(bobsMeter, cast.clientB.id, [{ hourStart: "2026-03-28T22:00:00Z", kwh: "9" }]);
});

const device = (viewer: Viewer, input: Record<string, unknown>) => deviceConsumptionOverPeriod(viewer, devicePeriodInputSchema.parse(input));
const user = (viewer: Viewer, input: Record<string, unknown>) => userConsumptionOverPeriod(viewer, userPeriodInputSchema.parse(input));
const kwhs = (result: PeriodConsumption) => result.current.buckets.map((bucket) => bucket.kwh);

async function domainErrorOf(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe("one device over a period", () => {
  it("the spring-forward day in Bucharest has 23 hourly buckets, 02:00 followed by 04:00", async () => {
    const day = await device(cast.clientA, { deviceId: kitchen, from: "2026-03-29", to: "2026-03-30", resolution: "hour", tz: "Europe/Bucharest" });
    expect(day.current.buckets).toHaveLength(23);
    expect(day.current.buckets.slice(0, 4).map((b) => b.localStart)).toEqual([
      "2026-03-29T00:00:00+02:00",
      "2026-03-29T01:00:00+02:00",
      "2026-03-29T02:00:00+02:00",
      "2026-03-29T04:00:00+03:00",
    ]);
    expect(kwhs(day).slice(0, 4)).toEqual([0.25, 0, 0.125, 0.75]);
    expect(day.current.totalKwh).toBe(1.125);
    // The day before is 24 hours, and its 23:00 is not part of the 29th.
    expect(day.previous).toMatchObject({ from: "2026-03-28", to: "2026-03-29", totalKwh: 0.5 });
    expect(day.previous.buckets).toHaveLength(24);
    expect(day.change).toEqual({ kwh: 0.625, percent: 125 });
  });

  it("the fall-back day has 25 hourly buckets with 03:00 twice, each with its own reading", async () => {
    const day = await device(cast.clientA, { deviceId: kitchen, from: "2026-10-25", to: "2026-10-26", resolution: "hour", tz: "Europe/Bucharest" });
    expect(day.current.buckets).toHaveLength(25);
    const threes = day.current.buckets.filter((b) => b.localStart.slice(11, 16) === "03:00");
    expect(threes.map((b) => [b.localStart, b.kwh])).toEqual([
      ["2026-10-25T03:00:00+03:00", 1],
      ["2026-10-25T03:00:00+02:00", 2],
    ]);
    expect(day.change).toEqual({ kwh: 3, percent: null });
  });

  it("days are the zone's calendar days: 23 and 25 hours long across the changes", async () => {
    const week = await device(cast.clientA, { deviceId: kitchen, from: "2026-03-23", to: "2026-03-30", resolution: "day", tz: "Europe/Bucharest" });
    const sunday = week.current.buckets[6]!;
    expect(sunday.localStart).toBe("2026-03-29T00:00:00+02:00");
    expect((Date.parse(sunday.end) - Date.parse(sunday.start)) / 3_600_000).toBe(23);
    expect(kwhs(week)).toEqual([0, 0, 0, 0, 0, 0.5, 1.125]);
    const autumn = await device(cast.clientA, { deviceId: kitchen, from: "2026-10-25", to: "2026-10-26", resolution: "day", tz: "Europe/Bucharest" });
    const [fallBack] = autumn.current.buckets;
    expect((Date.parse(fallBack!.end) - Date.parse(fallBack!.start)) / 3_600_000).toBe(25);
    expect(fallBack!.kwh).toBe(3);
  });

  it("months are the zone's calendar months: an hour before local midnight stays in the month before", async () => {
    const year = await device(cast.clientA, { deviceId: kitchen, from: "2026-01-01", to: "2027-01-01", resolution: "month", tz: "Europe/Bucharest" });
    expect(year.current.buckets).toHaveLength(12);
    expect(year.current.buckets.slice(0, 3).map((b) => [b.localStart, b.kwh])).toEqual([
      ["2026-01-01T00:00:00+02:00", 0.5],
      ["2026-02-01T00:00:00+02:00", 1.75],
      ["2026-03-01T00:00:00+02:00", 1.625],
    ]);
    expect(year.current.buckets[3]!.localStart).toBe("2026-04-01T00:00:00+03:00");
    // In UTC the same hours fall one month later where they cross midnight UTC, not local midnight.
    const utc = await device(cast.clientA, { deviceId: kitchen, from: "2026-01-01", to: "2026-04-01", resolution: "month", tz: "UTC" });
    expect(kwhs(utc)).toEqual([0.75, 1.5, 1.625]);
    // The previous period of a year is the year before, month by month.
    expect(year.previous).toMatchObject({ from: "2025-01-01", to: "2026-01-01", totalKwh: 0 });
    expect(year.previous.buckets).toHaveLength(12);
  });

  it("a month at day resolution is compared with the calendar month before", async () => {
    const march = await device(cast.clientA, { deviceId: kitchen, from: "2026-03-01", to: "2026-04-01", resolution: "day", tz: "Europe/Bucharest" });
    expect(march.current.buckets).toHaveLength(31);
    expect(march.previous.from).toBe("2026-02-01");
    expect(march.previous.buckets).toHaveLength(28);
    expect(march.previous.totalKwh).toBe(1.75);
    expect(march.previous.buckets[27]!.kwh).toBe(1.5);
    expect(march.change).toEqual({ kwh: -0.125, percent: -7.1 });
  });

  it("another client's device is refused, and so is an unknown one", async () => {
    const refused = await domainErrorOf(device(cast.clientB, { deviceId: kitchen, from: "2026-03-01", to: "2026-04-01", resolution: "day" }));
    expect(refused.code).toBe("FORBIDDEN");
    const unknown = await domainErrorOf(device(cast.admin, { deviceId: crypto.randomUUID(), from: "2026-03-01", to: "2026-04-01", resolution: "day" }));
    expect(unknown.code).toBe("NOT_FOUND");
    const asAdmin = await device(cast.admin, { deviceId: kitchen, from: "2026-03-01", to: "2026-04-01", resolution: "day", tz: "Europe/Bucharest" });
    expect(asAdmin.current.totalKwh).toBe(1.625);
  });
});

describe("all of a client's devices together", () => {
  it("each bucket is the sum of the client's devices, and nobody else's", async () => {
    const period = { from: "2026-02-23", to: "2026-03-31", resolution: "day", tz: "Europe/Bucharest" };
    const [all, first, second] = await Promise.all([
      user(cast.clientA, period),
      device(cast.clientA, { ...period, deviceId: kitchen }),
      device(cast.clientA, { ...period, deviceId: heatPump }),
    ]);
    expect(all.scope).toEqual({ kind: "user", userId: cast.clientA.id, deviceCount: 2 });
    expect(kwhs(all)).toEqual(kwhs(first).map((kwh, i) => kwh + kwhs(second)[i]!));
    expect(all.current.totalKwh).toBe(first.current.totalKwh + second.current.totalKwh);
    expect(all.current.totalKwh).toBe(7.375);
    // Bob's 9 kWh at the same hour is not in Alice's total.
    expect(all.current.buckets.find((b) => b.localStart.startsWith("2026-03-29"))!.kwh).toBe(2.375);
  });

  it("a client sees only their own total; an admin names any client", async () => {
    const period = { from: "2026-03-29", to: "2026-03-30", resolution: "hour", tz: "Europe/Bucharest" };
    expect((await domainErrorOf(user(cast.clientB, { ...period, userId: cast.clientA.id }))).code).toBe("FORBIDDEN");
    const own = await user(cast.clientB, period);
    expect(own.scope).toEqual({ kind: "user", userId: cast.clientB.id, deviceCount: 1 });
    expect(own.current.totalKwh).toBe(9);
    const byAdmin = await user(cast.admin, { ...period, userId: cast.clientA.id });
    expect(byAdmin.current.totalKwh).toBe(2.375);
    expect((await domainErrorOf(user(cast.admin, period))).code).toBe("BAD_REQUEST");
    expect((await domainErrorOf(user(cast.admin, { ...period, userId: crypto.randomUUID() }))).code).toBe("NOT_FOUND");
  });

  it("a client without devices gets zero buckets, not an error", async () => {
    const lonely = await createTestUser("client", "lonely");
    const result = await user(lonely, { from: "2026-01-01", to: "2027-01-01", resolution: "month", tz: "America/New_York" });
    expect(result.scope).toEqual({ kind: "user", userId: lonely.id, deviceCount: 0 });
    expect(kwhs(result)).toEqual(Array.from({ length: 12 }, () => 0));
    expect(result.current.buckets[0]!.localStart).toBe("2026-01-01T00:00:00-05:00");
  });
});

describe("day and month sums from the daily roll-up", () => {
  it("equal the stored hours summed one by one, in zones east, west, half- and quarter-hour, across DST", async () => {
    const owner = await createTestUser("client", "rollup");
    const meters = await Promise.all([createTestDevice(cast.admin, owner.id), createTestDevice(cast.admin, owner.id)]);
    // Every fifth hour of two months around the March DST changes, with values of 1..3 decimals.
    const start = Date.parse("2026-02-20T00:00:00Z");
    for (const [index, meter] of meters.entries()) {
      const hours = Array.from({ length: 60 * 24 }, (_, h) => h)
        .filter((h) => (h + index) % 5 === 0)
        .map((h) => ({ hourStart: new Date(start + h * 3_600_000).toISOString(), kwh: ((h % 7) * 0.125 + index * 0.001 + 0.1).toFixed(3) }));
      await seedMonitoring(meter.id, owner.id, hours);
    }
    const deviceIds = meters.map((meter) => meter.id);
    const zones = ["UTC", "Europe/Bucharest", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham"];
    for (const tz of zones) {
      for (const [from, to, resolution] of [["2026-02-19", "2026-04-22", "day"], ["2026-02-01", "2026-05-01", "month"]] as const) {
        // The buckets a page asks for: the period before, then the period.
        const before = previousPeriod(from, to);
        const buckets = [...periodBuckets(before.from, before.to, resolution, tz), ...periodBuckets(from, to, resolution, tz)];
        expect(utcDaySplits(buckets), `${tz} ${resolution}: read from the daily roll-up`).toBeDefined();
        const sorted = (rows: { bucket: number; kwh: string }[]) => rows.map((row) => `${row.bucket}:${Number(row.kwh)}`).sort();
        const [byHour, byDay] = await Promise.all([
          monitoringDb.$queryRaw<{ bucket: number; kwh: string }[]>(hourlyBucketTotalsQuery(deviceIds, buckets, buckets.at(-1)!.end)),
          monitoringDb.$queryRaw<{ bucket: number; kwh: string }[]>(bucketTotalsQuery(deviceIds, buckets, resolution)),
        ]);
        expect(byHour.length, `${tz} ${resolution}`).toBeGreaterThan(resolution === "day" ? 50 : 1);
        expect(sorted(byDay), `${tz} ${resolution}`).toEqual(sorted(byHour));
      }
    }
  });
});

describe("alerts of both kinds", () => {
  const HOUR_MS = 3_600_000;
  const alerts = (viewer: Viewer, input: Record<string, unknown>, now?: Date) => listAlerts(viewer, listAlertsInputSchema.parse(input), now);
  const ids = (page: { items: { id: string }[] }) => page.items.map((a) => a.id);

  it("an over-consumption alert is active during its hour and cleared from the hour's end on", async () => {
    const device = await createTestDevice(cast.admin, cast.clientA.id);
    await seedMonitoring(device.id, cast.clientA.id, []);
    const thisHour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    const past = await seedAlert(device.id, cast.clientA.id, new Date(thisHour - 2 * HOUR_MS).toISOString());
    const current = await seedAlert(device.id, cast.clientA.id, new Date(thisHour).toISOString());

    const now = await alerts(cast.clientA, { deviceId: device.id });
    expect(now.items).toEqual([
      expect.objectContaining({ id: current.id, kind: "over_consumption", state: "active", clearedAt: new Date(thisHour + HOUR_MS), lastReadingAt: null, totalKwh: "3.2", limitKwh: "1.000" }),
      expect.objectContaining({ id: past.id, kind: "over_consumption", state: "cleared", clearedAt: new Date(thisHour - HOUR_MS) }),
    ]);
    expect(ids(await alerts(cast.clientA, { deviceId: device.id, state: "active" }))).toEqual([current.id]);
    expect(ids(await alerts(cast.clientA, { deviceId: device.id, state: "cleared" }))).toEqual([past.id]);

    // At the hour's end, the current one is cleared too: the state is of the moment asked.
    const hourEnd = new Date(thisHour + HOUR_MS);
    expect((await alerts(cast.clientA, { deviceId: device.id }, hourEnd)).items.map((a) => a.state)).toEqual(["cleared", "cleared"]);
    expect(ids(await alerts(cast.clientA, { deviceId: device.id, state: "active" }, hourEnd))).toEqual([]);
  });

  it("a silence alarm is active until cleared_at is set; the client filters by kind and state", async () => {
    const device = await createTestDevice(cast.admin, cast.clientA.id);
    await seedMonitoring(device.id, cast.clientA.id, []);
    const lastReadingAt = new Date(Date.now() - 45 * 60_000);
    const earlier = await seedSilenceAlarm(device.id, cast.clientA.id, new Date(Date.now() - 5 * HOUR_MS), new Date(Date.now() - 4 * HOUR_MS));
    const silence = await seedSilenceAlarm(device.id, cast.clientA.id, lastReadingAt);
    const overLimit = await seedAlert(device.id, cast.clientA.id, "2026-03-10T10:00:00Z");

    const silent = await alerts(cast.clientA, { deviceId: device.id, kind: "device_silent", state: "active" });
    expect(silent.items).toEqual([
      {
        id: silence.id,
        kind: "device_silent",
        deviceId: device.id,
        deviceName: device.name,
        ownerId: cast.clientA.id,
        state: "active",
        lastReadingAt,
        clearedAt: null,
        hourStart: null,
        totalKwh: null,
        limitKwh: null,
        createdAt: silence.createdAt,
        acknowledgedAt: null,
      },
    ]);
    expect(ids(await alerts(cast.clientA, { deviceId: device.id, kind: "device_silent", state: "cleared" }))).toEqual([earlier.id]);
    expect(ids(await alerts(cast.clientA, { deviceId: device.id, kind: "over_consumption" }))).toEqual([overLimit.id]);
    // Long after it was raised, still active: only the device reporting again clears it.
    expect((await alerts(cast.clientA, { deviceId: device.id, kind: "device_silent" }, new Date(Date.now() + 30 * 24 * HOUR_MS))).items.map((a) => a.state)).toEqual(["active", "cleared"]);

    const reportedAgain = new Date();
    await monitoringDb.alert.update({ where: { id: silence.id }, data: { clearedAt: reportedAgain } });
    const afterwards = await alerts(cast.clientA, { deviceId: device.id, kind: "device_silent" }, new Date(reportedAgain.getTime() + 1));
    expect(afterwards.items[0]).toMatchObject({ id: silence.id, state: "cleared", clearedAt: reportedAgain });
  });

  it("a client never sees nor acknowledges another client's silence alarm; its owner acknowledges it, and it stays active", async () => {
    const device = await createTestDevice(cast.admin, cast.clientA.id);
    await seedMonitoring(device.id, cast.clientA.id, []);
    const silence = await seedSilenceAlarm(device.id, cast.clientA.id, new Date(Date.now() - 40 * 60_000));

    const ofB = await alerts(cast.clientB, { kind: "device_silent", limit: 100 });
    expect(ids(ofB)).not.toContain(silence.id);
    expect(ofB.items.every((a) => a.ownerId === cast.clientB.id)).toBe(true);
    expect(await alerts(cast.clientB, { deviceId: device.id })).toEqual({ items: [], nextCursor: null });
    expect((await domainErrorOf(acknowledgeAlert(cast.clientB, silence.id))).code).toBe("FORBIDDEN");
    expect(ids(await alerts(cast.admin, { deviceId: device.id }))).toEqual([silence.id]);

    const acknowledged = await acknowledgeAlert(cast.clientA, silence.id);
    expect(acknowledged).toMatchObject({ id: silence.id, kind: "device_silent", state: "active", clearedAt: null });
    expect(acknowledged.acknowledgedAt).toBeInstanceOf(Date);
    expect((await acknowledgeAlert(cast.clientA, silence.id)).acknowledgedAt).toEqual(acknowledged.acknowledgedAt);
    expect(ids(await alerts(cast.clientA, { deviceId: device.id, unacknowledgedOnly: true }))).toEqual([]);
  });
});
