import { hash64 } from "@ems/hashing";

/** One reading covers the 10 minutes before its timestamp (CONTRACT.md). */
export const READING_INTERVAL_MS = 10 * 60 * 1000;

/** Gaussian bump centred at `centre` hours with width `width` hours, on a 24-hour circle. */
function bump(hour: number, centre: number, width: number): number {
  const distance = Math.min(Math.abs(hour - centre), 24 - Math.abs(hour - centre));
  return Math.exp(-(distance * distance) / (2 * width * width));
}

/**
 * A household's typical consumption in kWh per 10 minutes at a local time of day (0 ≤ hour < 24):
 * a low night base (fridge, standby), a morning peak around 07:30, a modest daytime plateau and the
 * evening peak around 19:30 (cooking, lighting, TV, washing). About 8 kWh a day in total.
 */
export function dailyShape(hour: number): number {
  const base = 0.02;
  const morning = 0.07 * bump(hour, 7.5, 1);
  const daytime = 0.025 * bump(hour, 13, 3);
  const evening = 0.12 * bump(hour, 19.5, 1.8);
  return base + morning + daytime + evening;
}

/** A number in [0, 1) determined by the key: the same device and time always give the same reading. */
function unitNoise(key: string): number {
  return hash64(key).hi / 0x1_0000_0000;
}

/**
 * Each device is a different household: its consumption is the daily shape scaled by 0.6–1.6 (fixed
 * per device) with ±25 % noise per reading. Readings are deterministic in (device, timestamp), so a
 * replayed period produces identical messages (which monitoring then recognises as duplicates), and
 * rounded to whole watt-hours like a real meter's register.
 */
export function profileReading(deviceId: string, timestamp: number, localHour: number): number {
  const scale = 0.6 + unitNoise(`scale:${deviceId}`);
  const noise = 1 + 0.5 * (unitNoise(`${deviceId}@${timestamp}`) - 0.5);
  return Math.round(dailyShape(localHour) * scale * noise * 1000) / 1000;
}

/** The local hour of day (fractional) of a timestamp in an IANA time zone. */
export function localHourOf(timestamp: number, formatter: Intl.DateTimeFormat): number {
  let hour = 0;
  let minute = 0;
  for (const part of formatter.formatToParts(timestamp)) {
    if (part.type === "hour") hour = Number(part.value) % 24;
    else if (part.type === "minute") minute = Number(part.value);
  }
  return hour + minute / 60;
}

export function hourFormatter(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}
