import { TRPCClientError } from "@trpc/client";

/**
 * Display helpers shared by every page. Dates are shown on the viewer's wall clock (the browser's
 * time zone); amounts arrive as numbers or decimal strings in kWh.
 */

/** The browser's IANA time zone (UTC where the runtime cannot tell). */
export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** Today's calendar date (YYYY-MM-DD) in a time zone. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}

/** The calendar date `days` after YYYY-MM-DD (negative: before). */
export function shiftDate(date: string, days: number): string {
  const shifted = new Date(`${date}T00:00:00Z`);
  shifted.setUTCDate(shifted.getUTCDate() + days);
  return shifted.toISOString().slice(0, 10);
}

const kwhFormat = new Intl.NumberFormat("en-US", { minimumFractionDigits: 0, maximumFractionDigits: 3 });

export function formatKwh(value: number | string): string {
  const amount = typeof value === "string" ? Number(value) : value;
  return `${kwhFormat.format(Number.isFinite(amount) ? amount : 0)} kWh`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateFormat = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", year: "numeric" });

/** "14:05" for a message sent today, else "12 Mar 2026, 14:05". */
export function formatMessageTime(iso: string | Date, now: Date = new Date()): string {
  const when = new Date(iso);
  return when.toDateString() === now.toDateString() ? timeFormat.format(when) : dateTimeFormat.format(when);
}

export function formatDateTime(iso: string | Date): string {
  return dateTimeFormat.format(new Date(iso));
}

/** "Tue, 12 Mar 2026": the day of an instant on the viewer's clock. */
export function formatDay(iso: string | Date): string {
  return dateFormat.format(new Date(iso));
}

/** "14:00–15:00": the clock hour starting at `hourStart`, on the viewer's clock. */
export function formatClockHour(hourStart: string | Date): string {
  const start = new Date(hourStart);
  return `${timeFormat.format(start)}–${timeFormat.format(new Date(start.getTime() + 3_600_000))}`;
}

/** "Tue, 12 Mar 2026, 14:00–15:00": the clock hour starting at `hourStart`, on the viewer's clock. */
export function formatHourRange(hourStart: string | Date): string {
  return `${formatDay(hourStart)}, ${formatClockHour(hourStart)}`;
}

/** "45 min", "3 h 5 min", "2 d 4 h": a length of time, to the minute. */
export function formatDuration(milliseconds: number): string {
  const minutes = Math.max(0, Math.floor(milliseconds / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  return hours % 24 ? `${Math.floor(hours / 24)} d ${hours % 24} h` : `${Math.floor(hours / 24)} d`;
}

/** The server's own words for a failed call (tRPC errors carry a readable message), or a generic line. */
export function errorMessage(error: unknown): string {
  if (error instanceof TRPCClientError || error instanceof Error) return error.message || "Something went wrong";
  return "Something went wrong";
}

/** The tRPC error code (CONFLICT, FORBIDDEN, ...) of a failed call, if it has one. */
export function errorCode(error: unknown): string | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  return (error.data as { code?: string } | undefined)?.code;
}
