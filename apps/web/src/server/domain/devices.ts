import "server-only";
import type { DeviceSyncEventType } from "@ems/contracts/sync";
import { deviceDb, type Device, type Prisma } from "@ems/db/device";
import { outboxEventFor } from "@ems/db/device-outbox";
import { userDb } from "@ems/db/user";
import type { CreateDeviceInput, UpdateDeviceInput } from "~/lib/schemas.ts";
import { forbidden, isRecordNotFound, notFound } from "../errors.ts";
import { assertAdmin, assertSelfOrAdmin, isAdmin, type Viewer } from "../viewer.ts";
import { assertUserExists } from "./users.ts";

/**
 * Devices (device database). Every change bumps the device's version and writes its sync event to
 * the outbox in the same transaction; the outbox relay delivers the events to monitoring.
 */

export interface DeviceDto {
  id: string;
  name: string;
  description: string | null;
  address: string | null;
  /** kWh per clock hour, a decimal string such as "1.500". */
  maxHourlyConsumption: string;
  ownerId: string | null;
  /** The owner's username (admins only; null for an unassigned device or for clients). */
  ownerUsername: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

function toDto(device: Device, ownerUsername: string | null = null): DeviceDto {
  const { id, name, description, address, ownerId, version, createdAt, updatedAt } = device;
  return { id, name, description, address, ownerId, ownerUsername, version, createdAt, updatedAt, maxHourlyConsumption: device.maxHourlyConsumption.toFixed(3) };
}

/** Adds owners' usernames with one query to the user database (no join across databases). */
async function withOwnerNames(devices: Device[]): Promise<DeviceDto[]> {
  const ownerIds = [...new Set(devices.flatMap((d) => (d.ownerId ? [d.ownerId] : [])))];
  const owners = ownerIds.length
    ? await userDb.profile.findMany({ where: { id: { in: ownerIds } }, select: { id: true, username: true } })
    : [];
  const usernames = new Map(owners.map((o) => [o.id, o.username]));
  return devices.map((d) => toDto(d, d.ownerId ? (usernames.get(d.ownerId) ?? null) : null));
}

async function withOwnerName(device: Device): Promise<DeviceDto> {
  const [dto] = await withOwnerNames([device]);
  return dto ?? toDto(device);
}

/** Admin: every device, or one owner's. A client: their own devices only. */
export async function listDevices(viewer: Viewer, filter: { ownerId?: string } = {}): Promise<DeviceDto[]> {
  if (!isAdmin(viewer)) {
    if (filter.ownerId !== undefined && filter.ownerId !== viewer.id) throw forbidden("You may only list your own devices");
    return (await deviceDb.device.findMany({ where: { ownerId: viewer.id }, orderBy: { name: "asc" } })).map((d) => toDto(d));
  }
  return withOwnerNames(await deviceDb.device.findMany({ where: { ownerId: filter.ownerId }, orderBy: { name: "asc" } }));
}

/** GET /api/devices/user/{userId}: the user themself or an admin; 404 for an unknown user. */
export async function devicesOfUser(viewer: Viewer, userId: string): Promise<DeviceDto[]> {
  assertSelfOrAdmin(viewer, userId);
  await assertUserExists(userId);
  return listDevices(viewer, { ownerId: userId });
}

/** The device, if the viewer may see it: its owner or an admin. */
export async function getDevice(viewer: Viewer, deviceId: string): Promise<DeviceDto> {
  const device = await deviceDb.device.findUnique({ where: { id: deviceId } });
  if (!device) throw notFound("No such device");
  if (!isAdmin(viewer) && device.ownerId !== viewer.id) throw forbidden("This device is not yours");
  return isAdmin(viewer) ? withOwnerName(device) : toDto(device);
}

type DeviceTx = Prisma.TransactionClient;

/**
 * Runs one device change and writes its sync event in the same transaction. `change` returns the
 * device as it is afterwards, or null when nothing changed (no version bump, no event).
 */
async function changeDevice<T extends Device | null>(type: DeviceSyncEventType, change: (tx: DeviceTx) => Promise<T>): Promise<T> {
  try {
    return await deviceDb.$transaction(async (tx) => {
      const device = await change(tx);
      if (device) await tx.outboxEvent.create({ data: outboxEventFor(device, type) });
      return device;
    });
  } catch (error) {
    if (isRecordNotFound(error)) throw notFound("No such device");
    throw error;
  }
}

async function findOrThrow(tx: DeviceTx, deviceId: string): Promise<Device> {
  const device = await tx.device.findUnique({ where: { id: deviceId } });
  if (!device) throw notFound("No such device");
  return device;
}

export async function createDevice(viewer: Viewer, input: CreateDeviceInput): Promise<DeviceDto> {
  assertAdmin(viewer);
  if (input.ownerId) await assertUserExists(input.ownerId, "client");
  const device = await changeDevice("device.created", (tx) =>
    tx.device.create({
      data: {
        name: input.name,
        description: input.description ?? null,
        address: input.address ?? null,
        maxHourlyConsumption: input.maxHourlyConsumption,
        ownerId: input.ownerId ?? null,
      },
    }),
  );
  return withOwnerName(device);
}

/** Admin: name, description, address and/or max hourly consumption. */
export async function updateDevice(viewer: Viewer, input: UpdateDeviceInput): Promise<DeviceDto> {
  assertAdmin(viewer);
  const { id, ...fields } = input;
  const device = await changeDevice("device.updated", (tx) =>
    tx.device.update({ where: { id }, data: { ...fields, version: { increment: 1 } } }),
  );
  return withOwnerName(device);
}

/** Admin: gives a device to a client (moving it from any previous owner). */
export async function assignDevice(viewer: Viewer, input: { deviceId: string; userId: string }): Promise<DeviceDto> {
  assertAdmin(viewer);
  await assertUserExists(input.userId, "client");
  const changed = await changeDevice("device.assigned", async (tx) => {
    const current = await findOrThrow(tx, input.deviceId);
    if (current.ownerId === input.userId) return null;
    return tx.device.update({ where: { id: input.deviceId }, data: { ownerId: input.userId, version: { increment: 1 } } });
  });
  return changed ? withOwnerName(changed) : getDevice(viewer, input.deviceId);
}

export async function unassignDevice(viewer: Viewer, deviceId: string): Promise<DeviceDto> {
  assertAdmin(viewer);
  const changed = await changeDevice("device.unassigned", async (tx) => {
    const current = await findOrThrow(tx, deviceId);
    if (current.ownerId === null) return null;
    return tx.device.update({ where: { id: deviceId }, data: { ownerId: null, version: { increment: 1 } } });
  });
  return changed ? toDto(changed) : getDevice(viewer, deviceId);
}

/** Admin: deletes the device; its sync event carries the next version so monitoring can tell it is newer. */
export async function deleteDevice(viewer: Viewer, deviceId: string): Promise<{ id: string }> {
  assertAdmin(viewer);
  await changeDevice("device.deleted", async (tx) => {
    const deleted = await tx.device.delete({ where: { id: deviceId } });
    return { ...deleted, version: deleted.version + 1 };
  });
  return { id: deviceId };
}
