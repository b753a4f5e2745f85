import type { Broker } from "@ems/messaging";
import type { OutboxEvent as AuthOutboxEvent } from "@ems/db/auth";
import type { OutboxEvent as DeviceOutboxEvent } from "@ems/db/device";
import { NOTIFICATION_ROUTING_KEYS, type QueueNames } from "@ems/contracts/queues";
import type { OutboxPublisher } from "./relay.ts";

/**
 * Publishes device outbox rows to the sync queue through the default exchange, confirmed. The body is the
 * row's payload (the contract's sync event); the message id is the outbox id, so a consumer can
 * recognise a republished row. Registers the queue's declaration so it exists after every reconnect.
 */
export async function brokerPublisher(broker: Broker, queue: string, connectTimeoutMs = 2_000): Promise<OutboxPublisher<DeviceOutboxEvent>> {
  await broker.onConnect(async (channel) => {
    await channel.assertQueue(queue, { durable: true });
  });
  return {
    publish: (event: DeviceOutboxEvent) =>
      broker.publish("", queue, JSON.stringify(event.payload), { messageId: event.id.toString(), type: event.eventType }, connectTimeoutMs),
  };
}

/**
 * Publishes auth outbox rows (sessions.ended) to the notifications exchange, confirmed, with the row's
 * event type as routing key. Declares the exchange, and chat's queue bound to it for sessions.ended (as
 * the chat processes declare them: durable, no arguments), so that an announcement made before any chat
 * process ever ran waits in that queue instead of being refused as unroutable.
 */
export async function notificationsPublisher(broker: Broker, names: QueueNames, connectTimeoutMs = 2_000): Promise<OutboxPublisher<AuthOutboxEvent>> {
  await broker.onConnect(async (channel) => {
    await channel.assertExchange(names.notificationsExchange, "topic", { durable: true });
    await channel.assertQueue(names.chatNotifications, { durable: true });
    await channel.bindQueue(names.chatNotifications, names.notificationsExchange, NOTIFICATION_ROUTING_KEYS.sessionsEnded);
  });
  return {
    publish: (event: AuthOutboxEvent) => {
      if (event.eventType !== NOTIFICATION_ROUTING_KEYS.sessionsEnded) return Promise.reject(new Error(`unknown auth outbox event type "${event.eventType}"`));
      return broker.publish(
        names.notificationsExchange,
        event.eventType,
        JSON.stringify(event.payload),
        { messageId: `auth-outbox-${event.id.toString()}`, type: event.eventType },
        connectTimeoutMs,
      );
    },
  };
}
