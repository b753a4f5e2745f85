import "server-only";
import { deviceDb } from "@ems/db/device";
import { monitoringDb, type Alert } from "@ems/db/monitoring";
import { localDayRange, localTimeLabel, utcHoursOfLocalDay } from "~/lib/local-day.ts";
import type { ConsumptionInput, ListAlertsInput } from "~/lib/schemas.ts";
import { forbidden, notFound } from "../errors.ts";
import { isAdmin, type Viewer } from "../viewer.ts";

/**
 * Reads of the monitoring database: hourly consumption for charts and the alert history. Whether a
 * viewer may see a device is decided by the device database (the owner of record), read first; the
 * only write is an alert's acknowledgement.
 */

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
  const rows = await monitoringDb.hourlyConsumption.findMany({
    where: { deviceId: input.deviceId, hourStart: { gte: new Date(start), lt: new Date(end) } },
    select: { hourStart: true, totalKwh: true },
  });
  const totals = new Map(rows.map((row) => [row.hourStart.getTime(), row.totalKwh.toNumber()]));
  const hours = utcHoursOfLocalDay(input.date, input.tz).map((hour) => ({
    hourStart: new Date(hour).toISOString(),
    localTime: localTimeLabel(hour, input.tz),
    kwh: totals.get(hour) ?? 0,
  }));
  const totalKwh = hours.reduce((sum, h) => sum + h.kwh, 0);
  return { deviceId: input.deviceId, date: input.date, timeZone: input.tz, unit: "kWh", hours, totalKwh };
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
  const alerts = await monitoringDb.alert.findMany({
    where: {
      ownerId: isAdmin(viewer) ? undefined : viewer.id,
      deviceId: input.deviceId,
      acknowledgedAt: input.unacknowledgedOnly ? null : undefined,
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
  });
  const page = alerts.slice(0, input.limit);
  const nextCursor = alerts.length > input.limit ? (page.at(-1)?.id ?? null) : null;
  return { items: await withDeviceNames(page), nextCursor };
}

/** The alert's owner or an admin; acknowledging twice keeps the first time. */
export async function acknowledgeAlert(viewer: Viewer, alertId: string): Promise<AlertDto> {
  const alert = await monitoringDb.alert.findUnique({ where: { id: alertId } });
  if (!alert) throw notFound("No such alert");
  if (!isAdmin(viewer) && alert.ownerId !== viewer.id) throw forbidden("This alert is not yours");
  const acknowledged = alert.acknowledgedAt
    ? alert
    : await monitoringDb.alert.update({ where: { id: alertId }, data: { acknowledgedAt: new Date() } });
  const [dto] = await withDeviceNames([acknowledged]);
  if (!dto) throw notFound("No such alert");
  return dto;
}
