import { describe, expect, it } from "vitest";
import type { PeriodConsumption } from "~/lib/consumption-periods.ts";
import { applyConsumptionUpdate, needsRefetch } from "./live-consumption.ts";

const deviceId = "5c2494a3-1140-4c7a-991a-a1a2561c6bc2";
const ownerId = "0d9a3c2e-2f4b-4d55-9d1e-3f2a1b0c9d8e";
const HOUR_MS = 3_600_000;

function period(kwh: number[], options: { resolution?: PeriodConsumption["resolution"]; scope?: PeriodConsumption["scope"]; previousKwh?: number } = {}): PeriodConsumption {
  const step = options.resolution === "day" ? 24 * HOUR_MS : HOUR_MS;
  const buckets = kwh.map((value, i) => {
    const start = Date.UTC(2026, 2, 12) + i * step;
    return { start: new Date(start).toISOString(), end: new Date(start + step).toISOString(), localStart: new Date(start).toISOString().replace(".000Z", "+00:00"), kwh: value };
  });
  const totalKwh = kwh.reduce((a, b) => a + b, 0);
  const previousKwh = options.previousKwh ?? 1;
  return {
    scope: options.scope ?? { kind: "device", deviceId },
    timeZone: "UTC",
    resolution: options.resolution ?? "hour",
    unit: "kWh",
    current: { from: "2026-03-12", to: "2026-03-13", buckets, totalKwh },
    previous: { from: "2026-03-11", to: "2026-03-12", buckets: [], totalKwh: previousKwh },
    change: { kwh: totalKwh - previousKwh, percent: null },
  };
}

describe("applyConsumptionUpdate", () => {
  it("replaces the hour's running total and recomputes the total and its change", () => {
    const before = period([0.5, 1, 0], { previousKwh: 2 });
    const after = applyConsumptionUpdate(before, { deviceId, ownerId, hourStart: "2026-03-12T01:00:00.000Z", total: "1.75" });
    expect(after?.current.buckets.map((h) => h.kwh)).toEqual([0.5, 1.75, 0]);
    expect(after?.current.totalKwh).toBe(2.25);
    expect(after?.change).toEqual({ kwh: 0.25, percent: 12.5 });
    expect(before.current.buckets[1]?.kwh).toBe(1);
  });

  it("matches the hour by instant, whatever the ISO spelling", () => {
    const after = applyConsumptionUpdate(period([0, 0]), { deviceId, ownerId, hourStart: "2026-03-12T02:00:00+01:00", total: "0.3" });
    expect(after?.current.buckets[1]?.kwh).toBe(0.3);
  });

  it("leaves other devices, other periods, stale totals, days and all-device totals alone", () => {
    const cached = period([0.5, 1]);
    expect(applyConsumptionUpdate(cached, { deviceId: ownerId, ownerId, hourStart: "2026-03-12T01:00:00Z", total: "9" })).toBe(cached);
    expect(applyConsumptionUpdate(cached, { deviceId, ownerId, hourStart: "2026-03-13T01:00:00Z", total: "9" })).toBe(cached);
    expect(applyConsumptionUpdate(cached, { deviceId, ownerId, hourStart: "2026-03-12T01:00:00Z", total: "0.4" })).toBe(cached);
    expect(applyConsumptionUpdate(undefined, { deviceId, ownerId, hourStart: "2026-03-12T01:00:00Z", total: "1" })).toBeUndefined();
    const days = period([1, 2], { resolution: "day" });
    expect(applyConsumptionUpdate(days, { deviceId, ownerId, hourStart: "2026-03-12T01:00:00Z", total: "9" })).toBe(days);
    const all = period([1, 2], { scope: { kind: "user", userId: ownerId, deviceCount: 2 } });
    expect(applyConsumptionUpdate(all, { deviceId, ownerId, hourStart: "2026-03-12T01:00:00Z", total: "9" })).toBe(all);
  });
});

describe("needsRefetch", () => {
  const update = { deviceId, ownerId, hourStart: "2026-03-13T05:00:00Z", total: "1" };

  it("a device's days and the client's total are fetched again when they hold the hour", () => {
    expect(needsRefetch(period([1, 2], { resolution: "day" }), update)).toBe(true);
    expect(needsRefetch(period([1, 2], { resolution: "day", scope: { kind: "user", userId: ownerId, deviceCount: 3 } }), update)).toBe(true);
  });

  it("not hours it patches, not another device's, not a period without the hour", () => {
    expect(needsRefetch(period(Array.from({ length: 48 }, () => 0)), update)).toBe(false);
    expect(needsRefetch(period([1, 2], { resolution: "day", scope: { kind: "device", deviceId: ownerId } }), update)).toBe(false);
    expect(needsRefetch(period([1], { resolution: "day" }), update)).toBe(false);
    expect(needsRefetch(undefined, update)).toBe(false);
  });
});
