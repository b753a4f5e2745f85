import { describe, expect, it } from "vitest";
import type { PeriodConsumption } from "~/lib/consumption-periods.ts";
import { consumptionCsv, csvField } from "./consumption-csv.ts";

describe("csvField", () => {
  it.each([
    ["Kitchen meter", "Kitchen meter"],
    ["Meter, hall", '"Meter, hall"'],
    ['The "big" one', '"The ""big"" one"'],
    ["two\nlines", '"two\nlines"'],
    ["=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""],
    ["+1", "'+1"],
    ["@sum", "'@sum"],
    ["Öl-Heizung ☀", "Öl-Heizung ☀"],
  ])("%j → %s", (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });
});

describe("consumptionCsv", () => {
  it("a header, then each bucket with its local ISO start and end and the previous period beside it", () => {
    const period: PeriodConsumption = {
      scope: { kind: "device", deviceId: "5c2494a3-1140-4c7a-991a-a1a2561c6bc2" },
      timeZone: "Europe/Bucharest",
      resolution: "hour",
      unit: "kWh",
      current: {
        from: "2026-03-29",
        to: "2026-03-30",
        buckets: [
          { start: "2026-03-29T00:00:00.000Z", end: "2026-03-29T01:00:00.000Z", localStart: "2026-03-29T02:00:00+02:00", kwh: 0.125 },
          { start: "2026-03-29T01:00:00.000Z", end: "2026-03-29T02:00:00.000Z", localStart: "2026-03-29T04:00:00+03:00", kwh: 0.75 },
        ],
        totalKwh: 0.875,
      },
      previous: {
        from: "2026-03-28",
        to: "2026-03-29",
        buckets: [{ start: "2026-03-28T00:00:00.000Z", end: "2026-03-28T01:00:00.000Z", localStart: "2026-03-28T02:00:00+02:00", kwh: 1 }],
        totalKwh: 1,
      },
      change: { kwh: -0.125, percent: -12.5 },
    };
    expect(consumptionCsv(period, "Meter, hall").split("\r\n")).toEqual([
      "scope,start,end,kwh,previous_start,previous_kwh",
      '"Meter, hall",2026-03-29T02:00:00+02:00,2026-03-29T04:00:00+03:00,0.125,2026-03-28T02:00:00+02:00,1',
      '"Meter, hall",2026-03-29T04:00:00+03:00,2026-03-29T05:00:00+03:00,0.75,,',
      "",
    ]);
  });
});
