import { z } from "zod";

/**
 * Device sync event: web (through the device database's outbox) → monitoring.
 * `version` increases with every change of a device; monitoring ignores an event whose version is not
 * newer than the one it holds, so redelivered or reordered events never overwrite newer state.
 */
export const deviceSyncEventSchema = z.object({
  type: z.enum(["device.created", "device.updated", "device.assigned", "device.unassigned", "device.deleted"]),
  deviceId: z.uuid(),
  ownerId: z.uuid().nullable(),
  /** kWh per clock hour, as a decimal string so no precision is lost on the wire. */
  maxHourlyConsumption: z.string().regex(/^\d+(\.\d+)?$/, { error: "maxHourlyConsumption must be a non-negative decimal string" }),
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime(),
});

export type DeviceSyncEvent = z.infer<typeof deviceSyncEventSchema>;
export type DeviceSyncEventType = DeviceSyncEvent["type"];
