import { z } from "zod";

/**
 * Monitoring → chat, on the notifications exchange (see queues.ts). Chat pushes each to the
 * Socket.IO room `user:{ownerId}`. Amounts are decimal strings in kWh.
 */
export const alertCreatedSchema = z.object({
  alertId: z.uuid(),
  deviceId: z.uuid(),
  ownerId: z.uuid(),
  /** ISO-8601 UTC start of the clock hour that went over the limit. */
  hourStart: z.iso.datetime(),
  total: z.string(),
  limit: z.string(),
  createdAt: z.iso.datetime(),
});
export type AlertCreated = z.infer<typeof alertCreatedSchema>;

/** Latest running total of one device-hour, sent after each committed batch that touched it. */
export const consumptionUpdatedSchema = z.object({
  deviceId: z.uuid(),
  ownerId: z.uuid(),
  hourStart: z.iso.datetime(),
  total: z.string(),
});
export type ConsumptionUpdated = z.infer<typeof consumptionUpdatedSchema>;
