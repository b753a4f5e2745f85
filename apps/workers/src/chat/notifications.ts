import type { Broker, Logger } from "@ems/messaging";
import { NOTIFICATION_ROUTING_KEYS, type QueueNames } from "@ems/contracts/queues";
import {
  alertCreatedSchema,
  consumptionUpdatedSchema,
  deviceSilenceSchema,
  sessionsEndedSchema,
  type AlertCreated,
  type ConsumptionUpdated,
  type DeviceSilence,
  type SessionsEnded,
} from "@ems/contracts/notifications";
import { ADMINS_ROOM, userRoom, watchRoom } from "@ems/contracts/socket";
import type { SessionFloors } from "./session-floors.ts";
import type { ChatIo } from "./types.ts";

export type Notification =
  | { event: "alert:created"; payload: AlertCreated }
  | { event: "consumption:updated"; payload: ConsumptionUpdated }
  | { event: "alarm:silence"; payload: DeviceSilence }
  /** Not pushed to the browser: the user's sockets are disconnected (see consumeNotifications). */
  | { event: "sessions:ended"; payload: SessionsEnded };

export type NotificationParseResult = ({ ok: true } & Notification) | { ok: false; reason: string };

/** Routing key on the notifications exchange → Socket.IO event and payload schema. */
const ROUTES = {
  [NOTIFICATION_ROUTING_KEYS.alertCreated]: { event: "alert:created", schema: alertCreatedSchema },
  [NOTIFICATION_ROUTING_KEYS.consumptionUpdated]: { event: "consumption:updated", schema: consumptionUpdatedSchema },
  [NOTIFICATION_ROUTING_KEYS.deviceSilence]: { event: "alarm:silence", schema: deviceSilenceSchema },
  [NOTIFICATION_ROUTING_KEYS.sessionsEnded]: { event: "sessions:ended", schema: sessionsEndedSchema },
} as const;

/** Never throws: a message that cannot be pushed gets a reason for the dead-letter queue. */
export function parseNotification(routingKey: string, body: Buffer): NotificationParseResult {
  const route = Object.hasOwn(ROUTES, routingKey) ? ROUTES[routingKey as keyof typeof ROUTES] : undefined;
  if (!route) return { ok: false, reason: `unknown routing key "${routingKey}"` };
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    return { ok: false, reason: "malformed JSON" };
  }
  const parsed = route.schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `invalid ${routingKey}: ${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}` };
  }
  // The pairs in ROUTES keep event and payload together; TypeScript cannot follow the lookup.
  return { ok: true, event: route.event, payload: parsed.data } as NotificationParseResult;
}

/**
 * Consumes `chat.notifications.queue` (bound to the notifications exchange for every routing key of
 * NOTIFICATION_ROUTING_KEYS) and pushes each notification to its owner's room — a silence alarm to the
 * administrators too. Chat processes are competing consumers of the queue; the Socket.IO adapter delivers
 * to the owner on whichever process holds their sockets. The push is live-only: an alert missed while
 * offline is shown from the alert history.
 */
export async function consumeNotifications(
  broker: Broker,
  io: ChatIo,
  names: QueueNames,
  prefetch: number,
  log: Logger,
  floors: SessionFloors,
): Promise<void> {
  await broker.consume(names.chatNotifications, { prefetch }, async (delivery) => {
    const result = parseNotification(delivery.message.fields.routingKey, delivery.body);
    if (!result.ok) {
      log.warn(`dead-lettering a notification: ${result.reason}`);
      await delivery.deadLetter(result.reason);
      return;
    }
    if (result.event === "sessions:ended") {
      const { userId, reason } = result.payload;
      // First the floor (shared by every chat process): from then on the handshake refuses the user's
      // older tokens, so a socket dropped below cannot come back with a token cached before the change.
      let notRecorded: Error | undefined;
      try {
        await floors.record(result.payload);
      } catch (error) {
        notRecorded = error instanceof Error ? error : new Error(String(error));
      }
      // Then every process holding one of the user's sockets drops it (through the adapter), recorded
      // or not; the client reconnects with a fresh token, which the web app refuses to a deleted or
      // signed-out user and which carries the new role and session version otherwise, so a demoted
      // admin leaves the admins room at once.
      io.in(userRoom(userId)).disconnectSockets(true);
      // Not recorded (chat database away): the message goes back to the queue and is handled again
      // (meanwhile the handshake, unable to read the floors, refuses every token).
      if (notRecorded) throw notRecorded;
      log.info(`sessions of ${userId} ended (${reason}): older tokens void, sockets disconnected`);
    } else if (result.event === "alarm:silence") {
      const { ownerId } = result.payload;
      // One emit to both rooms: a socket in both (an administrator who owns the device) gets it once.
      io.to(ownerId === null ? ADMINS_ROOM : [userRoom(ownerId), ADMINS_ROOM]).emit("alarm:silence", result.payload);
    } else {
      const { ownerId } = result.payload;
      if (result.event === "alert:created") io.to(userRoom(ownerId)).emit("alert:created", result.payload);
      // Also to the administrators watching this client in the console (one emit: no socket gets it twice).
      else io.to([userRoom(ownerId), watchRoom(ownerId)]).emit("consumption:updated", result.payload);
    }
    delivery.ack();
  });
}
