import { performance } from "node:perf_hooks";
import type { Logger } from "@ems/messaging";
import type { Queryable } from "./database.ts";

/** MONITORING_RATE_WINDOW_MS's default: the window each partition's readings/s is counted over. */
export const DEFAULT_RATE_WINDOW_MS = 10_000;

export interface PartitionRatesOptions {
  db: Queryable;
  queuePrefix: string;
  /** This replica's name in monitoring_partitions.last_claimed_by: a window is written only to a row it claimed last. */
  holder: string;
  windowMs: number;
  log: Logger;
}

interface Window {
  /** performance.now() when it began. */
  since: number;
  readings: number;
}

/**
 * Records for each partition this replica consumes how many readings it newly counted from that queue
 * in the last complete window (monitoring_partitions.recent_*), for the admin console's readings/s.
 * Counting is an addition in memory per committed delivery; the database hears of it once per window,
 * in one UPDATE covering every partition held, so the ingest path pays nothing for it. Only readings a
 * batch added to a total count: duplicates (redeliveries) and held readings do not, nor held readings
 * counted later by a sweep (they come from no partition queue then).
 *
 * A partition's first window starts when its consumer does; one shorter than half a window at the
 * tick (just claimed) runs on into the next, so no recorded rate rests on a sliver of time. A window
 * whose write fails is lost (logged): readers take a window that ended a few window lengths ago as no
 * recent data, which is also how a stopped replica's last window stops looking live.
 */
export class PartitionRates {
  private readonly windows = new Map<number, Window>();
  private timer: NodeJS.Timeout | undefined;
  private recording: Promise<void> | undefined;

  constructor(private readonly options: PartitionRatesOptions) {}

  /** Starts counting a partition this replica now consumes. */
  track(partition: number): void {
    if (!this.windows.has(partition)) this.windows.set(partition, { since: performance.now(), readings: 0 });
  }

  /** Stops counting a partition given up: its next holder records its windows. */
  untrack(partition: number): void {
    this.windows.delete(partition);
  }

  /** Readings newly counted from `partition`'s queue (ignored once it is no longer tracked). */
  add(partition: number, readings: number): void {
    const window = this.windows.get(partition);
    if (window) window.readings += readings;
  }

  /** Records the window ending now of every tracked partition whose window is long enough. */
  private async record(): Promise<void> {
    const now = performance.now();
    const partitions: number[] = [];
    const readings: number[] = [];
    const lengthsMs: number[] = [];
    for (const [partition, window] of this.windows) {
      if (now - window.since < this.options.windowMs / 2) continue;
      partitions.push(partition);
      readings.push(window.readings);
      lengthsMs.push(now - window.since);
      this.windows.set(partition, { since: now, readings: 0 });
    }
    if (partitions.length === 0) return;
    // The database's clock for the window's end, as for every other time the console compares with now.
    await this.options.db.query(
      `UPDATE monitoring_partitions p
          SET recent_readings = w.readings,
              recent_window_start = now() - make_interval(secs => w.length_ms / 1000),
              recent_window_end = now()
         FROM unnest($2::integer[], $3::integer[], $4::double precision[]) AS w(partition_index, readings, length_ms)
        WHERE p.queue_prefix = $1 AND p.partition_index = w.partition_index
          -- A write still in flight when the partition moved on must not overwrite its new holder's window.
          AND p.last_claimed_by = $5`,
      [this.options.queuePrefix, partitions, readings, lengthsMs, this.options.holder],
    );
  }

  /** Records every `windowMs` (a write still running when the next is due: that window runs on). */
  start(): void {
    this.timer = setInterval(() => {
      this.recording ??= this.record()
        .catch((error: unknown) => this.options.log.warn(`partition rates not recorded (next try in ${this.options.windowMs} ms): ${String(error)}`))
        .finally(() => {
          this.recording = undefined;
        });
    }, this.options.windowMs);
    this.timer.unref();
  }

  /** Stops recording and waits for a write in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.recording;
  }
}
