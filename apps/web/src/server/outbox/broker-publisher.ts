import type { Broker } from "@ems/messaging";
import type { OutboxEvent } from "@ems/db/device";
import type { OutboxPublisher } from "./relay.ts";

/**
 * Publishes outbox rows to the sync queue through the default exchange, confirmed. The body is the
 * row's payload (the contract's sync event); the message id is the outbox id, so a consumer can
 * recognise a republished row. Registers the queue's declaration so it exists after every reconnect.
 */
export async function brokerPublisher(broker: Broker, queue: string, connectTimeoutMs = 2_000): Promise<OutboxPublisher> {
  await broker.onConnect(async (channel) => {
    await channel.assertQueue(queue, { durable: true });
  });
  return {
    publish: (event: OutboxEvent) =>
      broker.publish("", queue, JSON.stringify(event.payload), { messageId: event.id.toString(), type: event.eventType }, connectTimeoutMs),
  };
}
