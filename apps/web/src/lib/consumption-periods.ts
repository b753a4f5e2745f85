import { z } from "zod";
import { isoDateSchema, timeZoneSchema, uuidSchema } from "./schemas.ts";
import { startOfLocalDay, zoneOffsetMs } from "./local-day.ts";

/**
 * Consumption over a period: the calendar arithmetic shared by the server (validation, buckets, the
 * previous period) and the dashboard (navigation, drill-down, CSV), plus the zod schemas of the
 * period queries and their answers. Client-safe: zod and Intl only (local days come from
 * ./local-day.ts, which the day view has always used).
 *
 * A period is [from, to) in calendar dates of the viewer's zone; `to` is exclusive. Buckets:
 * `hour` = the UTC clock hours starting within the period (23/25 on DST days, as the day view),
 * `day` = local calendar days, `month` = local calendar months.
 */

export const RESOLUTIONS = ["hour", "day", "month"] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

/** The longest period each resolution answers: about a month of hours, a year and a bit of days, ten years of months. */
export const MAX_SPAN = { hour: { days: 31 }, day: { days: 400 }, month: { months: 120 } } as const;

const DAY_MS = 86_400_000;

/** Midnight UTC of a calendar date: only for counting and shifting dates, never an instant in a zone. */
const utcMidnight = (date: string) => Date.parse(`${date}T00:00:00Z`);

/** The calendar date `days` and/or `months` after YYYY-MM-DD (negative: before). Month shifts keep day 1 on day 1. */
export function shiftCalendarDate(date: string, { days = 0, months = 0 }: { days?: number; months?: number }): string {
  const shifted = new Date(utcMidnight(date));
  if (months !== 0) shifted.setUTCMonth(shifted.getUTCMonth() + months);
  if (days !== 0) shifted.setUTCDate(shifted.getUTCDate() + days);
  return shifted.toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((utcMidnight(to) - utcMidnight(from)) / DAY_MS);
}

export function monthsBetween(from: string, to: string): number {
  const [fromYear, fromMonth] = from.split("-").map(Number) as [number, number];
  const [toYear, toMonth] = to.split("-").map(Number) as [number, number];
  return (toYear - fromYear) * 12 + (toMonth - fromMonth);
}

export const isMonthStart = (date: string) => date.endsWith("-01");

/**
 * The same-length period just before [from, to): as many calendar months when both ends are month
 * starts (a month is compared with the month before, a year with the year before), else as many days.
 */
export function previousPeriod(from: string, to: string): { from: string; to: string } {
  if (isMonthStart(from) && isMonthStart(to)) return { from: shiftCalendarDate(from, { months: -monthsBetween(from, to) }), to: from };
  return { from: shiftCalendarDate(from, { days: -daysBetween(from, to) }), to: from };
}

/** Local ISO-8601 of an instant given the zone's offset then, e.g. 2026-03-29T04:00:00+03:00. */
function formatLocalIso(instantMs: number, offsetMs: number): string {
  const local = new Date(instantMs + offsetMs).toISOString().slice(0, 19);
  const offsetMinutes = Math.round(Math.abs(offsetMs) / 60_000);
  const sign = offsetMs < 0 ? "-" : "+";
  return `${local}${sign}${String(Math.floor(offsetMinutes / 60)).padStart(2, "0")}:${String(offsetMinutes % 60).padStart(2, "0")}`;
}

/** An instant as local ISO-8601 with the zone's offset at that instant. */
export function localIsoString(instantMs: number, timeZone: string): string {
  return formatLocalIso(instantMs, zoneOffsetMs(instantMs, timeZone));
}

export interface PeriodBucket {
  /** The bucket's key as the database groups it: an hour's UTC ISO start, or a local date (YYYY-MM-DD, day 1 for months). */
  key: string;
  /** Epoch milliseconds, [start, end). */
  start: number;
  end: number;
  /** `start` on the zone's wall clock, ISO-8601 with its offset. */
  localStart: string;
}

/** Zone offsets are taken as steady over this many days when they agree at both ends (no zone changes twice within a week). */
const STEADY_SPAN_DAYS = 7;

/**
 * The first instant and UTC offset of each date (ascending, a day or a month apart) in a zone.
 * Asking Intl is the slow part (a year by day took ~4,000 questions, ~100 ms), and offsets rarely
 * change: local midnights at the current offset are taken for up to a week of dates when the zone
 * confirms that offset at the last of them; otherwise date by date, and on a DST change
 * startOfLocalDay (the day view's rule) decides.
 */
