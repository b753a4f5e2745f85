/**
 * RabbitMQ topology shared by every producer and consumer. The first three names are fixed by
 * CONTRACT.md; the rest are ours (documented in the README). `prefix` exists only so that test runs
 * on one broker never share queues with each other or with a development system: production uses "".
 */
export interface QueueNames {
  /** Raw readings from meters/simulator → balancer. */
  sensorData: string;
  /** Partition queue i: balancer → monitoring replica i. */
  partition: (index: number) => string;
  /** Device sync events: web outbox relay → every monitoring replica (competing consumers). */
  monitoringSync: string;
  /** Invalid or unprocessable messages, with the reason in the `x-ems-reason` header. */
  deadLetter: string;
  /** Topic exchange for monitoring → chat notifications (alerts, live consumption). */
  notificationsExchange: string;
  /** Queue the chat processes consume notifications from (competing consumers; the Socket.IO adapter fans out). */
  chatNotifications: string;
}

export function queueNames(prefix = ""): QueueNames {
  return {
    sensorData: `${prefix}sensor.data.queue`,
    partition: (index) => `${prefix}sensor.queue.${index}`,
    monitoringSync: `${prefix}monitoring.sync.queue`,
    deadLetter: `${prefix}ems.dead-letter.queue`,
    notificationsExchange: `${prefix}ems.notifications`,
    chatNotifications: `${prefix}chat.notifications.queue`,
  };
}

/** Header carrying why a message was dead-lettered, and the queue it came from. */
export const DEAD_LETTER_REASON_HEADER = "x-ems-reason";
export const DEAD_LETTER_SOURCE_HEADER = "x-ems-source-queue";
/**
 * When a message was first dead-lettered (ISO 8601) and how many times it has been: both survive a
 * replay, so a message that fails again keeps its history.
 */
export const DEAD_LETTER_FIRST_AT_HEADER = "x-ems-first-dead-lettered-at";
export const DEAD_LETTER_COUNT_HEADER = "x-ems-dead-letter-count";

/** Routing keys on the notifications exchange. */
export const NOTIFICATION_ROUTING_KEYS = {
  alertCreated: "alert.created",
  consumptionUpdated: "consumption.updated",
  /** A device's silence alarm was raised or cleared. */
  deviceSilence: "device.silence",
  /** web → chat: a user's sessions ended (deleted, role or password changed, signed out). */
  sessionsEnded: "sessions.ended",
} as const;
