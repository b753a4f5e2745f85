import { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, it } from "vitest";
import { callerFor, createCast, createTestDevice, seedAlert, seedMonitoring, seedSilenceAlarm, type Cast } from "../../../../test/fixtures.ts";

/** monitoring.deviceConsumption / monitoring.userConsumption / the alerts through createCaller: who may see what. */

let cast: Cast;
let deviceOfA: string;
let deviceOfB: string;
const march = { from: "2026-03-01", to: "2026-04-01", resolution: "day", tz: "Europe/Bucharest" } as const;

beforeAll(async () => {
  cast = await createCast();
  [deviceOfA, deviceOfB] = (await Promise.all([createTestDevice(cast.admin, cast.clientA.id), createTestDevice(cast.admin, cast.clientB.id)])).map((d) => d.id) as [string, string];
  await seedMonitoring(deviceOfA, cast.clientA.id, [{ hourStart: "2026-03-10T10:00:00Z", kwh: "1.5" }]);
  await seedMonitoring(deviceOfB, cast.clientB.id, [{ hourStart: "2026-03-10T10:00:00Z", kwh: "0.5" }]);
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return (error as TRPCError).code;
}

describe("monitoring consumption over periods (tRPC)", () => {
  it("client B gets none of A's consumption: not A's device, not A's total, and A's device is not in B's own total", async () => {
    const asB = callerFor(cast.clientB);
    expect(await codeOf(asB.monitoring.deviceConsumption({ ...march, deviceId: deviceOfA }))).toBe("FORBIDDEN");
    expect(await codeOf(asB.monitoring.userConsumption({ ...march, userId: cast.clientA.id }))).toBe("FORBIDDEN");
    const own = await asB.monitoring.userConsumption(march);
    expect(own.scope).toEqual({ kind: "user", userId: cast.clientB.id, deviceCount: 1 });
    expect(own.current.totalKwh).toBe(0.5);
    expect(await codeOf(callerFor(null).monitoring.userConsumption(march))).toBe("UNAUTHORIZED");
  });

  it("an admin sees any client's total by naming them, and must name one", async () => {
    const asAdmin = callerFor(cast.admin);
    const ofA = await asAdmin.monitoring.userConsumption({ ...march, userId: cast.clientA.id });
    expect(ofA.current.totalKwh).toBe(1.5);
    expect((await asAdmin.monitoring.deviceConsumption({ ...march, deviceId: deviceOfB })).current.totalKwh).toBe(0.5);
    expect(await codeOf(asAdmin.monitoring.userConsumption(march))).toBe("BAD_REQUEST");
  });

  it("bad periods are BAD_REQUEST with the reason", async () => {
    const error = await callerFor(cast.clientA)
      .monitoring.deviceConsumption({ deviceId: deviceOfA, from: "2026-01-01", to: "2026-03-01", resolution: "hour" })
      .catch((e: unknown) => e as TRPCError);
    expect(error).toMatchObject({ code: "BAD_REQUEST" });
    expect((error as TRPCError).message).toMatch(/at most 31 days/);
  });

  it("an ownership change applies at once: the device leaves A's total and joins B's", async () => {
    const moved = await createTestDevice(cast.admin, cast.clientA.id);
    await seedMonitoring(moved.id, cast.clientA.id, [{ hourStart: "2026-03-20T10:00:00Z", kwh: "2" }]);
    expect((await callerFor(cast.clientA).monitoring.userConsumption(march)).current.totalKwh).toBe(3.5);
    await callerFor(cast.admin).devices.assign({ deviceId: moved.id, userId: cast.clientB.id });
    const ofA = await callerFor(cast.clientA).monitoring.userConsumption(march);
    expect(ofA.scope).toMatchObject({ deviceCount: 1 });
    expect(ofA.current.totalKwh).toBe(1.5);
    expect((await callerFor(cast.clientB).monitoring.userConsumption(march)).current.totalKwh).toBe(2.5);
    expect(await codeOf(callerFor(cast.clientA).monitoring.deviceConsumption({ ...march, deviceId: moved.id }))).toBe("FORBIDDEN");
  });
});

describe("alerts of both kinds (tRPC)", () => {
  it("a client lists and acknowledges their own silence alarm; another client neither sees nor acknowledges it", async () => {
    const lastReadingAt = new Date(Date.now() - 35 * 60_000);
    const silence = await seedSilenceAlarm(deviceOfA, cast.clientA.id, lastReadingAt);
    const overLimit = await seedAlert(deviceOfA, cast.clientA.id, "2026-03-10T10:00:00Z");
    const asA = callerFor(cast.clientA);
    const active = await asA.monitoring.alerts({ deviceId: deviceOfA, state: "active" });
    expect(active.items).toEqual([expect.objectContaining({ id: silence.id, kind: "device_silent", state: "active", lastReadingAt, hourStart: null, totalKwh: null })]);
    const cleared = await asA.monitoring.alerts({ deviceId: deviceOfA, state: "cleared" });
    expect(cleared.items).toEqual([expect.objectContaining({ id: overLimit.id, kind: "over_consumption", state: "cleared", lastReadingAt: null, totalKwh: "3.2" })]);

    const asB = callerFor(cast.clientB);
    expect((await asB.monitoring.alerts({ kind: "device_silent", limit: 100 })).items.map((a) => a.id)).not.toContain(silence.id);
    expect(await codeOf(asB.monitoring.acknowledgeAlert({ alertId: silence.id }))).toBe("FORBIDDEN");

    const acknowledged = await asA.monitoring.acknowledgeAlert({ alertId: silence.id });
    expect(acknowledged).toMatchObject({ id: silence.id, state: "active", clearedAt: null });
    expect(acknowledged.acknowledgedAt).toBeInstanceOf(Date);
  });

  it("an unknown kind or state is BAD_REQUEST with the reason", async () => {
    // @ts-expect-error -- a state the API does not know
    const error = await callerFor(cast.clientA).monitoring.alerts({ state: "silent" }).catch((e: unknown) => e as TRPCError);
    expect(error).toMatchObject({ code: "BAD_REQUEST" });
    expect((error as TRPCError).message).toMatch(/state must be active or cleared/);
    // @ts-expect-error -- a kind the API does not know
    expect(await codeOf(callerFor(cast.clientA).monitoring.alerts({ kind: "offline" }))).toBe("BAD_REQUEST");
  });
});
