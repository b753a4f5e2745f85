import "server-only";
import { deviceDb } from "@ems/db/device";
import { monitoringDb, Prisma, type Alert } from "@ems/db/monitoring";
import { isDatabaseUnavailable } from "@ems/db/unavailable";
import {
  changeBetween,
  periodBuckets,
  previousPeriod,
  roundKwh,
  type DevicePeriodInput,
  type PeriodConsumption,
  type Resolution,
  type UserPeriodInput,
} from "~/lib/consumption-periods.ts";
import { localDayRange, localTimeLabel, utcHoursOfLocalDay } from "~/lib/local-day.ts";
import type { ConsumptionInput, ListAlertsInput } from "~/lib/schemas.ts";
import { badRequest, forbidden, notFound, serviceUnavailable } from "../errors.ts";
import { assertSelfOrAdmin, isAdmin, type Viewer } from "../viewer.ts";
import { assertUserExists } from "./users.ts";

/**
 * Reads of the monitoring database: hourly consumption for charts and the alert history. Whether a
 * viewer may see a device is decided by the device database (the owner of record), read first; the
 * only write is an alert's acknowledgement.
 */

/**
 * A read or write of the monitoring database; while it is away the caller gets 503 with a message
 * (the dashboard shows it in place of the chart), not a 500 or an empty day.
 */
async function fromMonitoring<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isDatabaseUnavailable(error)) throw serviceUnavailable("Consumption and alert data are temporarily unavailable; please try again in a moment");
    throw error;
  }
}

export interface HourlyValue {
  /** Start of the UTC clock hour, ISO-8601. */
  hourStart: string;
  /** That hour's start on the viewer's wall clock, "HH:MM". */
  localTime: string;
  kwh: number;
}

export interface DayConsumption {
  deviceId: string;
  date: string;
  timeZone: string;
  unit: "kWh";
  /** 24 values, or 23/25 on a DST change; hours without readings are 0. */
  hours: HourlyValue[];
  totalKwh: number;
}

/** Throws unless the device exists and the viewer is its owner or an admin. */
async function assertCanSeeDevice(viewer: Viewer, deviceId: string): Promise<void> {
  const device = await deviceDb.device.findUnique({ where: { id: deviceId }, select: { ownerId: true } });
  if (!device) throw notFound("No such device");
  if (!isAdmin(viewer) && device.ownerId !== viewer.id) throw forbidden("This device is not yours");
}

/** A device's hourly totals for one calendar day in `tz` (UTC by default). */
export async function consumptionForDay(viewer: Viewer, input: ConsumptionInput): Promise<DayConsumption> {
  await assertCanSeeDevice(viewer, input.deviceId);
  const { start, end } = localDayRange(input.date, input.tz);
  const rows = await fromMonitoring(() =>
    monitoringDb.hourlyConsumption.findMany({
      where: { deviceId: input.deviceId, hourStart: { gte: new Date(start), lt: new Date(end) } },
      select: { hourStart: true, totalKwh: true },
    }),
  );
  const totals = new Map(rows.map((row) => [row.hourStart.getTime(), row.totalKwh.toNumber()]));
  const hours = utcHoursOfLocalDay(input.date, input.tz).map((hour) => ({
    hourStart: new Date(hour).toISOString(),
    localTime: localTimeLabel(hour, input.tz),
    kwh: totals.get(hour) ?? 0,
  }));
  const totalKwh = hours.reduce((sum, h) => sum + h.kwh, 0);
  return { deviceId: input.deviceId, date: input.date, timeZone: input.tz, unit: "kWh", hours, totalKwh };
}

/**
 * Total kWh of `deviceIds` per bucket of [start, end), summed in SQL: first per stored UTC clock hour
 * over all the devices (no time-zone work per row), then those hours per bucket. Days and months are
 * grouped on the zone's wall clock (`AT TIME ZONE` follows its DST rules); hours stay the UTC clock
 * hours the day view shows (a local hour would merge the two 03:00s of a fall-back day).
 * Rows: `bucket` = an hour's UTC ISO start, or the local date the day or month begins; `kwh` = the
 * exact numeric sum as text. Exported for the benchmark's EXPLAIN.
 */
