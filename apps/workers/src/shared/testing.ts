/* eslint-disable no-restricted-properties -- the one module that reads the environment of worker tests */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { createEnv } from "@t3-oss/env-core";
import amqp, { type ChannelModel, type ConfirmChannel, type ConsumeMessage } from "amqplib";
import { DEAD_LETTER_REASON_HEADER, type QueueNames } from "@ems/contracts/queues";
import { declareTopology, deleteTopology, type Logger } from "@ems/messaging";
import { sharedEnvSchema } from "./env.ts";

const run = promisify(execFile);

/**
 * Settings for the workers' integration tests: RabbitMQ is the local broker. The database URLs
 * (`databaseUrls` of @ems/db/env) point at this run's throw-away databases, set by test/global-setup.ts.
 */
export const testEnv = createEnv({
  server: sharedEnvSchema,
  runtimeEnv: process.env,
  emptyStringAsUndefined: true,
});

/** A queue-name prefix no other test run shares, e.g. `t-balancer-1a2b3c4d.`. */
export function uniqueQueuePrefix(label: string): string {
  return `t-${label}-${randomBytes(4).toString("hex")}.`;
}

/** Keeps tests quiet; warnings and errors still show (they usually explain a failure). */
export const testLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};

/** Polls `condition` until it holds, failing with `description` after `timeoutMs`. */
export async function eventually<T>(
  description: string,
  condition: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A test's own RabbitMQ connection: publishes raw bodies, records what arrives on queues, and deletes
 * the test's prefixed topology at the end.
 */
export class QueueProbe {
  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
  ) {}

  static async connect(): Promise<QueueProbe> {
    const connection = await amqp.connect(testEnv.RABBITMQ_URL);
    const channel = await connection.createConfirmChannel();
    return new QueueProbe(connection, channel);
  }

  async declare(names: QueueNames, partitionCount: number): Promise<void> {
    await declareTopology(this.channel, names, partitionCount);
  }

  async publish(queue: string, body: string | object): Promise<void> {
    const content = Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
    this.channel.sendToQueue(queue, content, { persistent: true });
    await this.channel.waitForConfirms();
  }

  /** Puts `count` copies of `body` on `queue` (a backlog), confirmed. */
  async fill(queue: string, count: number, body: object): Promise<void> {
    const content = Buffer.from(JSON.stringify(body));
    for (let i = 0; i < count; i++) this.channel.sendToQueue(queue, content, { persistent: true });
    await this.channel.waitForConfirms();
  }

  async purge(queue: string): Promise<void> {
    await this.channel.purgeQueue(queue);
  }

  /** Starts recording every message arriving on `queue` (acked at once). */
  async record(queue: string): Promise<ConsumeMessage[]> {
    const received: ConsumeMessage[] = [];
    await this.channel.consume(queue, (message) => {
      if (message === null) return;
      received.push(message);
      this.channel.ack(message);
    });
    return received;
  }

  async close(names: QueueNames, partitionCount: number): Promise<void> {
    // A fresh channel: the recording consumers would otherwise be cancelled mid-delete.
    const channel = await this.connection.createChannel();
    await deleteTopology(channel, names, partitionCount);
    await this.connection.close();
  }
}

/** The reason header of a dead-lettered message. */
export const deadLetterReason = (message: ConsumeMessage): unknown => message.properties.headers?.[DEAD_LETTER_REASON_HEADER];

/** Closes a RabbitMQ connection by its name from the broker's side, as a broker restart would. */
export async function closeBrokerConnection(connectionName: string): Promise<void> {
  const { stdout } = await run("rabbitmqctl", ["-q", "list_connections", "pid", "client_properties"]);
  const line = stdout.split("\n").find((l) => l.includes(`{"connection_name","${connectionName}"}`));
  const pid = line?.match(/<[^>]+>/)?.[0];
  if (!pid) throw new Error(`no RabbitMQ connection named ${connectionName}`);
  await run("rabbitmqctl", ["-q", "close_connection", pid, "test: simulated broker failure"]);
}