function localDayStarts(dates: string[], timeZone: string): { start: number; offsetMs: number }[] {
  const starts: { start: number; offsetMs: number }[] = [];
  let offsetMs: number | undefined;
  const exact = (date: string) => {
    const start = startOfLocalDay(date, timeZone);
    offsetMs = zoneOffsetMs(start, timeZone);
    starts.push({ start, offsetMs });
  };
  let i = 0;
  while (i < dates.length) {
    if (offsetMs === undefined) {
      exact(dates[i]!);
      i++;
      continue;
    }
    const current = offsetMs;
    // The block: dates after the last one taken, up to a week on.
    let last = i;
    while (last + 1 < dates.length && daysBetween(dates[i]!, dates[last + 1]!) < STEADY_SPAN_DAYS) last++;
    const lastStart = utcMidnight(dates[last]!) - current;
    if (zoneOffsetMs(lastStart, timeZone) === current) {
      for (; i <= last; i++) starts.push({ start: utcMidnight(dates[i]!) - current, offsetMs: current });
    } else {
      // The offset changes within the block: this date exactly, the next ones after it.
      exact(dates[i]!);
      i++;
    }
  }
  return starts;
}

/** Every bucket of [from, to) in `timeZone`, including those without readings. */
export function periodBuckets(from: string, to: string, resolution: Resolution, timeZone: string): PeriodBucket[] {
  const step = resolution === "month" ? { months: 1 } : { days: 1 };
  const dates: string[] = [];
  for (let date = from; date <= to; date = shiftCalendarDate(date, step)) dates.push(date);
  const starts = localDayStarts(dates, timeZone);
  if (resolution !== "hour") {
    return dates.slice(0, -1).map((key, i) => ({ key, start: starts[i]!.start, end: starts[i + 1]!.start, localStart: formatLocalIso(starts[i]!.start, starts[i]!.offsetMs) }));
  }
  // UTC clock hours whose start falls within the period (fractional-offset zones: local hh:30).
  const buckets: PeriodBucket[] = [];
  starts.slice(0, -1).forEach((day, i) => {
    const next = starts[i + 1]!;
    // A day that begins and ends at the same offset has it all day; a DST day asks hour by hour.
    const steady = day.offsetMs === next.offsetMs;
    for (let hour = Math.ceil(day.start / 3_600_000) * 3_600_000; hour < next.start; hour += 3_600_000) {
      const localStart = steady ? formatLocalIso(hour, day.offsetMs) : localIsoString(hour, timeZone);
      buckets.push({ key: new Date(hour).toISOString(), start: hour, end: hour + 3_600_000, localStart });
    }
  });
  return buckets;
}

/** Sums to the microwatt-hour: exact decimal sums added as floating point would show 0.30000000000000004. */
export const roundKwh = (kwh: number) => Math.round(kwh * 1e6) / 1e6;

/** The total's change from the previous period: kWh, and percent to one decimal (null when there was nothing before). */
export function changeBetween(currentKwh: number, previousKwh: number): { kwh: number; percent: number | null } {
  const kwh = roundKwh(currentKwh - previousKwh);
  return { kwh, percent: previousKwh === 0 ? null : Math.round((kwh / previousKwh) * 1000) / 10 };
}

/** The period the dashboard's switch shows, anchored on a local date. */
export const PERIOD_KINDS = ["day", "week", "month", "year"] as const;
export type PeriodKind = (typeof PERIOD_KINDS)[number];

export interface ViewPeriod {
  kind: PeriodKind;
  from: string;
  to: string;
  resolution: Resolution;
}

/** Day: hours of that day; week (Monday to Sunday) and month: days; year: months. */
export function viewPeriod(kind: PeriodKind, anchor: string): ViewPeriod {
  switch (kind) {
    case "day":
      return { kind, from: anchor, to: shiftCalendarDate(anchor, { days: 1 }), resolution: "hour" };
    case "week": {
      // getUTCDay: Sunday 0 … Saturday 6; ISO weeks start on Monday.
      const monday = shiftCalendarDate(anchor, { days: -((new Date(utcMidnight(anchor)).getUTCDay() + 6) % 7) });
      return { kind, from: monday, to: shiftCalendarDate(monday, { days: 7 }), resolution: "day" };
    }
    case "month": {
      const first = `${anchor.slice(0, 7)}-01`;
      return { kind, from: first, to: shiftCalendarDate(first, { months: 1 }), resolution: "day" };
    }
    case "year": {
      const first = `${anchor.slice(0, 4)}-01-01`;
      return { kind, from: first, to: shiftCalendarDate(first, { months: 12 }), resolution: "month" };
    }
  }
}

