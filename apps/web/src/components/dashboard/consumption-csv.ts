import { localIsoString, type PeriodConsumption } from "~/lib/consumption-periods.ts";

/**
 * CSV of the period on screen (RFC 4180: comma-separated, CRLF line ends, a header row). Written by
 * hand because the whole of it is one quoting rule and one guard; a CSV library would add a
 * dependency to the page's bundle for the same few lines.
 */

/**
 * A text field: quoted when it holds a comma, a quote or a line break (quotes doubled). Text that a
 * spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) gets a leading apostrophe,
 * as OWASP's CSV-injection advice says: device names are typed by people.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

const CSV_HEADER = ["scope", "start", "end", "kwh", "previous_start", "previous_kwh"];

/**
 * One row per bucket: its local start and end (ISO-8601 with the zone's offset), kWh, and the bucket
 * of the previous period at the same position (empty where that period was shorter).
 */
export function consumptionCsv(period: PeriodConsumption, scopeName: string): string {
  const rows = period.current.buckets.map((bucket, i) => {
    const before = period.previous.buckets[i];
    return [csvField(scopeName), bucket.localStart, localIsoString(Date.parse(bucket.end), period.timeZone), String(bucket.kwh), before?.localStart ?? "", before ? String(before.kwh) : ""];
  });
  return [CSV_HEADER, ...rows].map((row) => row.join(",")).join("\r\n") + "\r\n";
}
