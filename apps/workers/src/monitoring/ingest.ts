import type { Measurement } from "@ems/contracts/measurement";
import { hourStart } from "@ems/contracts/measurement";
import type { Queryable } from "./database.ts";

/**
 * What happened to one reading of a batch: "recorded" (counted now, or already counted before: either
 * way its effect is committed and the message can be acknowledged) or "unknown-device" (not stored).
 */
export type ReadingOutcome = "recorded" | "unknown-device";

/** A device-hour whose total changed in this batch, as committed. */
export interface HourTotal {
  deviceId: string;
  hourStart: Date;
  /** Exact decimal string (PostgreSQL numeric). */
  totalKwh: string;
  limitKwh: string;
  /** The device's owner when the batch committed; null while unassigned. */
  ownerId: string | null;
  /** Set when this batch pushed the device-hour over its limit for the first time. */
  alert: { id: string; createdAt: Date } | null;
}

export interface IngestResult {
  /** One outcome per input reading, in input order. */
  outcomes: ReadingOutcome[];
  hourTotals: HourTotal[];
  /** Readings added to a total by this batch. */
  countedCount: number;
  /** Readings that were recorded already (redeliveries, or repeated within the batch). */
  duplicateCount: number;
}

/**
 * One statement, so one implicit transaction: the processed-reading keys, the hourly sums of only the
 * readings whose key was new, and the alerts of device-hours that went over their limit either all
 * commit or none do. Keys and rows are written in sorted order so that concurrent batches touching
 * the same rows (e.g. while partitions are being resized) lock them in the same order and cannot
 * deadlock.
 *
 * Only readings of live devices count, decided by this same statement: `live` takes a share lock on
 * each device row that exists and is not deleted. A sync event deleting a device either commits
 * before (the lock re-reads the row, sees `deleted` and leaves the device out) or waits until this
 * batch has committed; a reading can never be counted for a device deleted before its batch's write.
 * Every live device of the batch comes back as at least one row (hour_start null when none of its
 * readings was new), so the caller learns which devices were refused.
 */
const INGEST_SQL = `
  WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::numeric[])
      AS r(device_id, reading_at, hour_start, kwh)
  ),
  live AS MATERIALIZED (
    SELECT device_id FROM devices
    WHERE device_id = ANY($1::uuid[]) AND NOT deleted
    ORDER BY device_id
    FOR SHARE
  ),
  counted AS (
    INSERT INTO processed_readings (device_id, reading_at)
    SELECT device_id, reading_at FROM input JOIN live USING (device_id) ORDER BY device_id, reading_at
    ON CONFLICT DO NOTHING
    RETURNING device_id, reading_at
  ),
  sums AS (
    SELECT i.device_id, i.hour_start, sum(i.kwh) AS kwh, count(*)::integer AS readings
    FROM input i JOIN counted c USING (device_id, reading_at)
    GROUP BY i.device_id, i.hour_start
  ),
  totals AS (
    INSERT INTO hourly_consumption AS h (device_id, hour_start, total_kwh, reading_count)
    SELECT device_id, hour_start, kwh, readings FROM sums ORDER BY device_id, hour_start
    ON CONFLICT (device_id, hour_start) DO UPDATE
      SET total_kwh = h.total_kwh + EXCLUDED.total_kwh,
          reading_count = h.reading_count + EXCLUDED.reading_count,
          updated_at = now()
    RETURNING h.device_id, h.hour_start, h.total_kwh
  ),
  alerted AS (
    INSERT INTO alerts (device_id, owner_id, hour_start, total_kwh, limit_kwh)
    SELECT t.device_id, d.owner_id, t.hour_start, t.total_kwh, d.max_hourly_consumption
    FROM totals t JOIN devices d USING (device_id)
    WHERE t.total_kwh > d.max_hourly_consumption
    ORDER BY t.device_id, t.hour_start
    ON CONFLICT (device_id, hour_start) DO NOTHING
    RETURNING id, device_id, hour_start, created_at
  )
  SELECT l.device_id, t.hour_start, t.total_kwh::text AS total_kwh, d.max_hourly_consumption::text AS limit_kwh,
         coalesce(s.readings, 0) AS counted, d.owner_id, a.id AS alert_id, a.created_at AS alert_created_at
  FROM live l
  JOIN devices d USING (device_id)
  LEFT JOIN (totals t JOIN sums s USING (device_id, hour_start)) ON t.device_id = l.device_id
  LEFT JOIN alerted a ON a.device_id = t.device_id AND a.hour_start = t.hour_start`;