/** The anchor one period earlier (-1) or later (+1). */
export function shiftAnchor(kind: PeriodKind, anchor: string, direction: -1 | 1): string {
  switch (kind) {
    case "day":
      return shiftCalendarDate(anchor, { days: direction });
    case "week":
      return shiftCalendarDate(anchor, { days: 7 * direction });
    case "month":
      return shiftCalendarDate(`${anchor.slice(0, 7)}-01`, { months: direction });
    case "year":
      return shiftCalendarDate(`${anchor.slice(0, 4)}-01-01`, { months: 12 * direction });
  }
}

/** Clicking a bar: a month's bar opens that month's days, a day's bar that day's hours; hours go no deeper. */
export function drillDown(kind: PeriodKind, bucketKey: string): { kind: PeriodKind; anchor: string } | null {
  if (kind === "year") return { kind: "month", anchor: bucketKey };
  if (kind === "month" || kind === "week") return { kind: "day", anchor: bucketKey };
  return null;
}

// ---- schemas -------------------------------------------------------------------------------------

const periodFields = {
  from: isoDateSchema,
  to: isoDateSchema,
  resolution: z.enum(RESOLUTIONS, { error: "resolution must be hour, day or month" }),
  // PostgreSQL groups by this name too: an offset such as "+05:30" (which newer runtimes' Intl accepts)
  // would mean the opposite direction there (POSIX), so only zone names; spelled canonically for both.
  tz: timeZoneSchema
    .refine((tz) => !/^[+-]\d/.test(tz), { error: "tz must be an IANA time zone such as Europe/Bucharest" })
    .transform((tz) => new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone)
    .default("UTC"),
};

type PeriodFields = { from: string; to: string; resolution: Resolution };

/** The rules a period must meet, as zod issues on the field they concern. */
function checkPeriod(period: PeriodFields, ctx: z.RefinementCtx): void {
  const { from, to, resolution } = period;
  if (from < "1970-01-01") ctx.addIssue({ code: "custom", path: ["from"], message: "from must be 1970-01-01 or later" });
  if (from >= to) {
    ctx.addIssue({ code: "custom", path: ["to"], message: "to must be after from (to is exclusive)" });
    return;
  }
  if (resolution === "month") {
    if (!isMonthStart(from) || !isMonthStart(to)) {
      ctx.addIssue({ code: "custom", path: ["from"], message: "at month resolution from and to must be the first day of a month" });
    } else if (monthsBetween(from, to) > MAX_SPAN.month.months) {
      ctx.addIssue({ code: "custom", path: ["to"], message: `at month resolution the period may be at most ${MAX_SPAN.month.months} months (10 years)` });
    }
    return;
  }
  const maxDays = MAX_SPAN[resolution].days;
  if (daysBetween(from, to) > maxDays) {
    ctx.addIssue({ code: "custom", path: ["to"], message: `at ${resolution} resolution the period may be at most ${maxDays} days` });
  }
}

export const devicePeriodInputSchema = z.object({ deviceId: uuidSchema, ...periodFields }).superRefine(checkPeriod);
export type DevicePeriodInput = z.infer<typeof devicePeriodInputSchema>;

/** All devices of one client: `userId` defaults to the viewer (a client); an admin names the client. */
export const userPeriodInputSchema = z.object({ userId: uuidSchema.optional(), ...periodFields }).superRefine(checkPeriod);
export type UserPeriodInput = z.infer<typeof userPeriodInputSchema>;

const bucketSchema = z.object({
  /** UTC instants, ISO-8601: [start, end). */
  start: z.iso.datetime(),
  end: z.iso.datetime(),
  /** The bucket's start on the viewer's clock, ISO-8601 with that moment's offset. */
  localStart: z.iso.datetime({ offset: true }),
  kwh: z.number().nonnegative(),
});

const seriesSchema = z.object({
  from: isoDateSchema,
  to: isoDateSchema,
  buckets: z.array(bucketSchema),
  totalKwh: z.number().nonnegative(),
});

export const periodConsumptionSchema = z.object({
  scope: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("device"), deviceId: z.uuid() }),
    z.object({ kind: z.literal("user"), userId: z.uuid(), deviceCount: z.number().int().nonnegative() }),
  ]),
  timeZone: z.string(),
  resolution: z.enum(RESOLUTIONS),
  unit: z.literal("kWh"),
  current: seriesSchema,
  /** The same-length period just before (see previousPeriod); its buckets line up with `current`'s by position. */
  previous: seriesSchema,
  /** current − previous total; percent is null when the previous total is 0. */
  change: z.object({ kwh: z.number(), percent: z.number().nullable() }),
});
export type PeriodConsumption = z.infer<typeof periodConsumptionSchema>;
