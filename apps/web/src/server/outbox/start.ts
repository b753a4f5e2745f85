import "server-only";
import { queueNames } from "@ems/contracts/queues";
import type { OutboxEvent as AuthOutboxEvent } from "@ems/db/auth";
import type { OutboxEvent as DeviceOutboxEvent } from "@ems/db/device";
import { Broker, consoleLogger, type Logger } from "@ems/messaging";
import { env } from "~/env.ts";
import { brokerPublisher, notificationsPublisher } from "./broker-publisher.ts";
import { OutboxRelay, type OutboxRelayStatus } from "./relay.ts";
import { authOutboxStore, deviceOutboxStore } from "./stores.ts";

/**
 * Runs the outbox relays inside the web server process (started from src/instrumentation.ts), on one
 * RabbitMQ connection: the device database's outbox (sync events → monitoring.sync.queue) and the auth
 * database's (sessions.ended → the notifications exchange, for chat). Kept on globalThis so that the
 * health route, which Next may load as a separate module instance, sees them.
 */
const registry = globalThis as unknown as {
  __emsOutboxRelay?: { relay: OutboxRelay<DeviceOutboxEvent>; sessions: OutboxRelay<AuthOutboxEvent>; broker: Broker; log: Logger };
};

/**
 * Reconnection attempts while RabbitMQ is away, at most this far apart: once it is back, the relays are
 * poked on reconnection, so a sessions.ended that waited in the outbox reaches chat within seconds.
 */
const RECONNECT_DELAY_MS = { initial: 250, max: 2_000 };

/**
 * `relayDevices: false` leaves the device outbox to other relays: for tests of the sessions outbox,
 * whose test database's device outbox belongs to the device relay's own tests (a relay holding the
 * lock would publish their rows to its queue).
 */
export async function startOutboxRelay(options: { relayDevices?: boolean } = {}): Promise<void> {
  if (env.OUTBOX_RELAY === "off" || registry.__emsOutboxRelay) return;
  const log = consoleLogger("web-outbox", env.LOG_LEVEL);
  const names = queueNames(env.QUEUE_PREFIX);
  const broker = new Broker({ url: env.RABBITMQ_URL, name: "web-outbox-relay", log, reconnectDelayMs: RECONNECT_DELAY_MS });
  const relay = new OutboxRelay({
    store: deviceOutboxStore(),
    publisher: await brokerPublisher(broker, names.monitoringSync),
    log,
    pollIntervalMs: env.OUTBOX_POLL_INTERVAL_MS,
  });
  const sessions = new OutboxRelay({
    store: authOutboxStore(),
    publisher: await notificationsPublisher(broker, names),
    log,
    pollIntervalMs: env.OUTBOX_POLL_INTERVAL_MS,
    name: "sessions outbox",
  });
  // Back from an outage: publish what waited now, not after the relays' backoff.
  broker.on("connected", () => {
    relay.poke();
    sessions.poke();
  });
  registry.__emsOutboxRelay = { relay, sessions, broker, log };
  // Not awaited: the web app serves requests while RabbitMQ is unreachable; events wait in the outboxes.
  broker.start().catch((error: unknown) => log.error(`broker stopped: ${String(error)}`));
  if (options.relayDevices !== false) relay.start();
  sessions.start();
  log.info(`outbox relays publishing to ${names.monitoringSync} and ${names.notificationsExchange}`);
}

/**
 * For /api/health: null when the relays do not run in this process. The top-level fields are the
 * device outbox's relay; `sessions` is the auth outbox's.
 */
export function outboxRelayStatus(): (OutboxRelayStatus & { brokerConnected: boolean; sessions: OutboxRelayStatus }) | null {
  const running = registry.__emsOutboxRelay;
  return running ? { ...running.relay.status(), brokerConnected: running.broker.isConnected, sessions: running.sessions.status() } : null;
}

/** A sessions.ended was just committed to the auth outbox: publish it now (no-op without a relay here). */
export function pokeSessionsRelay(): void {
  registry.__emsOutboxRelay?.sessions.poke();
}

/** Stops polling (the passes in progress finish) and closes the broker connection; for shutdown. */
export async function stopOutboxRelay(): Promise<void> {
  const running = registry.__emsOutboxRelay;
  if (!running) return;
  delete registry.__emsOutboxRelay;
  await Promise.all([running.relay.stop(), running.sessions.stop()]);
  await running.broker.close();
  running.log.info("outbox relays stopped");
}
