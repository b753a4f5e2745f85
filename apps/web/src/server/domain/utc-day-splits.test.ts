import { describe, expect, it } from "vitest";
import { periodBuckets } from "~/lib/consumption-periods.ts";
import { utcDaySplits } from "./utc-day-splits.ts";

const splitsOf = (from: string, to: string, resolution: "day" | "month", tz: string) => utcDaySplits(periodBuckets(from, to, resolution, tz));

describe("utcDaySplits", () => {
  it("gives a UTC day whole to its bucket", () => {
    expect(splitsOf("2026-03-01", "2026-03-03", "day", "UTC")).toEqual({
      firstDay: "2026-03-01",
      lastDay: "2026-03-02",
      cutHours: [24, 24],
      buckets: [
        [1, 0],
        [2, 0],
      ],
    });
  });

  it("shares a UTC day between two Bucharest days at the day's offset (+2 winter, +3 summer)", () => {
    expect(splitsOf("2026-01-10", "2026-01-12", "day", "Europe/Bucharest")).toEqual({
      firstDay: "2026-01-09",
      lastDay: "2026-01-11",
      cutHours: [22, 22, 22],
      buckets: [
        [0, 1], // 22:00–24:00 on the 9th opens the 10th; the hours before are in no bucket
        [1, 2],
        [2, 0],
      ],
    });
    // 29 March 2026: clocks go from +2 to +3, so the 29th is 23 hours, 22:00 on the 28th to 21:00 UTC.
    expect(splitsOf("2026-03-29", "2026-03-31", "day", "Europe/Bucharest")?.cutHours).toEqual([22, 21, 21]);
  });

  it("puts the hour that straddles a half-hour zone's midnight in the day it starts in", () => {
    // Kolkata (+05:30): 10 January is 18:30 UTC on the 9th to 18:30 on the 10th; the stored hour
    // 18:00–19:00 UTC starts before 18:30, so it belongs to the 9th.
    expect(splitsOf("2026-01-10", "2026-01-11", "day", "Asia/Kolkata")).toMatchObject({ firstDay: "2026-01-09", cutHours: [19, 19] });
  });

  it("cuts months at the zone's midnight, west of Greenwich too", () => {
    const splits = splitsOf("2026-02-01", "2026-04-01", "month", "America/New_York")!;
    expect(splits.firstDay).toBe("2026-02-01");
    expect(splits.lastDay).toBe("2026-04-01");
    const cuts = splits.cutHours.flatMap((cut, day) => (cut === 24 ? [] : [{ day, cut, buckets: splits.buckets[day] }]));
    expect(cuts).toEqual([
      { day: 0, cut: 5, buckets: [0, 1] }, // 1 Feb 00:00 is 05:00 UTC (−5)
      { day: 28, cut: 5, buckets: [1, 2] }, // 1 Mar likewise
      { day: 59, cut: 4, buckets: [2, 0] }, // 1 Apr 00:00 is 04:00 UTC (−4 after 8 March)
    ]);
  });

  it("declines buckets that a row's one cut cannot share out: hours, or a bucket inside one UTC day", () => {
    expect(utcDaySplits(periodBuckets("2026-03-01", "2026-03-02", "hour", "UTC"))).toBeUndefined();
    const hour = 3_600_000;
    const midnight = Date.parse("2026-03-01T00:00:00Z");
    expect(utcDaySplits([{ start: midnight + hour, end: midnight + 23 * hour }])).toBeUndefined();
    expect(utcDaySplits([{ start: midnight, end: midnight + 24 * hour }])).toMatchObject({ cutHours: [24], buckets: [[1, 0]] });
    expect(utcDaySplits([])).toBeUndefined();
  });
});