export function bucketTotalsQuery(deviceIds: string[], range: { start: number; end: number }, resolution: Resolution, timeZone: string): Prisma.Sql {
  const bucket =
    resolution === "hour"
      ? Prisma.sql`to_char(hour_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
      : Prisma.sql`to_char(date_trunc(${resolution}, hour_start AT TIME ZONE ${timeZone}), 'YYYY-MM-DD')`;
  // The primary key (device_id, hour_start) gives each device's range.
  return Prisma.sql`
    SELECT ${bucket} AS bucket, sum(kwh)::text AS kwh
      FROM (SELECT hour_start, sum(total_kwh) AS kwh
              FROM hourly_consumption
             WHERE device_id = ANY(${deviceIds}::uuid[])
               AND hour_start >= ${new Date(range.start)} AND hour_start < ${new Date(range.end)}
             GROUP BY hour_start) AS hours
     GROUP BY 1`;
}

async function sumsByBucket(deviceIds: string[], range: { start: number; end: number }, resolution: Resolution, timeZone: string): Promise<Map<string, number>> {
  if (deviceIds.length === 0) return new Map();
  // A year of many devices costs enough for PostgreSQL to JIT-compile the query, which took ~65 ms of
  // a ~330 ms answer in the benchmark and saves less than that: off for this statement only.
  const [, rows] = await fromMonitoring(() =>
    monitoringDb.$transaction([
      monitoringDb.$executeRaw`SET LOCAL jit = off`,
      monitoringDb.$queryRaw<{ bucket: string; kwh: string }[]>(bucketTotalsQuery(deviceIds, range, resolution, timeZone)),
    ]),
  );
  return new Map(rows.map((row) => [row.bucket, Number(row.kwh)]));
}

async function consumptionOverPeriod(
  scope: PeriodConsumption["scope"],
  deviceIds: string[],
  input: { from: string; to: string; resolution: Resolution; tz: string },
): Promise<PeriodConsumption> {
  const before = previousPeriod(input.from, input.to);
  const currentBuckets = periodBuckets(input.from, input.to, input.resolution, input.tz);
  const previousBuckets = periodBuckets(before.from, before.to, input.resolution, input.tz);
  // The previous period ends where this one starts: one query covers both.
  const start = previousBuckets[0]?.start ?? currentBuckets[0]?.start ?? 0;
  const end = currentBuckets.at(-1)?.end ?? start;
  const sums = await sumsByBucket(deviceIds, { start, end }, input.resolution, input.tz);
  const series = (period: { from: string; to: string }, buckets: typeof currentBuckets) => {
    const values = buckets.map((bucket) => ({
      start: new Date(bucket.start).toISOString(),
      end: new Date(bucket.end).toISOString(),
      localStart: bucket.localStart,
      kwh: sums.get(bucket.key) ?? 0,
    }));
    return { ...period, buckets: values, totalKwh: roundKwh(values.reduce((sum, value) => sum + value.kwh, 0)) };
  };
  const current = series({ from: input.from, to: input.to }, currentBuckets);
  const previous = series(before, previousBuckets);
  return {
    scope,
    timeZone: input.tz,
    resolution: input.resolution,
    unit: "kWh",
    current,
    previous,
    change: changeBetween(current.totalKwh, previous.totalKwh),
  };
}

/** One device's consumption per hour, day or month of [from, to) in `tz`, with the period before: the owner or an admin. */
export async function deviceConsumptionOverPeriod(viewer: Viewer, input: DevicePeriodInput): Promise<PeriodConsumption> {
  await assertCanSeeDevice(viewer, input.deviceId);
  return consumptionOverPeriod({ kind: "device", deviceId: input.deviceId }, [input.deviceId], input);
}

/**
 * The total of all devices a client owns now (the device database decides), per bucket. A client
 * asks for their own (`userId` omitted or theirs); an admin names any client.
 */
export async function userConsumptionOverPeriod(viewer: Viewer, input: UserPeriodInput): Promise<PeriodConsumption> {
  const userId = input.userId ?? (isAdmin(viewer) ? undefined : viewer.id);
  if (!userId) throw badRequest("userId: an administrator must name the client");
  assertSelfOrAdmin(viewer, userId);
  if (isAdmin(viewer)) await assertUserExists(userId);
  const devices = await deviceDb.device.findMany({ where: { ownerId: userId }, select: { id: true } });
  const deviceIds = devices.map((device) => device.id);
  return consumptionOverPeriod({ kind: "user", userId, deviceCount: deviceIds.length }, deviceIds, input);
}

export interface AlertDto {
  id: string;
  deviceId: string;
  /** From the device database; null if the device has since been deleted. */
  deviceName: string | null;
  ownerId: string | null;
  hourStart: Date;
  totalKwh: string;
  limitKwh: string;
  createdAt: Date;
  acknowledgedAt: Date | null;
}

async function withDeviceNames(alerts: Alert[]): Promise<AlertDto[]> {
  const deviceIds = [...new Set(alerts.map((a) => a.deviceId))];
  const devices = deviceIds.length
    ? await deviceDb.device.findMany({ where: { id: { in: deviceIds } }, select: { id: true, name: true } })
    : [];
  const names = new Map(devices.map((d) => [d.id, d.name]));
  return alerts.map((a) => ({
    id: a.id,
    deviceId: a.deviceId,
    deviceName: names.get(a.deviceId) ?? null,
    ownerId: a.ownerId,
    hourStart: a.hourStart,
    totalKwh: a.totalKwh.toString(),
    limitKwh: a.limitKwh.toFixed(3),
    createdAt: a.createdAt,
    acknowledgedAt: a.acknowledgedAt,
  }));
}

/**
 * Newest first, a page at a time. A client sees the alerts raised while they owned the device
 * (alerts.owner_id); an admin sees all.
 */
export async function listAlerts(viewer: Viewer, input: ListAlertsInput): Promise<{ items: AlertDto[]; nextCursor: string | null }> {
  const alerts = await fromMonitoring(() =>
    monitoringDb.alert.findMany({
      where: {
        ownerId: isAdmin(viewer) ? undefined : viewer.id,
        deviceId: input.deviceId,
        acknowledgedAt: input.unacknowledgedOnly ? null : undefined,
      },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: input.limit + 1,
      ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    }),
  );
  const page = alerts.slice(0, input.limit);
  const nextCursor = alerts.length > input.limit ? (page.at(-1)?.id ?? null) : null;
  return { items: await withDeviceNames(page), nextCursor };
}

/** The alert's owner or an admin; acknowledging twice keeps the first time. */
export async function acknowledgeAlert(viewer: Viewer, alertId: string): Promise<AlertDto> {
  const alert = await fromMonitoring(() => monitoringDb.alert.findUnique({ where: { id: alertId } }));
  if (!alert) throw notFound("No such alert");
  if (!isAdmin(viewer) && alert.ownerId !== viewer.id) throw forbidden("This alert is not yours");
  const acknowledged = alert.acknowledgedAt
    ? alert
    : await fromMonitoring(() => monitoringDb.alert.update({ where: { id: alertId }, data: { acknowledgedAt: new Date() } }));
  const [dto] = await withDeviceNames([acknowledged]);
  if (!dto) throw notFound("No such alert");
  return dto;
}
