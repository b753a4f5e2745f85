import "server-only";
import { z } from "zod";
import { deviceDb } from "@ems/db/device";
import { monitoringDb, Prisma, type Alert } from "@ems/db/monitoring";
import { isDatabaseUnavailable } from "@ems/db/unavailable";
import {
  changeBetween,
  periodBuckets,
  previousPeriod,
  roundKwh,
  type DevicePeriodInput,
  type PeriodBucket,
  type PeriodConsumption,
  type Resolution,
  type UserPeriodInput,
} from "~/lib/consumption-periods.ts";
import { localDayRange, localTimeLabel, utcHoursOfLocalDay } from "~/lib/local-day.ts";
import { alertStateSchema, type AlertKind, type AlertState, type ConsumptionInput, type ListAlertsInput } from "~/lib/schemas.ts";
import { badRequest, forbidden, notFound, serviceUnavailable } from "../errors.ts";
import { assertSelfOrAdmin, isAdmin, type Viewer } from "../viewer.ts";
import { assertUserExists } from "./users.ts";
import { utcDaySplits, type UtcDaySplits } from "./utc-day-splits.ts";

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
 * Total kWh of `deviceIds` per hour bucket: the stored UTC clock hours, summed over all the devices,
 * then per bucket by a binary search of the buckets' starts (`width_bucket`). The buckets (contiguous,
 * ascending, the last ending at `end`) are the ones the page shows, computed in TypeScript with the
 * zone's DST rules (lib/consumption-periods.ts), so SQL does no time-zone work per row. Rows: `bucket` =
 * the 1-based index of the bucket; `kwh` = the exact numeric sum as text. Exported for the test that
 * holds the daily query to it.
 */
export function hourlyBucketTotalsQuery(deviceIds: string[], buckets: readonly { start: number }[], end: number): Prisma.Sql {
  const starts = buckets.map((bucket) => new Date(bucket.start).toISOString());
  // The primary key (device_id, hour_start) gives each device's range.
  return Prisma.sql`
    SELECT width_bucket(hour_start, ${starts}::timestamptz[]) AS bucket, sum(kwh)::text AS kwh
      FROM (SELECT hour_start, sum(total_kwh) AS kwh
              FROM hourly_consumption
             WHERE device_id = ANY(${deviceIds}::uuid[])
               AND hour_start >= ${starts[0]}::timestamptz AND hour_start < ${new Date(end)}
             GROUP BY hour_start) AS hours
     GROUP BY 1`;
}

/**
 * The same answer for day and month buckets, from daily_consumption: one row of running totals per
 * device and UTC day instead of 24 hours (a year by day of 50 devices reads 18,000 rows, not 438,000).
 * Each UTC day is summed over the devices in two parts, before and after its cut hour (utcDaySplits),
 * running_kwh[cut] and running_kwh[24] - running_kwh[cut], exactly; each part then goes to its bucket.
 * Same rows as hourlyBucketTotalsQuery.
 */
function dailyBucketTotalsQuery(deviceIds: string[], splits: UtcDaySplits): Prisma.Sql {
  const day = Prisma.sql`r.day - ${splits.firstDay}::date + 1`;
  return Prisma.sql`
    WITH days AS (
      SELECT ${day} AS day, sum(r.running_kwh[(${splits.cutHours}::int[])[${day}]]) AS before_cut, sum(r.running_kwh[24]) AS total
        FROM daily_consumption r
       WHERE r.device_id = ANY(${deviceIds}::uuid[]) AND r.day >= ${splits.firstDay}::date AND r.day <= ${splits.lastDay}::date
       GROUP BY r.day)
    SELECT bucket, sum(kwh)::text AS kwh
      FROM (SELECT (${splits.buckets.map(([before]) => before)}::int[])[day] AS bucket, before_cut AS kwh FROM days
            UNION ALL
            SELECT (${splits.buckets.map(([, after]) => after)}::int[])[day], total - before_cut FROM days) AS parts
     WHERE bucket > 0
     GROUP BY bucket`;
}

/**
 * The query summing `deviceIds` per bucket: a day's running totals where its buckets allow, else hour
 * by hour. Exported for the test that holds the two ways equal, and the benchmark's EXPLAIN.
 */
