import { fleetEnvSchema } from "@ems/contracts/fleet";
import type { DeviceSilence } from "@ems/contracts/notifications";
import type { Logger } from "@ems/messaging";
import type pg from "pg";
import { inTransaction } from "../database.ts";

/** How often one replica looks for devices that went silent or report again. */
export const DEFAULT_SILENCE_SWEEP_INTERVAL_MS = 30_000;
/** The fleet's default FLEET_SILENT_AFTER_MINUTES (its schema is the one place that says it). */
export const DEFAULT_SILENT_AFTER_MINUTES = fleetEnvSchema.FLEET_SILENT_AFTER_MINUTES.parse(undefined);

/**
 * Transaction-level advisory lock (single bigint key, like retention's MAINTENANCE_LOCK, distinct from it
 * and from the (class, partition) locks): one replica sweeps at a time.
 */
const SILENCE_SWEEP_LOCK = String(0x454d535f53494c4en); // "EMS_SILN"

/**
 * A device's last reading is its newest hourly_consumption row's updated_at — when monitoring last counted
 * a reading of it — as in the web's operations console (deviceActivity), so both call the same devices
 * silent. One backward probe of the (device_id, hour_start) primary key.
 */
const LAST_READING = (device: string) =>
  `(SELECT h.updated_at FROM hourly_consumption h WHERE h.device_id = ${device} ORDER BY h.hour_start DESC LIMIT 1)`;

const ALARM_COLUMNS = "a.id, a.device_id, a.owner_id, a.last_reading_at, a.created_at, a.cleared_at";

/**
 * Clears the active silence alarms of devices counted again since (a newer last reading) or deleted.
 * Cost: the active alarms are found through alerts_one_active_silence_idx (a partial index holding only
 * them), then one primary-key probe each — proportional to the silent devices, not to the fleet (measured
 * on the shared 2-core machine: nothing active, under 1 ms; 100,000 active, 1 s; clearing all of them 7 s).
 */
const CLEAR_SQL = `
  UPDATE alerts a SET cleared_at = now()
    FROM devices d
   WHERE a.kind = 'device_silent' AND a.cleared_at IS NULL
     AND d.device_id = a.device_id
     AND (d.deleted OR ${LAST_READING("a.device_id")} > a.last_reading_at)
  RETURNING ${ALARM_COLUMNS}`;

/**
 * Raises a silence alarm, with the owner of the moment, for every live device that has reported, whose
 * last reading is older than the setting, and that has no active one. ON CONFLICT on the one-active-per-
 * device index: only rows really inserted come back (and are pushed), whatever else runs at the same time.
 * Cost: a sequential pass over `devices`, an anti-join against the active alarms (their partial index),
 * and one backward primary-key probe of hourly_consumption per live device not alarmed yet — linear in
 * the fleet. Measured on the shared 2-core machine with 100,000 devices × 24 hours and 600,000 past
 * alerts: 1.1 s when none is silent (≈ 11 µs a probe), on one replica per sweep interval; 7 s to raise
 * all 100,000 at once (a fleet-wide outage), well inside the statement timeout.
 */
const RAISE_SQL = `
  INSERT INTO alerts AS a (device_id, owner_id, kind, last_reading_at)
  SELECT d.device_id, d.owner_id, 'device_silent', latest.updated_at
    FROM devices d
   CROSS JOIN LATERAL ${LAST_READING("d.device_id")} AS latest(updated_at)
   WHERE NOT d.deleted
     AND latest.updated_at < now() - make_interval(mins => $1)
     AND NOT EXISTS (SELECT 1 FROM alerts s WHERE s.device_id = d.device_id AND s.kind = 'device_silent' AND s.cleared_at IS NULL)
  ON CONFLICT (device_id) WHERE kind = 'device_silent' AND cleared_at IS NULL DO NOTHING
  RETURNING ${ALARM_COLUMNS}`;

interface AlarmRow {
  id: string;
  device_id: string;
  owner_id: string | null;
  last_reading_at: Date;
  created_at: Date;
  cleared_at: Date | null;
}

const toDeviceSilence = (row: AlarmRow, silentAfterMinutes: number): DeviceSilence => ({
  alarmId: row.id,
  deviceId: row.device_id,
  ownerId: row.owner_id,
  state: row.cleared_at === null ? "active" : "cleared",
  lastReadingAt: row.last_reading_at.toISOString(),
  silentAfterMinutes,
  raisedAt: row.created_at.toISOString(),
  clearedAt: row.cleared_at?.toISOString() ?? null,
});

/**
 * One sweep: clears, then raises (so a device that reported and went silent again within one interval
 * gets its old alarm cleared and a new one raised), in one transaction under the sweep lock. Returns the
 * alarms cleared and raised, or nothing when another replica is sweeping (it finds the same; waiting for
 * it would only hold a pool connection the batches need). `raise: false` only clears.
 */
