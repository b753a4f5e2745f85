import { randomBytes, randomInt } from "node:crypto";
import { deviceDb } from "@ems/db/device";
import { monitoringDb } from "@ems/db/monitoring";
import { createCaller } from "~/server/api/root.ts";
import { createAccount } from "~/server/domain/users.ts";
import { createDevice } from "~/server/domain/devices.ts";
import type { Viewer } from "~/server/viewer.ts";

/**
 * Shared test set-up: the test databases are shared by every test file of a run, so every fixture
 * gets unique names and tests only look at rows they created.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

export const PASSWORD = "correct-horse-battery";

export async function createTestUser(role: Viewer["role"], prefix: string = role): Promise<Viewer> {
  const username = uniqueName(prefix);
  const user = await createAccount({ username, password: PASSWORD, name: `Test ${username}`, role });
  return { id: user.id, username: user.username, role: user.role };
}

export interface Cast {
  admin: Viewer;
  clientA: Viewer;
  clientB: Viewer;
}

/** An admin and two clients. */
export async function createCast(): Promise<Cast> {
  const [admin, clientA, clientB] = await Promise.all([createTestUser("admin"), createTestUser("client", "alice"), createTestUser("client", "bob")]);
  return { admin, clientA, clientB };
}

/**
 * An in-process tRPC caller. Each gets an address of its own (10.0–99.x.y): the throttles count per
 * address (registration: 5 per 10 min), and the tests of a run share one auth database.
 */
export function callerFor(viewer: Viewer | null) {
  return createCaller({ viewer, clientIp: `10.${randomInt(0, 100)}.${randomInt(256)}.${randomInt(256)}` });
}

export async function createTestDevice(admin: Viewer, ownerId: string | null, maxHourlyConsumption = "2.500") {
  return createDevice(admin, { name: uniqueName("meter"), maxHourlyConsumption, ownerId, description: null, address: null });
}

/** What monitoring would have stored for a device: its copy, hourly totals and optionally an alert. */
export async function seedMonitoring(deviceId: string, ownerId: string | null, hourly: { hourStart: string; kwh: string }[]) {
  await monitoringDb.monitoredDevice.upsert({
    where: { deviceId },
    create: { deviceId, ownerId, maxHourlyConsumption: "1.000", version: 1 },
    update: { ownerId },
  });
  for (const { hourStart, kwh } of hourly) {
    await monitoringDb.hourlyConsumption.create({ data: { deviceId, hourStart: new Date(hourStart), totalKwh: kwh, readingCount: 6 } });
  }
}

export async function seedAlert(deviceId: string, ownerId: string, hourStart: string) {
  return monitoringDb.alert.create({ data: { deviceId, ownerId, hourStart: new Date(hourStart), totalKwh: "3.2", limitKwh: "1.000" } });
}

/**
 * A "device silent" alarm as monitoring's sweep raises it (active: no cleared_at), or one cleared when
 * the device reported again. At most one active per device (alerts_one_active_silence_idx).
 */
export async function seedSilenceAlarm(deviceId: string, ownerId: string | null, lastReadingAt: Date, clearedAt: Date | null = null) {
  return monitoringDb.alert.create({ data: { kind: "device_silent", deviceId, ownerId, lastReadingAt, clearedAt } });
}

/** The device's outbox rows, oldest first. */
export function outboxOf(deviceId: string) {
  return deviceDb.outboxEvent.findMany({ where: { deviceId }, orderBy: { id: "asc" } });
}
