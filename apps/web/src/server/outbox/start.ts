import "server-only";
import { queueNames } from "@ems/contracts/queues";
import { deviceDb } from "@ems/db/device";
import { Broker, consoleLogger } from "@ems/messaging";
import { env } from "~/env.ts";
import { brokerPublisher } from "./broker-publisher.ts";
import { OutboxRelay, type OutboxRelayStatus } from "./relay.ts";

/**
 * Runs the outbox relay inside the web server process (started from src/instrumentation.ts). Kept
 * on globalThis so that the health route, which Next may load as a separate module instance, sees it.
 */
const registry = globalThis as unknown as { __emsOutboxRelay?: { relay: OutboxRelay; broker: Broker } };

export async function startOutboxRelay(): Promise<void> {
  if (env.OUTBOX_RELAY === "off" || registry.__emsOutboxRelay) return;
  const log = consoleLogger("web-outbox", env.LOG_LEVEL);
  const broker = new Broker({ url: env.RABBITMQ_URL, name: "web-outbox-relay", log });
  const publisher = await brokerPublisher(broker, queueNames(env.QUEUE_PREFIX).monitoringSync);
  const relay = new OutboxRelay({ db: deviceDb, publisher, log, pollIntervalMs: env.OUTBOX_POLL_INTERVAL_MS });
  registry.__emsOutboxRelay = { relay, broker };
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
