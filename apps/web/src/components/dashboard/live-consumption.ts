import type { ConsumptionUpdated } from "@ems/contracts/notifications";
import type { DayConsumption } from "../api-types.ts";

/**
 * Applies a live `consumption:updated` (the running total of one device-hour) to a cached day of
 * hourly values. Returns the same object when the update is for another device or another day, so
 * react-query leaves those caches untouched. Totals only grow within an hour, and an update can arrive
 * after a fresher fetch, so a smaller total never replaces a larger one.
 */
export function applyConsumptionUpdate(day: DayConsumption | undefined, update: ConsumptionUpdated): DayConsumption | undefined {
  if (!day || day.deviceId !== update.deviceId) return day;
  const hourMs = Date.parse(update.hourStart);
  const total = Number(update.total);
  const index = day.hours.findIndex((hour) => Date.parse(hour.hourStart) === hourMs);
  const current = day.hours[index];
  if (!current || !Number.isFinite(total) || total <= current.kwh) return day;
  const hours = day.hours.with(index, { ...current, kwh: total });
  return { ...day, hours, totalKwh: hours.reduce((sum, hour) => sum + hour.kwh, 0) };
}
