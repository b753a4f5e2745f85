import type { DeviceSyncEvent, DeviceSyncEventType } from "@ems/contracts/sync";
import type { Device, Prisma } from "./device.ts";

/**
 * The outbox row for one device change, built from the device as it is after the change (for a
 * deletion: as it was, with the version bumped). Write it in the same transaction as the change.
 */
export function outboxEventFor(
  device: Pick<Device, "id" | "ownerId" | "maxHourlyConsumption" | "version">,
  type: DeviceSyncEventType,
  occurredAt: Date = new Date(),
): Prisma.OutboxEventCreateInput {
  const payload: DeviceSyncEvent = {
    type,
    deviceId: device.id,
    ownerId: device.ownerId,
    maxHourlyConsumption: device.maxHourlyConsumption.toString(),
    version: device.version,
    occurredAt: occurredAt.toISOString(),
  };
  return { deviceId: device.id, eventType: type, payload };
}
