import pg from "pg";

/**
 * What the AI's tools may read about the user who asks — their devices, their consumption, their
 * alerts — and nothing else. Every method takes the owner's id from the server (the socket's verified
 * user), never from the model: a device id the model names is only used if that device is the owner's.
 *
 * Least privilege: two connection pools, one per database, meant for a role that can only SELECT the
 * columns read here (see the chat README), and opened read-only with a statement timeout whatever that
 * role may do, so a bug here cannot write or hold a connection for long.
 */
export interface UserDataUrls {
  /** The device database: device names, addresses, limits and owners (the authority on ownership). */
  deviceUrl: string;
  /** The monitoring database: hourly totals and alerts. */
  monitoringUrl: string;
}

export interface OwnedDevice {
  id: string;
  name: string;
  description: string | null;
  address: string | null;
  maxHourlyKwh: number;
}

export interface PeriodConsumption {
  from: string;
  to: string;
  timeZone: string;
  totalKwh: number;
  devices: { id: string; name: string; totalKwh: number }[];
  /** Per day of the period (days without readings left out), when it spans at most `DAILY_BREAKDOWN_MAX_DAYS`. */
  days?: { day: string; kwh: number }[];
}

interface AlarmBase {
  deviceId: string;
  deviceName: string | null;
  /** Active: the hour over the limit is still running, or the device is still silent. */
  state: "active" | "cleared";
  /** When it was raised (ISO-8601 UTC). */
  raisedAt: string;
  acknowledged: boolean;
}

/** A device went over its limit in `hourStart`'s clock hour (cleared when the hour ends). */
export interface OverConsumptionAlarm extends AlarmBase {
  kind: "over_consumption";
  hourStart: string;
  totalKwh: number;
  limitKwh: number;
}

/** A device stopped reporting after `lastReadingAt`; cleared (`clearedAt`) when it reported again or was deleted. */
export interface DeviceSilentAlarm extends AlarmBase {
  kind: "device_silent";
  lastReadingAt: string;
  clearedAt: string | null;
}

export type OwnedAlert = OverConsumptionAlarm | DeviceSilentAlarm;

/** An alerts row: the alarm-lifecycle migration's CHECK sets exactly the columns of its kind. */
type AlertRow = { device_id: string; created_at: Date; active: boolean; acknowledged: boolean } & (
  | { kind: "over_consumption"; hour_start: Date; total_kwh: number; limit_kwh: number }
  | { kind: "device_silent"; last_reading_at: Date; cleared_at: Date | null }
);

const STATEMENT_TIMEOUT_MS = 2_000;
const POOL_SIZE = 3;
export const DAILY_BREAKDOWN_MAX_DAYS = 31;
const MAX_DEVICES = 200;

/** A pool whose every session is read-only and bounded in time, whatever its role may do. */
export function readOnlyPool(connectionString: string): pg.Pool {
  return new pg.Pool({
    connectionString,
    max: POOL_SIZE,
    options: `-c default_transaction_read_only=on -c statement_timeout=${STATEMENT_TIMEOUT_MS}`,
  });
}

const round = (kwh: number) => Math.round(kwh * 1000) / 1000;

export class UserDataReader {
  private readonly device: pg.Pool;
  private readonly monitoring: pg.Pool;

  constructor(urls: UserDataUrls) {
    this.device = readOnlyPool(urls.deviceUrl);
    this.monitoring = readOnlyPool(urls.monitoringUrl);
  }

  async devices(ownerId: string): Promise<OwnedDevice[]> {
    const { rows } = await this.device.query<OwnedDevice>(
      `SELECT id, name, description, address, max_hourly_consumption::float8 AS "maxHourlyKwh"
         FROM devices WHERE owner_id = $1 ORDER BY name, id LIMIT ${MAX_DEVICES}`,
      [ownerId],
    );
    return rows;
  }

  /**
   * The owner's consumption from the start of day `from` to the end of day `to` (YYYY-MM-DD, in
   * `timeZone`), for one of their devices or all of them. Null if `deviceId` is not one of theirs.
   */
  async consumption(ownerId: string, period: { from: string; to: string; timeZone: string; deviceId?: string | undefined }): Promise<PeriodConsumption | null> {
    const owned = await this.devices(ownerId);
    const devices = period.deviceId === undefined ? owned : owned.filter((device) => device.id === period.deviceId);
    if (period.deviceId !== undefined && devices.length === 0) return null;
    const { rows } = await this.monitoring.query<{ device_id: string; day: string; kwh: number }>(
      `SELECT device_id, to_char(hour_start AT TIME ZONE $4, 'YYYY-MM-DD') AS day, sum(total_kwh)::float8 AS kwh
         FROM hourly_consumption
        WHERE device_id = ANY($1::uuid[])
          AND hour_start >= ($2::date)::timestamp AT TIME ZONE $4
          AND hour_start < ($3::date + 1)::timestamp AT TIME ZONE $4
        GROUP BY 1, 2`,
      [devices.map((device) => device.id), period.from, period.to, period.timeZone],
    );
    const byDevice = new Map<string, number>();
    const byDay = new Map<string, number>();
    for (const row of rows) {
      byDevice.set(row.device_id, (byDevice.get(row.device_id) ?? 0) + row.kwh);
      byDay.set(row.day, (byDay.get(row.day) ?? 0) + row.kwh);
    }
    const spanDays = (Date.parse(period.to) - Date.parse(period.from)) / 86_400_000 + 1;
    return {
      from: period.from,
      to: period.to,
      timeZone: period.timeZone,
      totalKwh: round([...byDevice.values()].reduce((sum, kwh) => sum + kwh, 0)),
      devices: devices.map((device) => ({ id: device.id, name: device.name, totalKwh: round(byDevice.get(device.id) ?? 0) })),
      ...(spanDays <= DAILY_BREAKDOWN_MAX_DAYS
        ? { days: [...byDay].sort(([a], [b]) => a.localeCompare(b)).map(([day, kwh]) => ({ day, kwh: round(kwh) })) }
        : {}),
    };
  }

  /** The owner's latest alarms of every kind (over-consumption, device silent), newest first. */
  async alerts(ownerId: string, limit: number): Promise<OwnedAlert[]> {
    const [owned, { rows }] = await Promise.all([
      this.devices(ownerId),
      this.monitoring.query<AlertRow>(
        `SELECT device_id, kind, hour_start, total_kwh::float8 AS total_kwh, limit_kwh::float8 AS limit_kwh, last_reading_at,
                created_at, cleared_at, (cleared_at IS NULL OR cleared_at > now()) AS active, acknowledged_at IS NOT NULL AS acknowledged
           FROM alerts WHERE owner_id = $1 ORDER BY created_at DESC LIMIT $2`,
        [ownerId, limit],
      ),
    ]);
    const names = new Map(owned.map((device) => [device.id, device.name]));
    return rows.map((row): OwnedAlert => {
      const base: AlarmBase = {
        deviceId: row.device_id,
        deviceName: names.get(row.device_id) ?? null,
        state: row.active ? "active" : "cleared",
        raisedAt: row.created_at.toISOString(),
        acknowledged: row.acknowledged,
      };
      return row.kind === "device_silent"
        ? { kind: row.kind, ...base, lastReadingAt: row.last_reading_at.toISOString(), clearedAt: row.cleared_at?.toISOString() ?? null }
        : { kind: row.kind, ...base, hourStart: row.hour_start.toISOString(), totalKwh: round(row.total_kwh), limitKwh: row.limit_kwh };
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.device.end(), this.monitoring.end()]);
  }
}
