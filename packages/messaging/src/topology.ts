import type { Channel } from "amqplib";
import { NOTIFICATION_ROUTING_KEYS, type QueueNames } from "@ems/contracts/queues";

/**
 * Declares every queue and exchange of the contract (durable, no arguments, so that any process can
 * declare them in any order without a PRECONDITION_FAILED): the raw sensor queue, the N partition
 * queues, the sync queue, the dead-letter queue, and the notifications exchange with the chat
 * queue bound to it. Idempotent; every process runs it on each (re)connection.
 */
export async function declareTopology(channel: Channel, names: QueueNames, partitionCount: number): Promise<void> {
  await channel.assertQueue(names.sensorData, { durable: true });
  for (let i = 0; i < partitionCount; i++) await channel.assertQueue(names.partition(i), { durable: true });
  await channel.assertQueue(names.monitoringSync, { durable: true });
  await channel.assertQueue(names.deadLetter, { durable: true });
  await channel.assertExchange(names.notificationsExchange, "topic", { durable: true });
  await channel.assertQueue(names.chatNotifications, { durable: true });
  for (const key of Object.values(NOTIFICATION_ROUTING_KEYS)) {
    await channel.bindQueue(names.chatNotifications, names.notificationsExchange, key);
  }
}

/** Deletes what declareTopology declared (tests and benchmarks clean up their prefixed topology). */
export async function deleteTopology(channel: Channel, names: QueueNames, partitionCount: number): Promise<void> {
  const queues = [
    names.sensorData,
    ...Array.from({ length: partitionCount }, (_, i) => names.partition(i)),
    names.monitoringSync,
    names.deadLetter,
    names.chatNotifications,
  ];
  for (const queue of queues) await channel.deleteQueue(queue);
  await channel.deleteExchange(names.notificationsExchange);
}