/** One per device-hour whose total changed, or one with hour_start null for a live device with nothing new. */
interface IngestRow {
  device_id: string;
  hour_start: Date | null;
  total_kwh: string | null;
  limit_kwh: string;
  counted: number;
  owner_id: string | null;
  alert_id: string | null;
  alert_created_at: Date | null;
}

const readingKey = (m: Measurement) => `${m.deviceId}@${m.timestamp}`;

/**
 * Adds a batch of readings to their hourly totals exactly once and raises over-limit alerts.
 *
 * - A reading whose (device, timestamp) was counted before — a redelivery, or the same reading twice
 *   in this batch — changes nothing (its first occurrence counted).
 * - A reading for a device the sync copy does not know, or knows as deleted, is "unknown-device" and
 *   is not stored (the caller dead-letters it).
 * - An alert is stored when a device-hour's total first exceeds the device's limit, with the owner at
 *   that moment; later batches of the same hour find the alert there and store nothing.
 *
 * The caller acknowledges the messages only after this resolves: everything is committed by then.
 */
export async function ingestReadings(db: Queryable, readings: readonly Measurement[]): Promise<IngestResult> {
  const outcomes = new Array<ReadingOutcome>(readings.length);
  if (readings.length === 0) return { outcomes, hourTotals: [], countedCount: 0, duplicateCount: 0 };

  // The statement needs each key once (the join of input and counted keys would otherwise double a
  // reading sent twice in one batch); the first occurrence is the one that counts.
  const storedKeys = new Set<string>();
  const toStore: Measurement[] = [];
  for (const reading of readings) {
    const key = readingKey(reading);
    if (storedKeys.has(key)) continue;
    storedKeys.add(key);
    toStore.push(reading);
  }

  const { rows } = await db.query<IngestRow>(INGEST_SQL, [
    toStore.map((r) => r.deviceId),
    toStore.map((r) => new Date(r.timestamp)),
    toStore.map((r) => new Date(hourStart(r.timestamp))),
    // String(value) is the shortest decimal that round-trips the double, e.g. "0.1", which numeric
    // stores exactly: the sum of 0.1 + 0.2 is 0.3 here, not 0.30000000000000004.
    toStore.map((r) => String(r.value)),
  ]);

  // Devices the statement counted for: it decided, under its lock, which ones exist and are not deleted.
  const liveIds = new Set(rows.map((row) => row.device_id));
  let unknownCount = 0;
  readings.forEach((reading, index) => {
    if (liveIds.has(reading.deviceId)) {
      outcomes[index] = "recorded";
    } else {
      outcomes[index] = "unknown-device";
      unknownCount++;
    }
  });

  const hourTotals: HourTotal[] = [];
  let countedCount = 0;
  for (const row of rows) {
    countedCount += row.counted;
    if (row.hour_start === null || row.total_kwh === null) continue;
    hourTotals.push({
      deviceId: row.device_id,
      hourStart: row.hour_start,
      totalKwh: row.total_kwh,
      limitKwh: row.limit_kwh,
      ownerId: row.owner_id,
      alert: row.alert_id !== null && row.alert_created_at !== null ? { id: row.alert_id, createdAt: row.alert_created_at } : null,
    });
  }
  return { outcomes, hourTotals, countedCount, duplicateCount: readings.length - unknownCount - countedCount };
}