export function bucketTotalsQuery(deviceIds: string[], buckets: readonly PeriodBucket[], resolution: Resolution): Prisma.Sql {
  const splits = resolution === "hour" ? undefined : utcDaySplits(buckets);
  return splits ? dailyBucketTotalsQuery(deviceIds, splits) : hourlyBucketTotalsQuery(deviceIds, buckets, buckets.at(-1)?.end ?? 0);
}

/**
 * Settings for a period's statement only: no JIT compilation (it took ~65 ms of a ~330 ms year of
 * hours and saved less) and no parallel workers (starting them costs more than they save on a few
 * thousand rows). Exported for the benchmark's EXPLAIN.
 */
export const periodQuerySettings = Prisma.sql`SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)`;

/** kWh per bucket key; see bucketTotalsQuery. */
async function sumsByBucket(deviceIds: string[], buckets: readonly PeriodBucket[], resolution: Resolution): Promise<Map<string, number>> {
  if (deviceIds.length === 0 || buckets.length === 0) return new Map();
  const [, rows] = await fromMonitoring(() =>
    monitoringDb.$transaction([
      monitoringDb.$queryRaw(periodQuerySettings),
      monitoringDb.$queryRaw<{ bucket: number; kwh: string }[]>(bucketTotalsQuery(deviceIds, buckets, resolution)),
    ]),
  );
  const sums = new Map<string, number>();
  for (const row of rows) {
    const bucket = buckets[row.bucket - 1];
    if (bucket) sums.set(bucket.key, Number(row.kwh));
  }
  return sums;
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
  const sums = await sumsByBucket(deviceIds, [...previousBuckets, ...currentBuckets], input.resolution);
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

const alertFields = {
  id: z.uuid(),
  deviceId: z.uuid(),
  /** From the device database; null if the device has since been deleted. */
  deviceName: z.string().nullable(),
  ownerId: z.uuid().nullable(),
  /** At the moment of the answer (alertState). */
  state: alertStateSchema,
  /** When it was (or, for an over-consumption alert of the current hour, will be) cleared; null: active until the device reports again. */
  clearedAt: z.date().nullable(),
  createdAt: z.date(),
  acknowledgedAt: z.date().nullable(),
};
const overConsumptionFields = {
  kind: z.literal("over_consumption"),
  hourStart: z.date(),
  totalKwh: z.string(),
  limitKwh: z.string(),
  lastReadingAt: z.null(),
};
const deviceSilentFields = {
  kind: z.literal("device_silent"),
  /** When monitoring last counted a reading of the device before it went silent. */
  lastReadingAt: z.date(),
  hourStart: z.null(),
  totalKwh: z.null(),
  limitKwh: z.null(),
};

/** An alert of either kind (`kind` tells which fields are set), with `extra` fields: the operations view adds the owner's username. */
export function alertSchemaWith<Extra extends z.ZodRawShape>(extra: Extra) {
  return z.discriminatedUnion("kind", [z.object({ ...alertFields, ...overConsumptionFields, ...extra }), z.object({ ...alertFields, ...deviceSilentFields, ...extra })]);
}

export const alertSchema = alertSchemaWith({});
export type AlertDto = z.infer<typeof alertSchema>;
export const alertPageSchema = z.object({ items: z.array(alertSchema), nextCursor: z.uuid().nullable() });

/** Active until cleared_at has passed (none yet: a silence alarm whose device has not reported again). */
export function alertState(clearedAt: Date | null, now: Date): AlertState {
  return clearedAt === null || clearedAt > now ? "active" : "cleared";
}

/** The alerts in `state` at `now`, by the rule of alertState; every alert when absent. */
function alertStateWhere(state: AlertState | undefined, now: Date): Prisma.AlertWhereInput {
  if (state === "active") return { OR: [{ clearedAt: null }, { clearedAt: { gt: now } }] };
  if (state === "cleared") return { clearedAt: { lte: now } };
  return {};
}

type UnnamedAlertDto = DistributiveOmit<AlertDto, "deviceName">;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A stored row as its kind's DTO (the table's alerts_kind_fields constraint guarantees the fields). */
function alertView(alert: Alert, now: Date): UnnamedAlertDto {
  const common = {
    id: alert.id,
    deviceId: alert.deviceId,
    ownerId: alert.ownerId,
    state: alertState(alert.clearedAt, now),
    clearedAt: alert.clearedAt,
    createdAt: alert.createdAt,
    acknowledgedAt: alert.acknowledgedAt,
  };
  if (alert.kind === "over_consumption" && alert.hourStart && alert.totalKwh && alert.limitKwh) {
    const fields = { hourStart: alert.hourStart, totalKwh: alert.totalKwh.toString(), limitKwh: alert.limitKwh.toFixed(3), lastReadingAt: null };
    return { ...common, kind: "over_consumption", ...fields };
  }
  if (alert.kind === "device_silent" && alert.lastReadingAt) {
    return { ...common, kind: "device_silent", lastReadingAt: alert.lastReadingAt, hourStart: null, totalKwh: null, limitKwh: null };
  }
  throw new Error(`alert ${alert.id} of kind ${alert.kind} lacks its kind's fields`);
}