export async function sweepDeviceSilence(pool: pg.Pool, silentAfterMinutes: number, { raise = true } = {}): Promise<DeviceSilence[]> {
  const rows = await inTransaction(pool, async (client) => {
    const { rows: locks } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock($1::bigint) AS locked", [SILENCE_SWEEP_LOCK]);
    if (!locks[0]?.locked) return [];
    const cleared = await client.query<AlarmRow>(CLEAR_SQL);
    const raised = raise ? (await client.query<AlarmRow>(RAISE_SQL, [silentAfterMinutes])).rows : [];
    return [...cleared.rows, ...raised];
  });
  return rows.map((row) => toDeviceSilence(row, silentAfterMinutes));
}

/**
 * More messages than this waiting in monitoring's input queues means readings are being counted late
 * (monitoring is behind). About a second of work for the pipeline at its measured rate, whether the
 * messages are single readings (sensor.data.queue) or batches (partition queues).
 */
export const SILENCE_BACKLOG_LIMIT = 1_000;

/** One of monitoring's input queues as RabbitMQ counts it. */
export interface InputQueue {
  queue: string;
  /** Ready messages. */
  messages: number;
  consumers: number;
}

/**
 * Why no silence alarm may be raised now, or undefined: a device may look silent only because its
 * readings wait in a queue — one nobody consumes (the balancer or a partition's replica down: after
 * such an outage every device would, however small the fleet), or a backlog over SILENCE_BACKLOG_LIMIT.
 */
export function holdBackReason(queues: readonly InputQueue[]): string | undefined {
  const stranded = queues.filter((q) => q.messages > 0 && q.consumers === 0);
  if (stranded.length > 0) return `${stranded.map((q) => `${q.queue} holds ${q.messages} with no consumer`).join(", ")}`;
  const queued = queues.reduce((sum, q) => sum + q.messages, 0);
  return queued > SILENCE_BACKLOG_LIMIT ? `${queued} messages wait in monitoring's input queues` : undefined;
}

export interface SilenceSweepOptions {
  pool: pg.Pool;
  silentAfterMinutes: number;
  sweepIntervalMs: number;
  /**
   * Monitoring's input queues (see holdBackReason): no alarm is raised while their readings wait to be
   * counted, nor while they cannot be read (RabbitMQ away); clearing goes on. Without it, alarms are
   * raised whatever waits.
   */
  inputQueues?: () => Promise<InputQueue[]>;
  /** After a sweep committed: the alarms it raised or cleared (pushed to chat). */
  onChanged: (alarms: readonly DeviceSilence[]) => void;
  log: Logger;
}

/**
 * The "device silent" alarm as ThingsBoard users know it: raised once when a device that had reported
 * sends nothing for `silentAfterMinutes`, cleared when it is counted again or deleted. Every replica runs
 * the sweep; the lock lets one at a time do it.
 */
export class SilenceSweep {
  private timer: NodeJS.Timeout | undefined;
  /** The sweep in progress, if any: a slow sweep is not overlapped by the next tick. */
  private sweeping: Promise<void> | undefined;
  /** Whether raising is held back (logged when this changes, not every tick). */
  private holding = false;
  /** While holding: the queues looked clear at the previous sweep. */
  private clearOnce = false;

  constructor(private readonly options: SilenceSweepOptions) {}

  /** Sweeps every `sweepIntervalMs`; a failure is logged and retried at the next tick. */
  start(): void {
    const { pool, silentAfterMinutes, sweepIntervalMs, onChanged, log } = this.options;
    this.timer = setInterval(() => {
      this.sweeping ??= this.mayRaise()
        .then((raise) => sweepDeviceSilence(pool, silentAfterMinutes, { raise }))
        .then((alarms) => {
          if (alarms.length > 0) onChanged(alarms);
        })
        .catch((error: unknown) => log.warn(`device silence sweep failed (retried in ${sweepIntervalMs} ms): ${String(error)}`))
        .finally(() => {
          this.sweeping = undefined;
        });
    }, sweepIntervalMs);
    this.timer.unref();
  }

  /**
   * False while readings wait in monitoring's input queues (holdBackReason), or those cannot be read;
   * after that, also at the first sweep that finds them clear. RabbitMQ counts as waiting only messages
   * not yet handed to a consumer, so a drained backlog looks clear while its last readings are still
   * being counted: one more sweep interval lets them be, instead of alarms raised and cleared again.
   */
  private async mayRaise(): Promise<boolean> {
    const { inputQueues, log } = this.options;
    if (!inputQueues) return true;
    const reason = await inputQueues().then(holdBackReason, (error: unknown) => `RabbitMQ cannot say what waits in monitoring's input queues (${String(error)})`);
    if (reason !== undefined) {
      if (!this.holding) log.info(`device silent alarms held back: ${reason}`);
      [this.holding, this.clearOnce] = [true, false];
      return false;
    }
    if (!this.holding) return true;
    if (!this.clearOnce) {
      this.clearOnce = true;
      return false;
    }
    [this.holding, this.clearOnce] = [false, false];
    log.info("device silent alarms raised again: the input queues are drained");
    return true;
  }

  /** Stops the sweep and waits for one in progress (its alarms are handed on before this resolves). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }
}
