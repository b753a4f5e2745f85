import type { Logger } from "@ems/messaging";
import type pg from "pg";

const DAY = 86_400_000;

/**
 * Readings are kept (and deduplicated) for today and the 30 UTC days before it by default: long enough
 * for every way a reading can come back — redelivery (seconds), a meter or gateway re-sending its
 * buffer after an outage (days), an operator replaying dead letters after a weekend — and for a full
 * monthly billing period of raw values, while bounding the table to about 31 days of readings.
 */
export const DEFAULT_RETENTION_DAYS = 30;

/**
 * Partitions exist this many days ahead: a reading may be up to 5 minutes in the future (anything later
 * is refused as "in the future"), so tomorrow's partition must exist before midnight, and one more day
 * lets maintenance fail for a day (database away) without any reading finding no partition.
 */
const DAYS_AHEAD = 2;

/** How often maintenance runs (and once at start-up). Days change once a day; the hour bounds any delay. */
const MAINTENANCE_INTERVAL_MS = 3_600_000;

/** Session-level advisory lock (single bigint key: never equal to the (class, partition) locks) serialising maintenance across replicas. */
const MAINTENANCE_LOCK = String(0x454d535f52444e47n); // "EMS_RDNG"

/** Start (epoch ms) of the oldest UTC day whose readings are accepted: today and the `retentionDays` days before it. */
export function oldestAcceptedReading(now: number, retentionDays: number): number {
  return Math.floor(now / DAY) * DAY - retentionDays * DAY;
}

const dayName = (dayStart: number) => new Date(dayStart).toISOString().slice(0, 10);
const partitionName = (dayStart: number) => `readings_${dayName(dayStart).replaceAll("-", "")}`;

/** The day a partition named readings_YYYYMMDD holds, or undefined for any other name. */
function partitionDay(name: string): number | undefined {
  const match = /^readings_(\d{4})(\d{2})(\d{2})$/.exec(name);
  return match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : undefined;
}

export interface MaintenanceResult {
  created: string[];
  dropped: string[];
}

/**
 * Creates the daily partitions of `readings` for every accepted day and DAYS_AHEAD days ahead, and drops
 * whole the partitions older than the window — keeping one day beyond it, so that a replica whose clock
 * is a little behind the one that maintains never meets a missing partition for a day it still accepts
 * (readings of that extra day are refused like any older one, so dedup stays exact).
 *
 * Safe with any number of replicas: one at a time (an advisory lock; the others wait, then find nothing
 * to do). Each DDL statement is its own short transaction (it locks `readings` briefly against inserts)
 * and gives up after 5 s waiting for a lock rather than stalling every batch queued behind it.
 */
export async function maintainReadingPartitions(pool: pg.Pool, retentionDays: number, now = Date.now()): Promise<MaintenanceResult> {
  const oldest = oldestAcceptedReading(now, retentionDays);
  const today = oldestAcceptedReading(now, 0);
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1::bigint)", [MAINTENANCE_LOCK]);
    const { rows } = await client.query<{ name: string }>(
      "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'readings'::regclass",
    );
    const existing = new Set(rows.map((row) => row.name));
    const ddl = async (statement: string) => {
      await client.query("BEGIN");
      await client.query("SET LOCAL lock_timeout = '5s'");
      await client.query(statement);
      await client.query("COMMIT");
    };
    const created: string[] = [];
    for (let day = oldest; day <= today + DAYS_AHEAD * DAY; day += DAY) {
      const name = partitionName(day);
      if (existing.has(name)) continue;
      await ddl(
        `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF readings ` +
          `FOR VALUES FROM ('${dayName(day)} 00:00:00+00') TO ('${dayName(day + DAY)} 00:00:00+00')`,
      );
      created.push(name);
    }
    const dropped: string[] = [];
    for (const name of [...existing].sort()) {
      const day = partitionDay(name);
      if (day === undefined || day >= oldest - DAY) continue;
      await ddl(`DROP TABLE IF EXISTS ${name}`);
      dropped.push(name);
    }
    await client.query("SELECT pg_advisory_unlock($1::bigint)", [MAINTENANCE_LOCK]);
    client.release();
    return { created, dropped };
  } catch (error) {
    // Closing the session ends a failed transaction and releases the lock with it.
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}

/**
 * Runs maintenance now (a failure rejects: a replica must not consume before the partitions exist) and
 * then every hour (a failure is logged and retried an hour later; DAYS_AHEAD covers the gap). Returns a
 * function that stops it.
 */
export async function startReadingPartitionMaintenance(pool: pg.Pool, retentionDays: number, log: Logger): Promise<() => void> {
  const run = async () => {
    const { created, dropped } = await maintainReadingPartitions(pool, retentionDays);
    if (created.length || dropped.length) {
      log.info(`readings partitions: created ${created.join(", ") || "none"}; dropped ${dropped.join(", ") || "none"} (retention ${retentionDays} days)`);
    }
  };
  await run();
  const timer = setInterval(() => {
    run().catch((error: unknown) => log.warn(`readings partition maintenance failed (retried in an hour): ${String(error)}`));
  }, MAINTENANCE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
