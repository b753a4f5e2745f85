import type { ConsumptionUpdated } from "@ems/contracts/notifications";
import { changeBetween, roundKwh, type PeriodConsumption } from "~/lib/consumption-periods.ts";

/**
 * Live `consumption:updated` events (the running total of one device-hour) against cached periods.
 * One device's hours are patched in place; a day, a month or several devices together cannot be
 * patched from one hour's running total, so those are fetched again when the hour is in them.
 */

const patchable = (period: PeriodConsumption, deviceId: string) =>
  period.resolution === "hour" && period.scope.kind === "device" && period.scope.deviceId === deviceId;

/**
 * Applies an update to one device's cached hours. Returns the same object when it is for another
 * device or another period, so react-query leaves those caches untouched. Totals only grow within an
 * hour, and an update can arrive after a fresher fetch, so a smaller total never replaces a larger one.
 */
export function applyConsumptionUpdate(period: PeriodConsumption | undefined, update: ConsumptionUpdated): PeriodConsumption | undefined {
  if (!period || !patchable(period, update.deviceId)) return period;
  const hourMs = Date.parse(update.hourStart);
  const total = Number(update.total);
  const index = period.current.buckets.findIndex((bucket) => Date.parse(bucket.start) === hourMs);
  const bucket = period.current.buckets[index];
  if (!bucket || !Number.isFinite(total) || total <= bucket.kwh) return period;
  const buckets = period.current.buckets.with(index, { ...bucket, kwh: total });
  const totalKwh = roundKwh(buckets.reduce((sum, b) => sum + b.kwh, 0));
  return { ...period, current: { ...period.current, buckets, totalKwh }, change: changeBetween(totalKwh, period.previous.totalKwh) };
}

/**
 * Whether a cached period holds the updated hour but cannot be patched: days or months of that
 * device, or the total of the client's devices (every update a client receives is for one of theirs; an
 * administrator receives those of the client they watch).
 */
export function needsRefetch(period: PeriodConsumption | undefined, update: ConsumptionUpdated): boolean {
  if (!period || patchable(period, update.deviceId)) return false;
  if (period.scope.kind === "device" && period.scope.deviceId !== update.deviceId) return false;
  const hourMs = Date.parse(update.hourStart);
  const first = period.current.buckets[0];
  const last = period.current.buckets.at(-1);
  return first !== undefined && last !== undefined && hourMs >= Date.parse(first.start) && hourMs < Date.parse(last.end);
}
