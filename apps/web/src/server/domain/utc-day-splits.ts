const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * How buckets (contiguous, ascending) share out the UTC days they span, for period sums read from
 * daily_consumption (one row of running totals per device and UTC day): day i of the span (from
 * `firstDay`) puts its hours before `cutHours[i]` in bucket `buckets[i][0]` and the rest in
 * `buckets[i][1]` (1-based bucket numbers; 0: in no bucket). A UTC day wholly in one bucket has cut
 * hour 24; a Bucharest day, for example, is 22:00–24:00 of one UTC day and 00:00–22:00 of the next.
 */
export interface UtcDaySplits {
  /** YYYY-MM-DD */
  firstDay: string;
  lastDay: string;
  /** 1..24, one per UTC day of the span. */
  cutHours: number[];
  buckets: [before: number, after: number][];
}

/**
 * A stored hour belongs to the bucket its start falls in, as when hours are summed one by one, so a
 * bucket starting at hh:30 (a half-hour zone) starts with the next whole hour. Undefined when some UTC
 * day meets three buckets or a bucket lies strictly inside one UTC day — hour buckets; no zone's days
 * or months do that today (checked for every IANA zone, 2016–2026), it would take a zone whose offset
 * turns from negative to positive within a day — since one cut per day is all a row's running totals
 * are read for; the caller then sums hours instead.
 */
export function utcDaySplits(buckets: readonly { start: number; end: number }[]): UtcDaySplits | undefined {
  const first = buckets[0];
  const last = buckets.at(-1);
  if (!first || !last) return undefined;
  const firstHour = Math.ceil(first.start / HOUR_MS) * HOUR_MS;
  const endHour = Math.ceil(last.end / HOUR_MS) * HOUR_MS;
  if (endHour <= firstHour) return undefined;
  const firstDayStart = Math.floor(firstHour / DAY_MS) * DAY_MS;
  const dayCount = Math.ceil((endHour - firstDayStart) / DAY_MS);
  const cutHours: number[] = Array.from({ length: dayCount }, () => 24);
  const parts: [number, number][] = Array.from({ length: dayCount }, () => [0, 0]);
  for (const [index, bucket] of buckets.entries()) {
    const bucketEnd = Math.ceil(bucket.end / HOUR_MS) * HOUR_MS;
    for (let from = Math.ceil(bucket.start / HOUR_MS) * HOUR_MS; from < bucketEnd; ) {
      const dayStart = Math.floor(from / DAY_MS) * DAY_MS;
      const to = Math.min(bucketEnd, dayStart + DAY_MS);
      const day = (dayStart - firstDayStart) / DAY_MS;
      const [fromHour, toHour] = [(from - dayStart) / HOUR_MS, (to - dayStart) / HOUR_MS];
      const part = parts[day]!;
      if (fromHour === 0 && toHour === 24) part[0] = index + 1;
      else if (fromHour === 0 && part[0] === 0 && cutHours[day] === 24) [part[0], cutHours[day]] = [index + 1, toHour];
      else if (toHour === 24 && part[1] === 0 && (cutHours[day] === 24 ? part[0] === 0 : cutHours[day] === fromHour)) {
        [part[1], cutHours[day]] = [index + 1, fromHour];
      } else return undefined;
      from = to;
    }
  }
  const dayName = (day: number) => new Date(firstDayStart + day * DAY_MS).toISOString().slice(0, 10);
  return { firstDay: dayName(0), lastDay: dayName(dayCount - 1), cutHours, buckets: parts };
}
