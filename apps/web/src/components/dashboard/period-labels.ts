import type { PeriodConsumption, PeriodKind, ViewPeriod } from "~/lib/consumption-periods.ts";
import type { PeriodBar } from "./consumption-chart.tsx";

/**
 * Words for periods and their bars, in the browser's language. Dates arrive as local calendar dates
 * or local ISO timestamps of the viewer's zone, so they are formatted as they are (noon UTC of the
 * date, shown in UTC), never converted again.
 */

function formatDate(date: string, options: Intl.DateTimeFormatOptions): string {
  return new Date(`${date.slice(0, 10)}T12:00:00Z`).toLocaleDateString(undefined, { ...options, timeZone: "UTC" });
}

const LONG_DAY: Intl.DateTimeFormatOptions = { weekday: "long", day: "numeric", month: "long", year: "numeric" };

/** "Sunday, 29 March 2026", "23 Mar – 29 Mar 2026", "March 2026", "2026". */
export function periodLabel(kind: PeriodKind, from: string, to: string): string {
  switch (kind) {
    case "day":
      return formatDate(from, LONG_DAY);
    case "week": {
      const last = new Date(Date.parse(`${to}T12:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
      return `${formatDate(from, { day: "numeric", month: "short" })} – ${formatDate(last, { day: "numeric", month: "short", year: "numeric" })}`;
    }
    case "month":
      return formatDate(from, { month: "long", year: "numeric" });
    case "year":
      return from.slice(0, 4);
  }
}

export const KIND_NAMES: Record<PeriodKind, { label: string; current: string }> = {
  day: { label: "Day", current: "Today" },
  week: { label: "Week", current: "This week" },
  month: { label: "Month", current: "This month" },
  year: { label: "Year", current: "This year" },
};

type Bucket = PeriodConsumption["current"]["buckets"][number];

/** A bucket's axis tick and its name in full. */
function bucketWords(view: ViewPeriod, bucket: Bucket, next: Bucket | undefined): Pick<PeriodBar, "bucket" | "label" | "range"> {
  if (view.resolution === "hour") {
    const label = bucket.localStart.slice(11, 16);
    return { bucket: bucket.start, label, range: `${label}–${next?.localStart.slice(11, 16) ?? "24:00"}` };
  }
  const date = bucket.localStart.slice(0, 10);
  if (view.resolution === "month") return { bucket: date, label: formatDate(date, { month: "short" }), range: formatDate(date, { month: "long", year: "numeric" }) };
  const label = view.kind === "week" ? formatDate(date, { weekday: "short", day: "numeric" }) : String(Number(date.slice(8, 10)));
  return { bucket: date, label, range: formatDate(date, LONG_DAY) };
}

/** The chart's bars: each bucket with the previous period's at the same position; red over an hourly limit. */
export function toPeriodBars(view: ViewPeriod, period: PeriodConsumption, hourlyLimitKwh: number | null): PeriodBar[] {
  const { buckets } = period.current;
  const previous = period.previous.buckets;
  return buckets.map((bucket, i) => {
    const words = bucketWords(view, bucket, buckets[i + 1]);
    const before = previous[i];
    return {
      ...words,
      kwh: bucket.kwh,
      previousKwh: before ? before.kwh : null,
      previousRange: before ? bucketWords(view, before, previous[i + 1]).range : null,
      over: hourlyLimitKwh !== null && bucket.kwh > hourlyLimitKwh,
    };
  });
}
