import { serializeMeasurement, type Measurement } from "@ems/contracts/measurement";
import {
  DEAD_LETTER_COUNT_HEADER,
  DEAD_LETTER_FIRST_AT_HEADER,
  DEAD_LETTER_REASON_HEADER,
  DEAD_LETTER_SOURCE_HEADER,
  type QueueNames,
} from "@ems/contracts/queues";
import type { Broker, Logger } from "@ems/messaging";
import type pg from "pg";
import { inTransaction } from "./database.ts";
import { ingestReadings, type IngestResult, type ReadingOutcome } from "./ingest.ts";
import { oldestAcceptedReading } from "./retention.ts";

/** A reading of a device that has no sync event yet is held this long before it is dead-lettered. */
export const DEFAULT_HOLD_GRACE_MS = 24 * 3_600_000;
/** How often each replica looks for held readings to count or to give up on. */
export const DEFAULT_HELD_SWEEP_INTERVAL_MS = 10_000;
/**
 * At most this many readings are held (all replicas together; about 100 bytes each): readings for device
 * ids that never get a sync event must not fill the disk. Beyond it they are dead-lettered at once, as
 * "unknown device" readings, which the dlq command can replay once their devices exist.
 */
export const DEFAULT_HOLD_MAX_READINGS = 1_000_000;

/** Held readings taken per transaction. */
const CHUNK = 1_000;

export interface HeldReadingsOptions {
  pool: pg.Pool;
  retentionDays: number;
  graceMs: number;
  sweepIntervalMs: number;
  /** The most readings held at once (see DEFAULT_HOLD_MAX_READINGS); 0 holds none. */
  maxReadings: number;
  /** Publishes one reading to the dead-letter queue with its reason; resolves once the broker confirmed it. */
  deadLetter: (reading: Measurement, reason: string) => Promise<void>;
  /** After readings were counted and committed (statistics, notifications). */
  onCommitted: (readings: readonly Measurement[], result: IngestResult) => void;
  log: Logger;
}

/** Why a reading ingestReadings did not record is dead-lettered (the consumer uses the same words). */
export function refusalReason(outcome: Exclude<ReadingOutcome, "recorded" | "held">, limits: { retentionDays: number; holdMaxReadings: number }): string {
  switch (outcome) {
    case "device-deleted":
      return "device deleted";
    case "hold-full":
      return `unknown device: no sync event yet, and the hold for such readings is full (${limits.holdMaxReadings})`;
    case "too-old":
      return `timestamp is older than the retention window (${limits.retentionDays} days before today, UTC)`;
  }
}

const formatDuration = (ms: number) => (ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : ms % 1_000 === 0 ? `${ms / 1_000} s` : `${ms} ms`);

interface HeldRow {
  device_id: string;
  reading_at: Date;
  kwh: string;
}

const toMeasurement = (row: HeldRow): Measurement => ({ deviceId: row.device_id, timestamp: row.reading_at.getTime(), value: Number(row.kwh) });

/**
 * Readings whose device monitoring did not know when they arrived (its sync event was late: the outbox
 * relay behind, the web app down) wait in pending_readings, keyed like readings so a redelivered one is
 * held once. They are counted once the device is known — at once when its sync event is applied
 * (`release([deviceId])`), else by the periodic sweep, which also catches a reading held by a batch that
 * raced with the sync event — through the same statement as any batch, so totals and alerts come out as
 * if they had arrived in order. A held reading of a device that turns out deleted, or that is older than
 * the retention window by then, is dead-lettered with that reason; one whose device is still unknown after
 * the grace period is dead-lettered as "unknown device: no sync event within …".
 *
 * Each chunk is taken (DELETE … RETURNING, rows locked with SKIP LOCKED so replicas share the work),
 * counted and its refusals published to the dead-letter queue in one transaction, committed only after
 * the broker confirmed them: a crash before the commit leaves the readings held (a dead letter may then be
 * published twice, never lost).
 */
export class HeldReadings {
  private timer: NodeJS.Timeout | undefined;
  /** The sweep in progress, if any: a slow sweep is not overlapped by the next tick. */
  private sweeping: Promise<void> | undefined;
  /**
   * How many readings are held, as counted at the last sweep plus what this replica held since: other
   * replicas' holds since then are not in it, so the bound can be overrun by what they hold in one
   * sweep interval — an approximation that keeps a COUNT off every batch.
   */
  private heldEstimate = 0;

  constructor(private readonly options: HeldReadingsOptions) {}

  /** Whether a reading of an unknown device may be held now (else it is dead-lettered as "hold-full"). */
  hasRoom(): boolean {
    return this.heldEstimate < this.options.maxReadings;
  }

  /** After a batch committed: readings this replica just held. */
  noteHeld(count: number): void {
    this.heldEstimate += count;
  }

