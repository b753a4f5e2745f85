import { describe, expect, it } from "vitest";
import { dailyShape, hourFormatter, localHourOf, profileReading } from "./load-profile.ts";

const DEVICE = "5c2494a3-1140-4c7a-991a-a1a2561c6bc2";
const OTHER = "0f8fad5b-d9cb-469f-a165-70867728950e";

describe("load profile", () => {
  it("is low at night with a morning and a larger evening peak", () => {
    const night = dailyShape(3);
    expect(dailyShape(7.5)).toBeGreaterThan(3 * night);
    expect(dailyShape(19.5)).toBeGreaterThan(dailyShape(7.5));
    expect(dailyShape(19.5)).toBeGreaterThan(dailyShape(13));
    // About 8 kWh a day for an average household (144 readings).
    const day = Array.from({ length: 144 }, (_, i) => dailyShape(i / 6)).reduce((a, b) => a + b, 0);
    expect(day).toBeGreaterThan(5);
    expect(day).toBeLessThan(10);
  });

  it("gives deterministic, non-negative readings in whole watt-hours that differ per device", () => {
    const t = Date.UTC(2026, 10, 27, 19, 30);
    expect(profileReading(DEVICE, t, 19.5)).toBe(profileReading(DEVICE, t, 19.5));
    expect(profileReading(DEVICE, t, 19.5)).not.toBe(profileReading(OTHER, t, 19.5));
    for (let i = 0; i < 1_000; i++) {
      const value = profileReading(DEVICE, t + i * 600_000, (i / 6) % 24);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(Math.round(value * 1000) / 1000).toBe(value);
    }
  });

  it("follows the local clock of the chosen time zone", () => {
    const t = Date.UTC(2026, 6, 1, 17, 30); // 20:30 in Bucharest (summer time, UTC+3)
    expect(localHourOf(t, hourFormatter("UTC"))).toBe(17.5);
    expect(localHourOf(t, hourFormatter("Europe/Bucharest"))).toBe(20.5);
    expect(localHourOf(Date.UTC(2026, 0, 1, 0, 10), hourFormatter("UTC"))).toBeCloseTo(1 / 6);
  });
});
