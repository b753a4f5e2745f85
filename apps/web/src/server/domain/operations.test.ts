import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { z } from "zod";
import { monitoringDb } from "@ems/db/monitoring";
import { createCast, createTestDevice, seedAlert, seedMonitoring, seedSilenceAlarm, type Cast } from "../../../test/fixtures.ts";
import { alertsAcrossClients, dataPlane, dataPlaneSchema, fleetOverview, operationsAlertsInputSchema } from "./operations.ts";

/** The operations view's fleet, alert and data-plane queries against the test databases (shared: look only at our rows). */

// The data plane's partitions are this file's own: the prefix must be set before ~/env.ts is imported.
const prefix = vi.hoisted(() => {
  const value = `t.operations-domain.${crypto.randomUUID().slice(0, 8)}.`;
  process.env.QUEUE_PREFIX = value; // eslint-disable-line no-restricted-properties -- test wiring, before the env module loads
  return value;
});

let cast: Cast;
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

/** A device whose newest hour was last counted into at `lastCountedAt` (what monitoring's upsert sets). */
async function deviceLastHeardAt(ownerId: string | null, lastCountedAt: Date | null) {
  const device = await createTestDevice(cast.admin, ownerId);
  await seedMonitoring(device.id, ownerId, []);
  if (lastCountedAt) {
    const hourStart = new Date(Math.floor(lastCountedAt.getTime() / 3_600_000) * 3_600_000);
    // An older hour counted into more recently must not be what decides (the newest hour does).
    await monitoringDb.hourlyConsumption.createMany({
      data: [
        { deviceId: device.id, hourStart, totalKwh: "0.3", readingCount: 3, updatedAt: lastCountedAt },
        { deviceId: device.id, hourStart: new Date(hourStart.getTime() - 5 * 3_600_000), totalKwh: "0.1", readingCount: 1, updatedAt: lastCountedAt },
      ],
    });
  }
  return device;
}

beforeAll(async () => {
  cast = await createCast();
});

afterAll(async () => {
  await monitoringDb.monitoringPartition.deleteMany({ where: { queuePrefix: prefix } });
});

