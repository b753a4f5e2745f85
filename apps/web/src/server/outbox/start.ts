import "server-only";
import type { SessionsEnded } from "@ems/contracts/notifications";
import { NOTIFICATION_ROUTING_KEYS, queueNames } from "@ems/contracts/queues";
import { deviceDb } from "@ems/db/device";
import { Broker, consoleLogger, type Logger } from "@ems/messaging";
import { env } from "~/env.ts";
import { brokerPublisher } from "./broker-publisher.ts";
import { OutboxRelay, type OutboxRelayStatus } from "./relay.ts";

/**
 * Runs the outbox relay inside the web server process (started from src/instrumentation.ts). Kept
 * on globalThis so that the health route, which Next may load as a separate module instance, sees it.
 */
const registry = globalThis as unknown as { __emsOutboxRelay?: { relay: OutboxRelay; broker: Broker; log: Logger } };

export async function startOutboxRelay(): Promise<void> {
  if (env.OUTBOX_RELAY === "off" || registry.__emsOutboxRelay) return;
  const log = consoleLogger("web-outbox", env.LOG_LEVEL);
  const broker = new Broker({ url: env.RABBITMQ_URL, name: "web-outbox-relay", log });
  const publisher = await brokerPublisher(broker, queueNames(env.QUEUE_PREFIX).monitoringSync);
  // The same connection also tells the chat processes when a user's sessions end.
  await broker.onConnect((channel) => channel.assertExchange(queueNames(env.QUEUE_PREFIX).notificationsExchange, "topic", { durable: true }).then(() => undefined));
  const relay = new OutboxRelay({ db: deviceDb, publisher, log, pollIntervalMs: env.OUTBOX_POLL_INTERVAL_MS });
  registry.__emsOutboxRelay = { relay, broker, log };
  // Not awaited: the web app serves requests while RabbitMQ is unreachable; events wait in the outbox.
  broker.start().catch((error: unknown) => log.error(`broker stopped: ${String(error)}`));
  relay.start();
  log.info(`outbox relay publishing to ${queueNames(env.QUEUE_PREFIX).monitoringSync}`);
}

/** For /api/health: null when the relay does not run in this process. */
export function outboxRelayStatus(): (OutboxRelayStatus & { brokerConnected: boolean }) | null {
  const running = registry.__emsOutboxRelay;
  return running ? { ...running.relay.status(), brokerConnected: running.broker.isConnected } : null;
}

/**
 * Tells the chat processes that every session of `userId` ended, so they drop the user's sockets at
 * once (sessions.ended on the notifications exchange). Best effort and never blocking the change that
 * caused it: if RabbitMQ is unreachable, sockets keep their rooms until they next reconnect, and a new
 * handshake token is refused or carries the new role from then on.
 */
export function announceSessionsEnded(userId: string, reason: SessionsEnded["reason"]): void {
  const running = registry.__emsOutboxRelay;
  if (!running) return;
  const event: SessionsEnded = { userId, reason, occurredAt: new Date().toISOString() };
  running.broker
    .publish(queueNames(env.QUEUE_PREFIX).notificationsExchange, NOTIFICATION_ROUTING_KEYS.sessionsEnded, JSON.stringify(event), {}, 2_000)
    .catch((error: unknown) => running.log.warn(`could not announce the end of ${userId}'s sessions: ${String(error)}`));
}

/** Stops polling (the pass in progress finishes) and closes the broker connection; for shutdown. */
export async function stopOutboxRelay(): Promise<void> {
  const running = registry.__emsOutboxRelay;
  if (!running) return;
  delete registry.__emsOutboxRelay;
  await running.relay.stop();
  await running.broker.close();
  running.log.info("outbox relay stopped");
}
