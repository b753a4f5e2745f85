import type { Measurement } from "@ems/contracts/measurement";
import { hourStart } from "@ems/contracts/measurement";
import type { Queryable } from "./database.ts";

/**
 * What happened to one reading of a batch:
 * - "recorded": counted now, or counted before (a duplicate): its effect is committed, acknowledge it;
 * - "held": its device is not in the sync copy (yet): stored in pending_readings, counted once the
 *   device's sync event arrives (HeldReadings); acknowledge it;
 * - "device-deleted": its device is deleted: not stored;
 * - "too-old": before the retention window (its dedup key may be gone, so it could count twice): not stored.
 */
export type ReadingOutcome = "recorded" | "held" | "hold-full" | "device-deleted" | "too-old";

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
  /**
   * One per input reading, in input order: true for the readings this batch added to a total. The
   * statement returns how many of each device-hour's readings were new, not which: the first that many
   * stored are marked, which is exact unless one device-hour's readings of a batch came from two
   * partition queues at once (a device moving between partitions) and some were duplicates.
   */
  newlyCounted: boolean[];
  /** Readings added to a total by this batch. */
  countedCount: number;
  /** Readings that were recorded already (redeliveries, or repeated within the batch). */
  duplicateCount: number;
  /** Readings held for a device not known yet (duplicates of held readings included). */
  heldCount: number;
}

/**
 * One statement, so one implicit transaction: the readings (the dedup keys), the hourly sums of only the
 * readings that were new, the alerts of device-hours that went over their limit, and the readings held
 * for unknown devices either all commit or none do.
 *
 * Concurrent batches of the same device (two replicas while partitions move, held readings released
 * beside a replica's batches) take turns: `known` locks each device row of the batch, in device order,
 * before anything is written, so two batches never hold rows of a shared device's hours or days at the
 * same time. Key order alone is not enough: the hourly upsert's triggers add to daily_consumption in two
 * passes (the hours updated, then the hours inserted), each sorted, which two batches can cross (tested).
 * The lock is FOR NO KEY UPDATE, which foreign-key checks (KEY SHARE) do not wait for.
 *
 * Whether a device is live, deleted or unknown is decided by this same statement: `known` locks each
 * device row that exists. A sync event deleting a device either commits before (the lock
 * re-reads the row and sees `deleted`) or waits until this batch has committed; a reading can never be
 * counted for a device deleted before its batch's write. Every known device of the batch comes back as
 * at least one row (hour_start null when none of its readings was new), so the caller learns which
 * devices were deleted (deleted = true) and which were unknown (no row: their readings were held).
 */
const INGEST_SQL = `
  WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::numeric[])
      AS r(device_id, reading_at, hour_start, kwh)
  ),
  known AS MATERIALIZED (
    SELECT device_id, device_no, deleted FROM devices
    WHERE device_id = ANY($1::uuid[])
    ORDER BY device_id
    FOR NO KEY UPDATE
  ),
  live AS (
    SELECT i.*, k.device_no FROM input i JOIN known k USING (device_id) WHERE NOT k.deleted
  ),
  counted AS (
    INSERT INTO readings (reading_at, device_no, kwh)
    SELECT reading_at, device_no, kwh FROM live ORDER BY reading_at, device_no
    ON CONFLICT DO NOTHING
    RETURNING reading_at, device_no
  ),
  held AS (
    INSERT INTO pending_readings (device_id, reading_at, kwh)
    SELECT device_id, reading_at, kwh FROM input i
    WHERE $5::boolean AND NOT EXISTS (SELECT 1 FROM known k WHERE k.device_id = i.device_id)
    ORDER BY device_id, reading_at
    ON CONFLICT DO NOTHING
  ),
  sums AS (
    SELECT l.device_id, l.hour_start, sum(l.kwh) AS kwh, count(*)::integer AS readings
    FROM live l JOIN counted c USING (reading_at, device_no)
    GROUP BY l.device_id, l.hour_start
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
  SELECT k.device_id, k.deleted, t.hour_start, t.total_kwh::text AS total_kwh, d.max_hourly_consumption::text AS limit_kwh,
         coalesce(s.readings, 0) AS counted, d.owner_id, a.id AS alert_id, a.created_at AS alert_created_at
  FROM known k
  JOIN devices d USING (device_id)
  LEFT JOIN (totals t JOIN sums s USING (device_id, hour_start)) ON t.device_id = k.device_id
  LEFT JOIN alerted a ON a.device_id = t.device_id AND a.hour_start = t.hour_start`;

