import { describe, expect, it } from "vitest";
import type { DayConsumption } from "../api-types.ts";
import { applyConsumptionUpdate } from "./live-consumption.ts";

const deviceId = "5c2494a3-1140-4c7a-991a-a1a2561c6bc2";
const ownerId = "0d9a3c2e-2f4b-4d55-9d1e-3f2a1b0c9d8e";

function day(kwh: number[]): DayConsumption {
  const hours = kwh.map((value, hour) => ({
    hourStart: new Date(Date.UTC(2026, 2, 12, hour)).toISOString(),
    localTime: `${String(hour).padStart(2, "0")}:00`,
    kwh: value,
  }));
  return { deviceId, date: "2026-03-12", timeZone: "UTC", unit: "kWh", hours, totalKwh: kwh.reduce((a, b) => a + b, 0) };
}

describe("applyConsumptionUpdate", () => {
  it("replaces the hour's running total and recomputes the day's total", () => {
    const before = day([0.5, 1, 0]);
    const after = applyConsumptionUpdate(before, { deviceId, ownerId, hourStart: "2026-03-12T01:00:00.000Z", total: "1.75" });
    expect(after?.hours.map((h) => h.kwh)).toEqual([0.5, 1.75, 0]);
    expect(after?.totalKwh).toBeCloseTo(2.25);
    expect(before.hours[1]?.kwh).toBe(1);
  });

  it("matches the hour by instant, whatever the ISO spelling", () => {
    const after = applyConsumptionUpdate(day([0, 0]), { deviceId, ownerId, hourStart: "2026-03-12T02:00:00+01:00", total: "0.3" });
    expect(after?.hours[1]?.kwh).toBe(0.3);
  });

  it("leaves other devices, other days and stale totals alone", () => {
    const cached = day([0.5, 1]);
    expect(applyConsumptionUpdate(cached, { deviceId: ownerId, ownerId, hourStart: "2026-03-12T01:00:00Z", total: "9" })).toBe(cached);
    expect(applyConsumptionUpdate(cached, { deviceId, ownerId, hourStart: "2026-03-13T01:00:00Z", total: "9" })).toBe(cached);
    expect(applyConsumptionUpdate(cached, { deviceId, ownerId, hourStart: "2026-03-12T01:00:00Z", total: "0.4" })).toBe(cached);
    expect(applyConsumptionUpdate(undefined, { deviceId, ownerId, hourStart: "2026-03-12T01:00:00Z", total: "1" })).toBeUndefined();
  });
});
