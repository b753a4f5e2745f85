import { describe, expect, it } from "vitest";
import type { DeviceSilence } from "@ems/contracts/notifications";
import { activeFirst, alertLabel, alertStateWhen, alertSummary, silenceNotice } from "./alert-display.ts";
import type { Alert } from "./api-types.ts";
import { formatClockHour, formatDuration, formatMessageTime } from "./format.ts";

const MINUTE_MS = 60_000;
const now = new Date("2026-03-12T10:00:00Z");
const minutesBefore = (minutes: number) => new Date(now.getTime() - minutes * MINUTE_MS);

const common = { deviceId: "d", deviceName: "Kitchen meter", ownerId: "o", acknowledgedAt: null } as const;
const overLimit = (hourStart: Date, state: Alert["state"]): Alert => ({
  ...common,
  id: `over-${hourStart.toISOString()}`,
  kind: "over_consumption",
  state,
  hourStart,
  totalKwh: "3.2",
  limitKwh: "2.000",
  lastReadingAt: null,
  clearedAt: new Date(hourStart.getTime() + 60 * MINUTE_MS),
  createdAt: hourStart,
});
const silence = (lastReadingAt: Date, clearedAt: Date | null): Alert => ({
  ...common,
  id: `silent-${lastReadingAt.toISOString()}`,
  kind: "device_silent",
  state: clearedAt && clearedAt <= now ? "cleared" : "active",
  lastReadingAt,
  clearedAt,
  hourStart: null,
  totalKwh: null,
  limitKwh: null,
  createdAt: new Date(lastReadingAt.getTime() + 30 * MINUTE_MS),
});

describe("how an alert reads", () => {
  it("over the limit: the hour and the total against the limit; active until the hour ends", () => {
    const hour = new Date("2026-03-12T09:00:00Z");
    const alert = overLimit(hour, "active");
    expect(alertSummary(alert, now)).toBe(`Over limit ${formatClockHour(hour)}, 3.2 kWh / 2 kWh`);
    expect(alertStateWhen(alert, minutesBefore(30))).toBe(`until ${formatMessageTime(now, now)}`);
    expect(alertLabel(alert)).toMatch(/^the over-consumption alert of Kitchen meter for /);
  });

  it("silent: since when and for how long, to the moment of the list while active, to the clearing once cleared", () => {
    const active = silence(minutesBefore(45), null);
    expect(alertSummary(active, now)).toBe(`Silent since ${formatMessageTime(minutesBefore(45), now)} (no reading for 45 min)`);
    expect(alertStateWhen(active, now)).toBe(`since ${formatMessageTime(minutesBefore(15), now)}`);
    expect(alertLabel(active)).toMatch(/^the silence alarm of Kitchen meter since /);

    const cleared = silence(minutesBefore(200), minutesBefore(5));
    expect(alertSummary(cleared, now)).toBe(`Silent ${formatMessageTime(minutesBefore(200), now)}–${formatMessageTime(minutesBefore(5), now)} (no reading for 3 h 15 min)`);
    expect(alertStateWhen(cleared, now)).toBe(formatMessageTime(minutesBefore(5), now));
    expect(alertLabel({ ...cleared, deviceName: null })).toMatch(/^the silence alarm of a deleted device/);
  });

  it("lists active alerts first, each group keeping the server's newest-first order", () => {
    const list = [
      overLimit(new Date("2026-03-12T08:00:00Z"), "cleared"),
      silence(minutesBefore(300), null),
      overLimit(new Date("2026-03-12T07:00:00Z"), "cleared"),
      overLimit(new Date("2026-03-12T09:00:00Z"), "active"),
    ];
    expect(activeFirst(list).map((a) => a.id)).toEqual([list[1]!.id, list[3]!.id, list[0]!.id, list[2]!.id]);
  });

  it("lengths of time read in minutes, hours and days", () => {
    expect([0, 59, 60, 61, 47 * 60 + 59, 48 * 60, 50 * 60 + 30].map((minutes) => formatDuration(minutes * MINUTE_MS))).toEqual([
      "0 min",
      "59 min",
      "1 h",
      "1 h 1 min",
      "47 h 59 min",
      "2 d",
      "2 d 2 h",
    ]);
  });
});

describe("the toast of a live silence alarm", () => {
  const alarm: DeviceSilence = {
    alarmId: "00000000-0000-4000-8000-000000000001",
    deviceId: "00000000-0000-4000-8000-000000000002",
    ownerId: null,
    state: "active",
    lastReadingAt: minutesBefore(31).toISOString(),
    silentAfterMinutes: 30,
    raisedAt: now.toISOString(),
    clearedAt: null,
  };

  it("names the meter that stopped reporting, and since when; an alarm rather than a notice", () => {
    expect(silenceNotice(alarm, "Kitchen meter", now)).toEqual({
      tone: "error",
      title: "Meter Kitchen meter stopped reporting",
      description: `No reading since ${formatMessageTime(minutesBefore(31), now)}.`,
    });
    expect(silenceNotice(alarm, undefined, now).title).toBe("A meter stopped reporting");
  });

  it("tells how long it was silent once it reports again", () => {
    expect(silenceNotice({ ...alarm, state: "cleared", clearedAt: minutesBefore(1).toISOString() }, "Kitchen meter", now)).toEqual({
      tone: "success",
      title: "Meter Kitchen meter is reporting again",
      description: "It sent no reading for 30 min.",
    });
  });
});