describe("fleet overview", () => {
  it("classifies devices by when monitoring last counted a reading: reporting, silent past the setting (30 min), never", async () => {
    const reporting = await deviceLastHeardAt(cast.clientA.id, minutesAgo(5));
    const silentSince = minutesAgo(31);
    const silent = await deviceLastHeardAt(cast.clientA.id, silentSince);
    const longSilent = await deviceLastHeardAt(null, minutesAgo(600));
    const never = await deviceLastHeardAt(cast.clientB.id, null);

    const fleet = await fleetOverview(cast.admin, { limit: 1_000 });
    expect(fleet.silentAfterMinutes).toBe(30);
    const byId = new Map(fleet.devices.map((d) => [d.deviceId, d]));
    expect(byId.get(reporting.id)).toMatchObject({ state: "reporting", ownerUsername: cast.clientA.username, name: reporting.name });
    expect(byId.get(silent.id)).toMatchObject({ state: "silent", ownerId: cast.clientA.id });
    expect(byId.get(longSilent.id)).toMatchObject({ state: "silent", ownerId: null, ownerUsername: null });
    expect(byId.get(never.id)).toMatchObject({ state: "never", lastReadingAt: null, ownerUsername: cast.clientB.username });
    expect(byId.get(silent.id)?.lastReadingAt).toEqual(silentSince);
    const { counts } = fleet;
    expect(counts.total).toBe(counts.reporting + counts.silent + counts.never);
    expect(counts.silent).toBeGreaterThanOrEqual(2);

    // Longest silence first; the silent filter returns silent devices only.
    const silentOnly = await fleetOverview(cast.admin, { state: "silent", limit: 1_000 });
    expect(silentOnly.devices.every((d) => d.state === "silent")).toBe(true);
    const order = silentOnly.devices.map((d) => d.deviceId);
    expect(order.indexOf(longSilent.id)).toBeLessThan(order.indexOf(silent.id));
    expect(order).not.toContain(reporting.id);
    expect(silentOnly.counts).toEqual(counts);
  });

  it("refuses a client", async () => {
    await expect(fleetOverview(cast.clientA, { limit: 10 })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("alerts across clients", () => {
  const across = (input: z.input<typeof operationsAlertsInputSchema>) => alertsAcrossClients(cast.admin, operationsAlertsInputSchema.parse(input));

  it("filters by client, device and acknowledgement, with device names and owners' usernames", async () => {
    const [ofA, ofB] = await Promise.all([createTestDevice(cast.admin, cast.clientA.id), createTestDevice(cast.admin, cast.clientB.id)]);
    await seedMonitoring(ofA.id, cast.clientA.id, []);
    await seedMonitoring(ofB.id, cast.clientB.id, []);
    const alertA1 = await seedAlert(ofA.id, cast.clientA.id, "2026-03-10T10:00:00Z");
    const alertA2 = await seedAlert(ofA.id, cast.clientA.id, "2026-03-10T11:00:00Z");
    const alertB = await seedAlert(ofB.id, cast.clientB.id, "2026-03-10T10:00:00Z");
    await monitoringDb.alert.update({ where: { id: alertA1.id }, data: { acknowledgedAt: new Date() } });

    const ofClientA = await across({ ownerId: cast.clientA.id, limit: 100 });
    expect(ofClientA.items.map((a) => a.id).sort()).toEqual([alertA1.id, alertA2.id].sort());
    expect(ofClientA.items[0]).toMatchObject({ deviceName: ofA.name, ownerUsername: cast.clientA.username, limitKwh: "1.000" });

    const open = await across({ ownerId: cast.clientA.id, acknowledgement: "unacknowledged", limit: 100 });
    expect(open.items.map((a) => a.id)).toEqual([alertA2.id]);
    const done = await across({ deviceId: ofA.id, acknowledgement: "acknowledged", limit: 100 });
    expect(done.items.map((a) => a.id)).toEqual([alertA1.id]);
    const ofDeviceB = await across({ deviceId: ofB.id, limit: 100 });
    expect(ofDeviceB.items.map((a) => a.id)).toEqual([alertB.id]);

    // Pages: one at a time, newest first.
    const first = await across({ ownerId: cast.clientA.id, limit: 1 });
    expect(first.nextCursor).toBe(first.items[0]?.id);
    const second = await across({ ownerId: cast.clientA.id, limit: 1, cursor: first.nextCursor ?? undefined });
    expect(second.nextCursor).toBeNull();
    expect([...first.items, ...second.items].map((a) => a.id).sort()).toEqual([alertA1.id, alertA2.id].sort());
  });

  it("finds a silent device's active alarm by kind and state, across clients and unassigned devices", async () => {
    const [silentOfB, unassigned, overOfB] = await Promise.all([createTestDevice(cast.admin, cast.clientB.id), createTestDevice(cast.admin, null), createTestDevice(cast.admin, cast.clientB.id)]);
    for (const device of [silentOfB, overOfB]) await seedMonitoring(device.id, cast.clientB.id, []);
    await seedMonitoring(unassigned.id, null, []);
    const lastReadingAt = minutesAgo(50);
    const cleared = await seedSilenceAlarm(silentOfB.id, cast.clientB.id, minutesAgo(300), minutesAgo(240));
    const active = await seedSilenceAlarm(silentOfB.id, cast.clientB.id, lastReadingAt);
    const ofNobody = await seedSilenceAlarm(unassigned.id, null, minutesAgo(90));
    const thisHour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const overLimit = await seedAlert(overOfB.id, cast.clientB.id, thisHour.toISOString());
    const mine = new Set([cleared.id, active.id, ofNobody.id, overLimit.id]);
    const ours = async (input: z.input<typeof operationsAlertsInputSchema>) => (await across({ limit: 100, ...input })).items.filter((a) => mine.has(a.id));

    const activeSilences = await ours({ kind: "device_silent", state: "active" });
    expect(activeSilences.map((a) => a.id).sort()).toEqual([active.id, ofNobody.id].sort());
    expect(activeSilences.find((a) => a.id === active.id)).toMatchObject({
      kind: "device_silent",
      state: "active",
      deviceName: silentOfB.name,
      ownerUsername: cast.clientB.username,
      lastReadingAt,
      clearedAt: null,
      hourStart: null,
      totalKwh: null,
      limitKwh: null,
    });
    expect(activeSilences.find((a) => a.id === ofNobody.id)).toMatchObject({ ownerId: null, ownerUsername: null });
    expect((await ours({ ownerId: cast.clientB.id, state: "cleared", })).map((a) => a.id)).toEqual([cleared.id]);
    // The current hour's over-consumption alert is active as well; by kind, only it.
    expect((await ours({ ownerId: cast.clientB.id, state: "active", })).map((a) => a.id).sort()).toEqual([active.id, overLimit.id].sort());
    expect((await ours({ kind: "over_consumption", })).map((a) => a.id)).toEqual([overLimit.id]);
  });
});

describe("data plane", () => {
  it("shows each partition's readings/s from its replica's last recorded window while that is recent, none once it is stale", async () => {
    // The windows' ages are judged by the database's clock (which writes them), read after these are made.
    const now = new Date();
    const secondsAgo = (seconds: number) => new Date(now.getTime() - seconds * 1_000);
    /** A 10 s window of `readings` that ended `endedSecondsAgo` before now. */
    const window = (readings: number, endedSecondsAgo: number) => ({
      recentReadings: readings,
      recentWindowStart: secondsAgo(endedSecondsAgo + 10),
      recentWindowEnd: secondsAgo(endedSecondsAgo),
    });
    await monitoringDb.monitoringPartition.createMany({
      data: [
        { partitionIndex: 0, ...window(25, 2) },
        // Up to three window lengths old: still its replica's current rate (one or two writes may have failed).
        { partitionIndex: 1, ...window(7, 25) },
        // Older: the replica stopped, or cannot reach the database; the console must not show it as live.
        { partitionIndex: 2, ...window(400, 35) },
        // Claimed, no window recorded yet.
        { partitionIndex: 3 },
      ].map((row) => ({ queuePrefix: prefix, lastClaimedBy: `${prefix}monitoring-a-locks`, ...row })),
    });

    const plane = dataPlaneSchema.parse(await dataPlane(cast.admin, now));
    expect(plane.partitions.map((p) => [p.index, p.readingsPerSecond])).toEqual([
      [0, 2.5],
      [1, 0.7],
      [2, null],
      [3, null],
    ]);
  });

  it("refuses a client", async () => {
    await expect(dataPlane(cast.clientA)).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
