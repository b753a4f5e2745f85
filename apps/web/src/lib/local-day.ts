/**
 * Calendar-day arithmetic in an IANA time zone, with only Intl (no date library). Hourly totals are
 * stored per UTC clock hour; a viewer asks for a day in their own zone, which is 23, 24 or 25 hours
 * long around DST changes.
 */

const HOUR_MS = 3_600_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, format);
  }
  return format;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(instantMs: number, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(instantMs)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** The zone's offset from UTC at an instant, in milliseconds (east positive). */
export function zoneOffsetMs(instantMs: number, timeZone: string): number {
  const c = wallClock(instantMs, timeZone);
  const asUtc = Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second);
  return asUtc - Math.floor(instantMs / 1000) * 1000;
}

/**
 * The first instant of a calendar day (YYYY-MM-DD) in a zone. Usually local midnight; where a DST
 * change skips midnight, the first instant that exists on that day.
 */
export function startOfLocalDay(date: string, timeZone: string): number {
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  const midnightAsUtc = Date.UTC(year, month - 1, day);
  // Two passes: the offset at the first guess may differ from the offset at the answer across a DST change.
  const guess = midnightAsUtc - zoneOffsetMs(midnightAsUtc, timeZone);
  const instant = midnightAsUtc - zoneOffsetMs(guess, timeZone);
  if (wallClock(instant, timeZone).day === day) return instant;
  // Midnight does not exist that day (clocks jumped forward at 00:00): `instant` fell on the day
  // before, still at the old offset, and the day begins at the jump.
  return midnightAsUtc - zoneOffsetMs(instant, timeZone);
}

/** The next calendar date after YYYY-MM-DD. */
export function nextDate(date: string): string {
  const next = new Date(`${date}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}

/** [start, end) of a calendar day in a zone, as epoch milliseconds. */
export function localDayRange(date: string, timeZone: string): { start: number; end: number } {
  return { start: startOfLocalDay(date, timeZone), end: startOfLocalDay(nextDate(date), timeZone) };
}

/**
 * The UTC clock hours whose start falls within a local day: 24, or 23/25 on a DST change. For zones
 * with a fractional offset (e.g. Asia/Kolkata) the hours are labelled with their local start (00:30 ...).
 */
export function utcHoursOfLocalDay(date: string, timeZone: string): number[] {
  const { start, end } = localDayRange(date, timeZone);
  const first = Math.ceil(start / HOUR_MS) * HOUR_MS;
  const hours: number[] = [];
  for (let hour = first; hour < end; hour += HOUR_MS) hours.push(hour);
  return hours;
}

/** "HH:MM" of an instant on the zone's wall clock. */
export function localTimeLabel(instantMs: number, timeZone: string): string {
  const c = wallClock(instantMs, timeZone);
  return `${String(c.hour).padStart(2, "0")}:${String(c.minute).padStart(2, "0")}`;
}
