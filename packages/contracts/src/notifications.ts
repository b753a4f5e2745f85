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

/**
 * A device's silence alarm changed: `active` when a device that had reported sent nothing for
 * `silentAfterMinutes` (raised once), `cleared` when it reports again (or was deleted). Chat pushes it to
 * `user:{ownerId}` (when the device has an owner) and to the administrators. Same `alarmId` in both.
 */
export const deviceSilenceSchema = z.object({
  alarmId: z.uuid(),
  deviceId: z.uuid(),
  ownerId: z.uuid().nullable(),
  state: z.enum(["active", "cleared"]),
  /** ISO-8601 UTC: when monitoring last counted a reading of the device before it went silent. */
  lastReadingAt: z.iso.datetime(),
  silentAfterMinutes: z.number().int().positive(),
  raisedAt: z.iso.datetime(),
  clearedAt: z.iso.datetime().nullable(),
});
export type DeviceSilence = z.infer<typeof deviceSilenceSchema>;

/** Latest running total of one device-hour, sent after each committed batch that touched it. */
export const consumptionUpdatedSchema = z.object({
  deviceId: z.uuid(),
  ownerId: z.uuid(),
  hourStart: z.iso.datetime(),
  total: z.string(),
});
export type ConsumptionUpdated = z.infer<typeof consumptionUpdatedSchema>;

/**
 * Web → chat: every session of this user ended (published through the auth database's outbox, so it is
 * never lost: written in the same transaction as the change, relayed once RabbitMQ takes it). Chat
 * records that socket tokens carrying an older session version are void (in its own database), then
 * disconnects the user's sockets, so a deleted user stops receiving and a demoted admin leaves the admins
 * room; the client reconnects with a fresh handshake token (refused for a deleted or signed-out user,
 * carrying the new role and session version otherwise), and a token cached before is refused.
 */
export const sessionsEndedSchema = z.object({
  userId: z.uuid(),
  reason: z.enum(["deleted", "role-changed", "password-changed", "signed-out"]),
  occurredAt: z.iso.datetime(),
  /**
   * The user's session version from now on: tokens carrying an older one are void. Absent for a
   * deletion (every token of the user is void: user ids are never reused), and in events of releases
   * before it existed (chat then only disconnects).
   */
  sessionVersion: z.number().int().positive().max(2_147_483_647).optional(),
});
export type SessionsEnded = z.infer<typeof sessionsEndedSchema>;