/** The rows as DTOs at `now`, with their devices' names. */
async function alertDtos(alerts: Alert[], now: Date): Promise<AlertDto[]> {
  const deviceIds = [...new Set(alerts.map((a) => a.deviceId))];
  const devices = deviceIds.length
    ? await deviceDb.device.findMany({ where: { id: { in: deviceIds } }, select: { id: true, name: true } })
    : [];
  const names = new Map(devices.map((d) => [d.id, d.name]));
  return alerts.map((a) => ({ ...alertView(a, now), deviceName: names.get(a.deviceId) ?? null }));
}

export interface AlertFilter {
  ownerId?: string | undefined;
  deviceId?: string | undefined;
  kind?: AlertKind | undefined;
  state?: AlertState | undefined;
  acknowledged?: boolean | undefined;
}

/**
 * One page of the alerts that match, newest first, as they are at `now`. The caller has decided whom
 * the viewer may see (`ownerId`).
 */
export async function alertPage(
  filter: AlertFilter,
  page: { limit: number; cursor?: string | undefined },
  now: Date,
): Promise<z.infer<typeof alertPageSchema>> {
  const alerts = await fromMonitoring(() =>
    monitoringDb.alert.findMany({
      where: {
        ownerId: filter.ownerId,
        deviceId: filter.deviceId,
        kind: filter.kind,
        acknowledgedAt: filter.acknowledged === undefined ? undefined : filter.acknowledged ? { not: null } : null,
        ...alertStateWhere(filter.state, now),
      },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: page.limit + 1,
      ...(page.cursor ? { cursor: { id: page.cursor }, skip: 1 } : {}),
    }),
  );
  const items = alerts.slice(0, page.limit);
  const nextCursor = alerts.length > page.limit ? (items.at(-1)?.id ?? null) : null;
  return { items: await alertDtos(items, now), nextCursor };
}

/**
 * Newest first, a page at a time. A client sees the alerts raised while they owned the device
 * (alerts.owner_id); an admin sees all.
 */
export async function listAlerts(viewer: Viewer, input: ListAlertsInput, now = new Date()): Promise<z.infer<typeof alertPageSchema>> {
  const filter = { deviceId: input.deviceId, kind: input.kind, state: input.state, acknowledged: input.unacknowledgedOnly ? false : undefined };
  return alertPage({ ...filter, ownerId: isAdmin(viewer) ? undefined : viewer.id }, input, now);
}

/**
 * The alert's owner or an admin, whatever its kind and state (acknowledging does not clear it);
 * acknowledging twice keeps the first time.
 */
export async function acknowledgeAlert(viewer: Viewer, alertId: string, now = new Date()): Promise<AlertDto> {
  const alert = await fromMonitoring(() => monitoringDb.alert.findUnique({ where: { id: alertId } }));
  if (!alert) throw notFound("No such alert");
  if (!isAdmin(viewer) && alert.ownerId !== viewer.id) throw forbidden("This alert is not yours");
  const acknowledged = alert.acknowledgedAt
    ? alert
    : await fromMonitoring(() => monitoringDb.alert.update({ where: { id: alertId }, data: { acknowledgedAt: now } }));
  const [dto] = await alertDtos([acknowledged], now);
  if (!dto) throw notFound("No such alert");
  return dto;
}
