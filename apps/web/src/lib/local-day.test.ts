import { describe, expect, it } from "vitest";
import { localDayRange, localTimeLabel, utcHoursOfLocalDay } from "./local-day.ts";
import { consumptionInputSchema } from "./schemas.ts";

const iso = (ms: number) => new Date(ms).toISOString();

describe("local days", () => {
  it("a UTC day is 24 clock hours starting at midnight UTC", () => {
    const hours = utcHoursOfLocalDay("2026-03-29", "UTC");
    expect(hours).toHaveLength(24);
    expect(iso(hours[0]!)).toBe("2026-03-29T00:00:00.000Z");
    expect(iso(hours[23]!)).toBe("2026-03-29T23:00:00.000Z");
  });

  it("the spring-forward day in Bucharest has 23 hours and skips 03:00", () => {
    const hours = utcHoursOfLocalDay("2026-03-29", "Europe/Bucharest");
    expect(hours).toHaveLength(23);
    expect(iso(hours[0]!)).toBe("2026-03-28T22:00:00.000Z");
    expect(hours.map((h) => localTimeLabel(h, "Europe/Bucharest")).slice(2, 4)).toEqual(["02:00", "04:00"]);
  });

  it("the fall-back day in Bucharest has 25 hours and repeats 03:00", () => {
    const hours = utcHoursOfLocalDay("2026-10-25", "Europe/Bucharest");
    expect(hours).toHaveLength(25);
    expect(hours.map((h) => localTimeLabel(h, "Europe/Bucharest")).slice(2, 5)).toEqual(["02:00", "03:00", "03:00"]);
  });

  it("an ordinary day elsewhere starts at local midnight", () => {
    const { start, end } = localDayRange("2026-07-01", "America/New_York");
    expect(iso(start)).toBe("2026-07-01T04:00:00.000Z");
    expect(end - start).toBe(24 * 3_600_000);
  });

  it("a day whose midnight does not exist starts when the clocks jump (Santiago, 23 hours)", () => {
    const { start, end } = localDayRange("2026-09-06", "America/Santiago");
    expect(iso(start)).toBe("2026-09-06T04:00:00.000Z");
    expect(localTimeLabel(start, "America/Santiago")).toBe("01:00");
    expect((end - start) / 3_600_000).toBe(23);
  });

  it("a fractional offset labels UTC hours with their local start", () => {
    const hours = utcHoursOfLocalDay("2026-01-15", "Asia/Kolkata");
    expect(hours).toHaveLength(24);
    expect(localTimeLabel(hours[0]!, "Asia/Kolkata")).toBe("00:30");
  });
});

describe("consumption input", () => {
  it("defaults to UTC and accepts a known zone", () => {
    const id = "5c2494a3-1140-4c7a-991a-a1a2561c6bc2";
    expect(consumptionInputSchema.parse({ deviceId: id, date: "2026-02-28" }).tz).toBe("UTC");
    expect(consumptionInputSchema.parse({ deviceId: id, date: "2026-02-28", tz: "Europe/Bucharest" }).tz).toBe("Europe/Bucharest");
  });

  it.each([
    [{ date: "2026-02-30" }, "date is not a real calendar date"],
    [{ date: "28.02.2026" }, "date must be YYYY-MM-DD"],
    [{ date: "2026-02-28", tz: "Mars/Olympus" }, "tz must be an IANA time zone"],
    [{ date: "2026-02-28", deviceId: "42" }, "must be a UUID"],
  ])("rejects %o", (override, message) => {
    const result = consumptionInputSchema.safeParse({ deviceId: "5c2494a3-1140-4c7a-991a-a1a2561c6bc2", ...override });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join(" ")).toContain(message);
  });
});
