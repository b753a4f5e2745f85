import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { DeviceSilence } from "@ems/contracts/notifications";
import { NOTIFICATION_ROUTING_KEYS } from "@ems/contracts/queues";
import { testLogger } from "../shared/testing.ts";
import type { HourTotal } from "./ingest.ts";
import { Notifier } from "./notifier.ts";

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 27, 12, 20);
const DEVICE = "5c2494a3-1140-4c7a-991a-a1a2561c6bc2";
const OWNER = "0f8fad5b-d9cb-469f-a165-70867728950e";

function recordingBroker() {
  const sent: { routingKey: string; body: unknown }[] = [];
  return {
    sent,
    publish: (_exchange: string, routingKey: string, body: Buffer | string) => {
      sent.push({ routingKey, body: JSON.parse(body.toString()) });
      return Promise.resolve();
    },
  };
}

const total = (hour: number, totalKwh: string, fields: Partial<HourTotal> = {}): HourTotal => ({
  deviceId: DEVICE,
  hourStart: new Date(hour),
  totalKwh,
  limitKwh: "1.000",
  ownerId: OWNER,
  alert: null,
  ...fields,
});

const currentHour = NOW - (NOW % HOUR);

describe("Notifier", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("publishes an alert at once and coalesces consumption updates per device-hour to the latest total", async () => {
    const broker = recordingBroker();
    const notifier = new Notifier(broker, { exchange: "x", consumptionIntervalMs: 1_000, log: testLogger });
    const alert = { id: "6f1c1a53-7a3c-4b8e-9d4e-2f0a4f1b9c11", createdAt: new Date(NOW) };
    notifier.notify([total(currentHour, "1.2", { alert })]);
    notifier.notify([total(currentHour, "1.5"), total(currentHour - HOUR, "0.7")]);
    await vi.advanceTimersByTimeAsync(0);
    expect(broker.sent).toEqual([
      {
        routingKey: NOTIFICATION_ROUTING_KEYS.alertCreated,
        body: { alertId: alert.id, deviceId: DEVICE, ownerId: OWNER, hourStart: new Date(currentHour).toISOString(), total: "1.2", limit: "1.000", createdAt: new Date(NOW).toISOString() },
      },
    ]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(broker.sent.slice(1)).toEqual([
      { routingKey: NOTIFICATION_ROUTING_KEYS.consumptionUpdated, body: { deviceId: DEVICE, ownerId: OWNER, hourStart: new Date(currentHour).toISOString(), total: "1.5" } },
      { routingKey: NOTIFICATION_ROUTING_KEYS.consumptionUpdated, body: { deviceId: DEVICE, ownerId: OWNER, hourStart: new Date(currentHour - HOUR).toISOString(), total: "0.7" } },
    ]);
    await notifier.close();
  });

  it("sends nothing for devices without an owner, and no live updates for hours before the previous one", async () => {
    const broker = recordingBroker();
    const notifier = new Notifier(broker, { exchange: "x", consumptionIntervalMs: 0, log: testLogger });
    notifier.notify([total(currentHour, "5", { ownerId: null, alert: { id: "6f1c1a53-7a3c-4b8e-9d4e-2f0a4f1b9c11", createdAt: new Date(NOW) } })]);
    notifier.notify([total(currentHour - 2 * HOUR, "0.3")]);
    await notifier.close();
    expect(broker.sent).toEqual([]);
  });

  it("sends pending updates on close", async () => {
    const broker = recordingBroker();
    const notifier = new Notifier(broker, { exchange: "x", consumptionIntervalMs: 60_000, log: testLogger });
    notifier.notify([total(currentHour, "0.1")]);
    await notifier.close();
    expect(broker.sent.map((m) => m.routingKey)).toEqual([NOTIFICATION_ROUTING_KEYS.consumptionUpdated]);
  });

  it("publishes silence alarms at once, with or without an owner, and retries them like alerts", async () => {
    const broker = recordingBroker();
    const notifier = new Notifier(broker, { exchange: "x", consumptionIntervalMs: 60_000, log: testLogger });
    const raised: DeviceSilence = {
      alarmId: "3e1f2a9c-5d4b-4e8f-9a7c-1b2d3e4f5a6b",
      deviceId: DEVICE,
      ownerId: OWNER,
      state: "active",
      lastReadingAt: new Date(NOW - 40 * 60_000).toISOString(),
      silentAfterMinutes: 30,
      raisedAt: new Date(NOW).toISOString(),
      clearedAt: null,
    };
    const cleared: DeviceSilence = { ...raised, ownerId: null, state: "cleared", clearedAt: new Date(NOW + 60_000).toISOString() };
    notifier.notifySilence([raised, cleared]);
    await vi.advanceTimersByTimeAsync(0);
    expect(broker.sent).toEqual([
      { routingKey: NOTIFICATION_ROUTING_KEYS.deviceSilence, body: raised },
      { routingKey: NOTIFICATION_ROUTING_KEYS.deviceSilence, body: cleared },
    ]);
    await notifier.close();

    let attempts = 0;
    const errors: string[] = [];
    const failing = new Notifier(
      {
        publish: () => {
          attempts++;
          return Promise.reject(new Error("not connected"));
        },
      },
      { exchange: "x", consumptionIntervalMs: 0, alertAttempts: 2, retryDelayMs: 10, log: { ...testLogger, error: (m) => errors.push(m) } },
    );
    failing.notifySilence([raised]);
    await vi.advanceTimersByTimeAsync(100);
    await failing.close();
    expect(attempts).toBe(2);
    expect(errors).toEqual([`silence alarm ${raised.alarmId} (active) stored but not pushed after 2 attempts: Error: not connected`]);
  });

  it("retries an alert whose publish fails, then gives up with an error log", async () => {
    let attempts = 0;
    const failing = {
      publish: () => {
        attempts++;
        return Promise.reject(new Error("not connected"));
      },
    };
    const errors: string[] = [];
    const notifier = new Notifier(failing, { exchange: "x", consumptionIntervalMs: 0, alertAttempts: 3, retryDelayMs: 10, log: { ...testLogger, warn: () => {}, error: (m) => errors.push(m) } });
    notifier.notify([total(currentHour - HOUR, "0.5", { ownerId: OWNER, alert: { id: "6f1c1a53-7a3c-4b8e-9d4e-2f0a4f1b9c11", createdAt: new Date(NOW) } })]);
    await vi.advanceTimersByTimeAsync(100);
    await notifier.close();
    expect(attempts).toBe(1 + 3); // one consumption update, three alert attempts
    expect(errors).toEqual([expect.stringContaining("stored but not pushed after 3 attempts")]);
  });
});
