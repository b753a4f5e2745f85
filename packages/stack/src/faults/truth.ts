import { randomUUID } from "node:crypto";
import { hourStart, type Measurement } from "@ems/contracts/measurement";

/**
 * A known stream of readings and what monitoring must end up storing for it. Values are whole
 * thousandths of a kWh, so expected sums are exact integers (milli-kWh) and compare exactly with the
 * database's numeric totals.
 */
export interface StreamDevice {
  id: string;
  ownerId: string;
  /** Limit in milli-kWh per hour. */
  limitMilli: number;
}

export interface Stream {
  devices: StreamDevice[];
  /** In publishing order: round-robin over devices, each device's readings 10 minutes apart. */
  readings: Measurement[];
}

export interface DeviceHourTruth {
  totalMilli: number;
  readings: number;
}

/** Key of one device-hour: `${deviceId}@${hourStartMs}`. */
export type DeviceHourKey = string;

export function makeStream(deviceCount: number, readingsPerDevice: number, startMs: number): Stream {
  const devices = Array.from({ length: deviceCount }, (_, i) => ({
    id: randomUUID(),
    ownerId: randomUUID(),
    // Six readings an hour of up to 500 milli-kWh: a limit between 0.9 and 2.1 kWh puts some hours over it.
    limitMilli: 900 + ((i * 37) % 1200),
  }));
  const readings: Measurement[] = [];
  for (let k = 0; k < readingsPerDevice; k++) {
    for (const device of devices) {
      readings.push({ deviceId: device.id, timestamp: startMs + k * 600_000, value: (1 + Math.floor(Math.random() * 500)) / 1000 });
    }
  }
  return { devices, readings };
}

export function truthOf(readings: readonly Measurement[]): Map<DeviceHourKey, DeviceHourTruth> {
  const truth = new Map<DeviceHourKey, DeviceHourTruth>();
  const seen = new Set<string>();
  for (const r of readings) {
    const readingKey = `${r.deviceId}@${r.timestamp}`;
    if (seen.has(readingKey)) continue;
    seen.add(readingKey);
    const key = `${r.deviceId}@${hourStart(r.timestamp)}`;
    const entry = truth.get(key) ?? { totalMilli: 0, readings: 0 };
    entry.totalMilli += Math.round(r.value * 1000);
    entry.readings += 1;
    truth.set(key, entry);
  }
  return truth;
}

/** "1.234" (numeric as text) → 1234. Throws on more than three decimals: that would be a wrong sum. */
export function toMilli(decimal: string): number {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(decimal);
  if (!match) throw new Error(`not a non-negative decimal: ${decimal}`);
  const fraction = (match[2] ?? "").replace(/0+$/, "");
  if (fraction.length > 3) throw new Error(`total ${decimal} has more than three decimals`);
  return Number(match[1]) * 1000 + Number(fraction.padEnd(3, "0"));
}

export interface Comparison {
  expected: number;
  counted: number;
  lost: number;
  duplicated: number;
  wrongTotals: number;
  missingAlerts: number;
  extraAlerts: number;
  matches: boolean;
}

/**
 * Compares stored device-hours and alerts with the truth: readings missing from a count are lost,
 * readings counted more than once are duplicated, and every device-hour whose true total exceeds its
 * device's limit must have exactly one alert (and no other device-hour any).
 */
export function compare(
  truth: Map<DeviceHourKey, DeviceHourTruth>,
  stored: Map<DeviceHourKey, DeviceHourTruth>,
  alertKeys: DeviceHourKey[],
  limitMilliOf: (deviceId: string) => number,
): Comparison {
  let expected = 0;
  let counted = 0;
  let lost = 0;
  let duplicated = 0;
  let wrongTotals = 0;
  for (const [key, want] of truth) {
    const got = stored.get(key) ?? { totalMilli: 0, readings: 0 };
    expected += want.readings;
    counted += got.readings;
    lost += Math.max(0, want.readings - got.readings);
    duplicated += Math.max(0, got.readings - want.readings);
    if (got.totalMilli !== want.totalMilli) wrongTotals++;
  }
  for (const [key, got] of stored) {
    if (truth.has(key)) continue;
    counted += got.readings;
    duplicated += got.readings;
    wrongTotals++;
  }
  const alertSet = new Set(alertKeys);
  let missingAlerts = 0;
  for (const [key, want] of truth) {
    const deviceId = key.slice(0, key.indexOf("@"));
    if (want.totalMilli > limitMilliOf(deviceId) && !alertSet.has(key)) missingAlerts++;
  }
  const extraAlerts =
    alertKeys.length -
    alertSet.size +
    [...alertSet].filter((key) => {
      const want = truth.get(key);
      return !want || want.totalMilli <= limitMilliOf(key.slice(0, key.indexOf("@")));
    }).length;
  return {
    expected,
    counted,
    lost,
    duplicated,
    wrongTotals,
    missingAlerts,
    extraAlerts,
    matches: lost === 0 && duplicated === 0 && wrongTotals === 0 && missingAlerts === 0 && extraAlerts === 0,
  };
}