/** One per device-hour whose total changed, or one with hour_start null for a known device with nothing new. */
interface IngestRow {
  device_id: string;
  deleted: boolean;
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
 * - A reading from before `oldestAccepted` (epoch ms; see oldestAcceptedReading) is "too-old", and one
 *   of a deleted device "device-deleted": neither is stored (the caller dead-letters them).
 * - A reading of a device the sync copy does not know is "held" in pending_readings (once per key),
 *   or, when `mayHold` is false (the hold is full), "hold-full" and not stored.
 * - An alert is stored when a device-hour's total first exceeds the device's limit, with the owner at
 *   that moment; later batches of the same hour find the alert there and store nothing.
 *
 * The caller acknowledges the messages only after this resolves: everything is committed by then.
 */
export async function ingestReadings(db: Queryable, readings: readonly Measurement[], oldestAccepted: number, mayHold = true): Promise<IngestResult> {
  const outcomes = new Array<ReadingOutcome>(readings.length);

  // The statement needs each key once (the join of input and counted keys would otherwise double a
  // reading sent twice in one batch); the first occurrence is the one that counts.
  const storedKeys = new Set<string>();
  const toStore: Measurement[] = [];
  const stored = new Array<boolean>(readings.length).fill(false);
  readings.forEach((reading, index) => {
    if (reading.timestamp < oldestAccepted) return;
    const key = readingKey(reading);
    if (storedKeys.has(key)) return;
    storedKeys.add(key);
    toStore.push(reading);
    stored[index] = true;
  });

  const { rows } =
    toStore.length === 0
      ? { rows: [] }
      : await db.query<IngestRow>(INGEST_SQL, [
          toStore.map((r) => r.deviceId),
          toStore.map((r) => new Date(r.timestamp)),
          toStore.map((r) => new Date(hourStart(r.timestamp))),
          // String(value) is the shortest decimal that round-trips the double, e.g. "0.1", which numeric
          // stores exactly: the sum of 0.1 + 0.2 is 0.3 here, not 0.30000000000000004.
          toStore.map((r) => String(r.value)),
          mayHold,
        ]);

  // What the statement decided, under its lock, about each device: live, deleted, or (no row) unknown.
  const deleted = new Map(rows.map((row) => [row.device_id, row.deleted]));
  let recordedCount = 0;
  let heldCount = 0;
  readings.forEach((reading, index) => {
    const isDeleted = deleted.get(reading.deviceId);
    if (reading.timestamp < oldestAccepted) outcomes[index] = "too-old";
    else if (isDeleted === undefined) {
      outcomes[index] = mayHold ? "held" : "hold-full";
      if (mayHold) heldCount++;
    } else if (isDeleted) outcomes[index] = "device-deleted";
    else {
      outcomes[index] = "recorded";
      recordedCount++;
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
  // Candidates: the first occurrence of each key, of a live device.
  const candidates = readings.map((_, index) => stored[index]! && outcomes[index] === "recorded");
  const newlyCounted = markNewlyCounted(readings, candidates, rows, countedCount);
  return { outcomes, hourTotals, newlyCounted, countedCount, duplicateCount: recordedCount - countedCount, heldCount };
}

/**
 * Which candidates (readings the statement stored or found stored) were new. Usually all of them or none
 * were, and no device-hour is looked at; otherwise each device-hour's count of new readings goes to its
 * first candidates (see IngestResult.newlyCounted).
 */
function markNewlyCounted(readings: readonly Measurement[], candidates: boolean[], rows: readonly IngestRow[], countedCount: number): boolean[] {
  if (countedCount === 0) return candidates.map(() => false);
  if (countedCount === candidates.filter(Boolean).length) return candidates;
  /** New readings per device-hour (`deviceId@hourStart`) not yet given to a candidate. */
  const newInHour = new Map<string, number>();
  for (const row of rows) if (row.hour_start !== null && row.counted > 0) newInHour.set(`${row.device_id}@${row.hour_start.getTime()}`, row.counted);
  return readings.map((reading, index) => {
    if (!candidates[index]) return false;
    const hour = `${reading.deviceId}@${hourStart(reading.timestamp)}`;
    const left = newInHour.get(hour) ?? 0;
    if (left === 0) return false;
    newInHour.set(hour, left - 1);
    return true;
  });
}