  /** Counts the held readings of every replica (at start and after each sweep). */
  async recount(): Promise<void> {
    const { rows } = await this.options.pool.query<{ n: string }>("SELECT count(*) AS n FROM pending_readings");
    this.heldEstimate = Number(rows[0]?.n ?? 0);
  }

  /** Counts (or refuses) the held readings of these devices, or of every device now known. */
  async release(deviceIds?: readonly string[]): Promise<void> {
    const { retentionDays } = this.options;
    for (;;) {
      const taken = await inTransaction(this.options.pool, async (client) => {
        const { rows } = await client.query<HeldRow>(
          `WITH chunk AS (
             SELECT p.device_id, p.reading_at FROM pending_readings p JOIN devices d USING (device_id)
             WHERE $1::uuid[] IS NULL OR p.device_id = ANY($1::uuid[])
             ORDER BY p.device_id, p.reading_at LIMIT $2
             FOR UPDATE OF p SKIP LOCKED
           )
           DELETE FROM pending_readings p USING chunk c WHERE p.device_id = c.device_id AND p.reading_at = c.reading_at
           RETURNING p.device_id, p.reading_at, p.kwh::text AS kwh`,
          [deviceIds ?? null, CHUNK],
        );
        const readings = rows.map(toMeasurement);
        if (readings.length === 0) return 0;
        const result = await ingestReadings(client, readings, oldestAcceptedReading(Date.now(), retentionDays));
        const refusals: Promise<void>[] = [];
        readings.forEach((reading, i) => {
          const outcome = result.outcomes[i];
          if (outcome === "too-old" || outcome === "device-deleted")
            refusals.push(this.options.deadLetter(reading, refusalReason(outcome, { retentionDays, holdMaxReadings: this.options.maxReadings })));
        });
        await Promise.all(refusals);
        return { readings, result };
      });
      if (taken === 0) return;
      this.options.onCommitted(taken.readings, taken.result);
      if (taken.readings.length < CHUNK) return;
    }
  }

  /** Dead-letters held readings whose device is still unknown after the grace period. */
  async expire(): Promise<void> {
    const reason = `unknown device: no sync event within ${formatDuration(this.options.graceMs)}`;
    for (;;) {
      const expired = await inTransaction(this.options.pool, async (client) => {
        const { rows } = await client.query<HeldRow>(
          `WITH chunk AS (
             SELECT device_id, reading_at FROM pending_readings p
             WHERE received_at < now() - make_interval(secs => $1::double precision / 1000)
               AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.device_id = p.device_id)
             ORDER BY received_at LIMIT $2
             FOR UPDATE SKIP LOCKED
           )
           DELETE FROM pending_readings p USING chunk c WHERE p.device_id = c.device_id AND p.reading_at = c.reading_at
           RETURNING p.device_id, p.reading_at, p.kwh::text AS kwh`,
          [this.options.graceMs, CHUNK],
        );
        await Promise.all(rows.map((row) => this.options.deadLetter(toMeasurement(row), reason)));
        return rows.length;
      });
      if (expired > 0) this.options.log.warn(`dead-lettered ${expired} held readings: ${reason}`);
      if (expired < CHUNK) return;
    }
  }

  /** Sweeps every `sweepIntervalMs` (release of every known device, expiry, recount); failures are logged and retried. */
  start(): void {
    this.timer = setInterval(() => {
      this.sweeping ??= this.release()
        .then(() => this.expire())
        .then(() => this.recount())
        .catch((error: unknown) => this.options.log.warn(`held readings sweep failed (retried in ${this.options.sweepIntervalMs} ms): ${String(error)}`))
        .finally(() => {
          this.sweeping = undefined;
        });
    }, this.options.sweepIntervalMs);
    this.timer.unref();
  }

  /** Stops the sweep and waits for one in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }
}

/**
 * Publishes one reading that is not a message of its own — a held one, or one of a readings batch — to
 * the dead-letter queue: the body is the reading in contract form (or, for one that is not a valid
 * measurement, its JSON as received), with the headers `Delivery.deadLetter` sets, and the raw
 * readings queue as its source: where a replay puts it back.
 */
export async function publishDeadReading(publisher: Broker, names: QueueNames, reading: Measurement | string, reason: string): Promise<void> {
  await publisher.sendToQueue(names.deadLetter, typeof reading === "string" ? reading : serializeMeasurement(reading), {
    headers: {
      [DEAD_LETTER_REASON_HEADER]: reason,
      [DEAD_LETTER_SOURCE_HEADER]: names.sensorData,
      [DEAD_LETTER_FIRST_AT_HEADER]: new Date().toISOString(),
      [DEAD_LETTER_COUNT_HEADER]: 1,
    },
  });
}
