import { describe, expect, it } from "vitest";
import {
  devicePeriodInputSchema,
  drillDown,
  localIsoString,
  periodBuckets,
  previousPeriod,
  shiftAnchor,
  viewPeriod,
} from "./consumption-periods.ts";

describe("periods on the calendar", () => {
  it("day, week (Monday to Sunday), month and year around an anchor", () => {
    expect(viewPeriod("day", "2026-03-29")).toEqual({ kind: "day", from: "2026-03-29", to: "2026-03-30", resolution: "hour" });
    expect(viewPeriod("week", "2026-03-29")).toEqual({ kind: "week", from: "2026-03-23", to: "2026-03-30", resolution: "day" });
    expect(viewPeriod("week", "2026-03-23")).toMatchObject({ from: "2026-03-23" });
    expect(viewPeriod("month", "2026-02-17")).toEqual({ kind: "month", from: "2026-02-01", to: "2026-03-01", resolution: "day" });
    expect(viewPeriod("year", "2026-12-31")).toEqual({ kind: "year", from: "2026-01-01", to: "2027-01-01", resolution: "month" });
  });

  it("previous and next period, across month and year ends", () => {
    expect(shiftAnchor("day", "2026-03-01", -1)).toBe("2026-02-28");
    expect(shiftAnchor("week", "2026-12-29", 1)).toBe("2027-01-05");
    expect(shiftAnchor("month", "2026-01-31", 1)).toBe("2026-02-01");
    expect(shiftAnchor("year", "2026-07-04", -1)).toBe("2025-01-01");
  });

  it("drill-down: a month's bar opens its days, a day's bar its hours, an hour goes no deeper", () => {
    expect(drillDown("year", "2026-03-01")).toEqual({ kind: "month", anchor: "2026-03-01" });
    expect(drillDown("month", "2026-03-29")).toEqual({ kind: "day", anchor: "2026-03-29" });
    expect(drillDown("week", "2026-03-24")).toEqual({ kind: "day", anchor: "2026-03-24" });
    expect(drillDown("day", "2026-03-29T10:00:00.000Z")).toBeNull();
  });

  it("the period before has the same length: whole months in months, otherwise days", () => {
    expect(previousPeriod("2026-03-01", "2026-04-01")).toEqual({ from: "2026-02-01", to: "2026-03-01" });
    expect(previousPeriod("2026-01-01", "2027-01-01")).toEqual({ from: "2025-01-01", to: "2026-01-01" });
    expect(previousPeriod("2026-03-23", "2026-03-30")).toEqual({ from: "2026-03-16", to: "2026-03-23" });
    expect(previousPeriod("2026-03-01", "2026-03-02")).toEqual({ from: "2026-02-28", to: "2026-03-01" });
  });

  it("local ISO timestamps carry the offset of their own moment", () => {
    expect(localIsoString(Date.parse("2026-03-29T00:00:00Z"), "Europe/Bucharest")).toBe("2026-03-29T02:00:00+02:00");
    expect(localIsoString(Date.parse("2026-03-29T01:00:00Z"), "Europe/Bucharest")).toBe("2026-03-29T04:00:00+03:00");
    expect(localIsoString(Date.parse("2026-01-15T00:00:00Z"), "America/St_Johns")).toBe("2026-01-14T20:30:00-03:30");
    expect(localIsoString(Date.parse("2026-01-15T00:00:00Z"), "UTC")).toBe("2026-01-15T00:00:00+00:00");
  });

  it("buckets: hours of a 23-hour day, days of a week, months of a year", () => {
    expect(periodBuckets("2026-03-29", "2026-03-30", "hour", "Europe/Bucharest")).toHaveLength(23);
    expect(periodBuckets("2026-10-25", "2026-10-26", "hour", "Europe/Bucharest")).toHaveLength(25);
    const week = periodBuckets("2026-03-23", "2026-03-30", "day", "Europe/Bucharest");
    expect(week.map((b) => b.key)).toEqual(["2026-03-23", "2026-03-24", "2026-03-25", "2026-03-26", "2026-03-27", "2026-03-28", "2026-03-29"]);
    const year = periodBuckets("2026-01-01", "2027-01-01", "month", "America/New_York");
    expect(year).toHaveLength(12);
    expect(new Date(year[2]!.end).toISOString()).toBe("2026-04-01T04:00:00.000Z");
  });
});

describe("period input", () => {
  const deviceId = "5c2494a3-1140-4c7a-991a-a1a2561c6bc2";
  const messages = (input: Record<string, unknown>) => {
    const result = devicePeriodInputSchema.safeParse({ deviceId, ...input });
    return result.success ? "" : result.error.issues.map((i) => i.message).join(" ");
  };

  it("spells the zone canonically, as PostgreSQL will group by it", () => {
    expect(devicePeriodInputSchema.parse({ deviceId, from: "2026-01-01", to: "2026-02-01", resolution: "day", tz: "europe/bucharest" }).tz).toBe("Europe/Bucharest");
  });

  it("accepts the longest period of each resolution, UTC by default", () => {
    expect(devicePeriodInputSchema.parse({ deviceId, from: "2026-01-01", to: "2026-02-01", resolution: "hour" }).tz).toBe("UTC");
    expect(messages({ from: "2026-01-01", to: "2027-02-05", resolution: "day" })).toBe("");
    expect(messages({ from: "2016-01-01", to: "2026-01-01", resolution: "month", tz: "Asia/Kolkata" })).toBe("");
  });

  it.each([
    [{ from: "2026-03-02", to: "2026-03-01", resolution: "day" }, "to must be after from"],
    [{ from: "2026-03-01", to: "2026-03-01", resolution: "day" }, "to must be after from"],
    [{ from: "2026-01-01", to: "2026-02-02", resolution: "hour" }, "at hour resolution the period may be at most 31 days"],
    [{ from: "2026-01-01", to: "2027-02-06", resolution: "day" }, "at day resolution the period may be at most 400 days"],
    [{ from: "2016-01-01", to: "2026-02-01", resolution: "month" }, "at most 120 months (10 years)"],
    [{ from: "2026-01-15", to: "2026-03-01", resolution: "month" }, "must be the first day of a month"],
    [{ from: "2026-01-01", to: "2026-02-01", resolution: "week" }, "resolution must be hour, day or month"],
    [{ from: "2026-01-01", to: "2026-02-01", resolution: "day", tz: "Mars/Olympus" }, "tz must be an IANA time zone"],
    [{ from: "2026-02-30", to: "2026-03-01", resolution: "day" }, "date is not a real calendar date"],
    [{ from: "1969-12-01", to: "1970-01-01", resolution: "day" }, "from must be 1970-01-01 or later"],
    [{ from: "2026-01-01", to: "2026-02-01", resolution: "day", tz: "+05:30" }, "tz must be an IANA time zone"],
  ])("refuses %o", (input, message) => {
    expect(messages(input)).toContain(message);
  });
});
