import type { DeviceSilence } from "@ems/contracts/notifications";
import type { Alert } from "./api-types.ts";
import { formatClockHour, formatDateTime, formatDay, formatDuration, formatHourRange, formatKwh, formatMessageTime } from "./format.ts";

/**
 * How an alert of either kind reads, in the client's history and in the admins' table alike. `now` is
 * when the list was fetched (the moment its `state` is of), so a silence's length matches its state.
 */

/** "Over limit 14:00–15:00, 3.2 kWh / 2 kWh"; "Silent since 09:12 (no reading for 30 min)"; "Silent 09:12–10:03 (no reading for 51 min)". */
export function alertSummary(alert: Alert, now: Date): string {
  if (alert.kind === "over_consumption") {
    return `Over limit ${formatClockHour(alert.hourStart)}, ${formatKwh(alert.totalKwh)} / ${formatKwh(alert.limitKwh)}`;
  }
  const since = formatMessageTime(alert.lastReadingAt, now);
  if (alert.state === "active" || !alert.clearedAt) {
    return `Silent since ${since} (no reading for ${formatDuration(now.getTime() - alert.lastReadingAt.getTime())})`;
  }
  return `Silent ${since}–${formatMessageTime(alert.clearedAt, now)} (no reading for ${formatDuration(alert.clearedAt.getTime() - alert.lastReadingAt.getTime())})`;
}

/** The day the alert is about: its hour's, or the day the device last reported. */
export function alertDay(alert: Alert): string {
  return formatDay(alert.kind === "over_consumption" ? alert.hourStart : alert.lastReadingAt);
}

/** "until 15:00" (an hour still running), "since 09:42" (raised, the device still silent), "15:00" (when it was cleared). */
export function alertStateWhen(alert: Alert, now: Date): string {
  if (alert.state === "cleared" && alert.clearedAt) return formatMessageTime(alert.clearedAt, now);
  if (alert.kind === "over_consumption") return `until ${formatMessageTime(new Date(alert.hourStart.getTime() + 3_600_000), now)}`;
  return `since ${formatMessageTime(alert.createdAt, now)}`;
}

/** Names the alert for a control that acts on it, e.g. "the silence alarm of Kitchen meter since 12 Mar 2026, 09:12". */
export function alertLabel(alert: Alert): string {
  const device = alert.deviceName ?? "a deleted device";
  return alert.kind === "over_consumption"
    ? `the over-consumption alert of ${device} for ${formatHourRange(alert.hourStart)}`
    : `the silence alarm of ${device} since ${formatDateTime(alert.lastReadingAt)}`;
}

/** Active alerts first, each group in the order given (newest first from the server). */
export function activeFirst<T extends Pick<Alert, "state">>(alerts: T[]): T[] {
  return alerts.toSorted((a, b) => Number(a.state === "cleared") - Number(b.state === "cleared"));
}

/** The toast for a silence alarm pushed live ("alarm:silence"); `deviceName` from the viewer's device list, if it has the device. */
export function silenceNotice(alarm: DeviceSilence, deviceName: string | undefined, now: Date): { tone: "error" | "success"; title: string; description: string } {
  const meter = deviceName ? `Meter ${deviceName}` : "A meter";
  const lastReadingAt = new Date(alarm.lastReadingAt);
  if (alarm.state === "active") {
    return { tone: "error", title: `${meter} stopped reporting`, description: `No reading since ${formatMessageTime(lastReadingAt, now)}.` };
  }
  const silentFor = formatDuration(new Date(alarm.clearedAt ?? now).getTime() - lastReadingAt.getTime());
  return { tone: "success", title: `${meter} is reporting again`, description: `It sent no reading for ${silentFor}.` };
}
