import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import amqp from "amqplib";
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Message, Options } from "amqplib";
import {
  DEAD_LETTER_COUNT_HEADER,
  DEAD_LETTER_FIRST_AT_HEADER,
  DEAD_LETTER_REASON_HEADER,
  DEAD_LETTER_SOURCE_HEADER,
} from "@ems/contracts/queues";
import { consoleLogger, type Logger } from "./log.ts";

/** Runs on every (re)connection, before consumers start: declare queues, exchanges, bindings. */
export type SetupFunction = (channel: Channel) => Promise<void>;

export interface Delivery {
  readonly message: ConsumeMessage;
  readonly body: Buffer;
  readonly queue: string;
  /** Acknowledge: call only once the effect of the message is durable (e.g. after the commit). */
  ack(): void;
  /**
   * Acknowledges this delivery and `others` (of the same consumer) at once: the channel's oldest
   * unsettled deliveries, while they are consecutive delivery tags all among these, with one
   * basic.ack `multiple`; the rest one by one. So a multiple ack never covers a delivery that is not
   * being acknowledged here (one still in hand, or being dead-lettered) nor one settled before.
   */
  ackTogether(others: readonly Delivery[]): void;
  /** Return the message to the queue (requeue = true) or drop it. */
  nack(requeue?: boolean): void;
  /** Publishes the message, unchanged, to the dead-letter queue with `reason` (confirmed), then acks it. */
  deadLetter(reason: string): Promise<void>;
}

export type DeliveryHandler = (delivery: Delivery) => Promise<void>;

export interface ConsumeOptions {
  /** Unacknowledged messages this consumer may hold (RabbitMQ basic.qos, per consumer). */
  prefetch: number;
  /** Delay before a message whose handler threw is returned to the queue (avoids hot redelivery loops). */
  retryDelayMs?: number;
}

export interface BrokerOptions {
  url: string;
  /** Shown in logs and as the connection name in RabbitMQ's management UI. */
  name: string;
  log?: Logger;
  /** Queue that `Delivery.deadLetter` publishes to. */
  deadLetterQueue?: string;
  reconnectDelayMs?: { initial: number; max: number };
}

/** Publishing is always `mandatory` (see `publish`), so that option is not offered. */
export type PublishOptions = Omit<Options.Publish, "mandatory">;

interface Consumer {
  queue: string;
  options: ConsumeOptions;
  handler: DeliveryHandler;
  channel?: Channel;
  tag?: string;
}

interface PendingPublish {
  returned: boolean;
}

/** Raised when a publish is not confirmed by the broker: the caller still owns the message. */
export class PublishError extends Error {
  override name = "PublishError";
}

/**
 * One RabbitMQ connection with what every EMS process needs around it:
 *  - reconnects with exponential backoff, then re-runs the set-up functions and restarts consumers;
 *  - publishes on a confirm channel with `mandatory`, so a publish resolves only once the broker has
 *    taken responsibility for the message (an unroutable message is an error, not a silent loss);
 *  - one channel per consumer with its own prefetch; handlers ack explicitly;
 *  - `close()` stops consuming, waits for in-flight handlers, then closes.
 */
export class Broker extends EventEmitter {
  private readonly log: Logger;
  private readonly setups: SetupFunction[] = [];
  private readonly consumers: Consumer[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly pending = new Map<string, PendingPublish>();
  private connection: ChannelModel | undefined;
  private publishChannel: ConfirmChannel | undefined;
  private connecting: Promise<void> | undefined;
  private wakeReconnect: (() => void) | undefined;
  private closed = false;
  private waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  constructor(private readonly options: BrokerOptions) {
    super();
    this.log = options.log ?? consoleLogger(options.name);
  }

  get isConnected(): boolean {
    return this.publishChannel !== undefined;
  }

  /** Registers a set-up function; it runs now if connected and again after every reconnect. */
  async onConnect(setup: SetupFunction): Promise<void> {
    this.setups.push(setup);
    if (this.connection) {
      const channel = await this.connection.createChannel();
      try {
        await setup(channel);
      } finally {
        await channel.close().catch(() => undefined);
      }
    }
  }

  /** Connects, retrying until it succeeds (or `close()` is called). */
  async start(): Promise<void> {
    if (this.closed) throw new Error(`${this.options.name}: broker already closed`);
    await this.ensureConnecting();
    await this.ready();
  }

  /** Resolves when connected; rejects after `timeoutMs` or if the broker is closed. */
  ready(timeoutMs?: number): Promise<void> {
    if (this.publishChannel) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error(`${this.options.name}: broker closed`));
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      this.waiters.push(waiter);
      if (timeoutMs !== undefined) {
        setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new PublishError(`${this.options.name}: not connected to RabbitMQ within ${timeoutMs} ms`));
        }, timeoutMs).unref();
      }
    });
  }

  /**
   * Publishes and resolves once RabbitMQ confirms it. Rejects with PublishError when the broker
   * nacks, the message is unroutable, or the connection drops first; the caller then still owns the
   * message (keep it unacked, or retry). Waits up to `connectTimeoutMs` for a connection.
   */
  async publish(
    exchange: string,
    routingKey: string,
    body: Buffer | string,
    options: PublishOptions = {},
    connectTimeoutMs = 5_000,
  ): Promise<void> {
    await this.ready(connectTimeoutMs);
    const channel = this.publishChannel;
    if (!channel) throw new PublishError(`${this.options.name}: not connected`);
    const publishId = randomUUID();
    const tracked: PendingPublish = { returned: false };
    this.pending.set(publishId, tracked);
    const content = typeof body === "string" ? Buffer.from(body) : body;
    try {
      await new Promise<void>((resolve, reject) => {
        const onConfirm = (error: unknown) => {
          if (error) reject(new PublishError(`${exchange || "(default)"}/${routingKey}: ${errorMessage(error)}`));
          else if (tracked.returned) reject(new PublishError(`${exchange || "(default)"}/${routingKey}: unroutable`));
          else resolve();
        };
        try {
          const flushed = channel.publish(
            exchange,
            routingKey,
            content,
            {
              persistent: true,
              contentType: "application/json",
              ...options,
              mandatory: true,
              headers: { ...(options.headers as Record<string, unknown> | undefined), "x-ems-publish-id": publishId },
            },
            onConfirm,
          );
          // Back-pressure: the socket buffer is full; the confirm still arrives as usual.
          if (!flushed) this.log.debug("publish buffer full, waiting for drain");
        } catch (error) {
          reject(new PublishError(String(error)));
        }
      });
    } finally {
      this.pending.delete(publishId);
    }
  }

  /** Publishes straight to a queue through the default exchange. */
  sendToQueue(queue: string, body: Buffer | string, options?: PublishOptions): Promise<void> {
    return this.publish("", queue, body, options);
  }

  /** Starts consuming `queue` now if connected, and again after every reconnect. */
  async consume(queue: string, options: ConsumeOptions, handler: DeliveryHandler): Promise<void> {
    const consumer: Consumer = { queue, options, handler };
    this.consumers.push(consumer);
    if (this.connection) await this.startConsumer(this.connection, consumer);
  }

  /** Stops consuming, waits for in-flight handlers to settle their messages, then disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeReconnect?.();
    await Promise.all(
      this.consumers.map(async (c) => {
        if (c.channel && c.tag) await c.channel.cancel(c.tag).catch(() => undefined);
      }),
    );
    await Promise.allSettled([...this.inFlight]);
    for (const waiter of this.waiters) waiter.reject(new Error(`${this.options.name}: broker closed`));
    this.waiters = [];
    const connection = this.connection;
    this.connection = undefined;
    this.publishChannel = undefined;
    await connection?.close().catch(() => undefined);
    this.log.info("disconnected from RabbitMQ");
  }

  private ensureConnecting(): Promise<void> {
    this.connecting ??= this.connectLoop().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connectLoop(): Promise<void> {
    const { initial, max } = this.options.reconnectDelayMs ?? { initial: 250, max: 10_000 };
    let delay = initial;
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        await this.connect();
        return;
      } catch (error) {
        if (this.closed) return;
        this.log.warn(`RabbitMQ connection attempt ${attempt} failed: ${String(error)}; retrying in ${delay} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wakeReconnect = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeReconnect = undefined;
        delay = Math.min(max, delay * 2);
      }
    }
  }

  private async connect(): Promise<void> {
    const connection = await amqp.connect(this.options.url, { clientProperties: { connection_name: this.options.name } });
    try {
      // close() was called while this connection was being opened: it must not outlive the broker.
      if (this.closed) throw new Error("broker closed while connecting");
      connection.on("error", (error: Error) => this.log.warn(`RabbitMQ connection error: ${error.message}`));
      connection.on("close", () => this.onConnectionLost(connection));
      for (const setup of this.setups) {
        const channel = await connection.createChannel();
        await setup(channel);
        await channel.close();
      }
      const publishChannel = await connection.createConfirmChannel();
      publishChannel.on("error", (error: Error) => this.log.warn(`publish channel error: ${error.message}`));
      publishChannel.on("return", (message: Message) => {
        const id = message.properties.headers?.["x-ems-publish-id"] as string | undefined;
        const tracked = id === undefined ? undefined : this.pending.get(id);
        if (tracked) tracked.returned = true;
      });
      publishChannel.on("close", () => {
        if (this.publishChannel === publishChannel) this.publishChannel = undefined;
        // A channel closed by a failed operation on a live connection: start over.
        if (!this.closed && this.connection === connection) void connection.close().catch(() => undefined);
      });
      if (this.closed) throw new Error("broker closed while connecting");
      this.connection = connection;
      this.publishChannel = publishChannel;
      for (const consumer of this.consumers) await this.startConsumer(connection, consumer);
    } catch (error) {
      this.connection = undefined;
      this.publishChannel = undefined;
      await connection.close().catch(() => undefined);
      throw error;
    }
    this.log.info("connected to RabbitMQ");
    this.emit("connected");
    for (const waiter of this.waiters) waiter.resolve();
    this.waiters = [];
  }

  private onConnectionLost(connection: ChannelModel): void {
    if (this.connection !== connection && this.connection !== undefined) return;
    this.connection = undefined;
    this.publishChannel = undefined;
    for (const consumer of this.consumers) {
      consumer.channel = undefined;
      consumer.tag = undefined;
    }
    if (this.closed) return;
    this.log.warn("lost the RabbitMQ connection; reconnecting");
    this.emit("disconnected");
    void this.ensureConnecting();
  }

  private async startConsumer(connection: ChannelModel, consumer: Consumer): Promise<void> {
    const channel = await connection.createChannel();
    channel.on("error", (error: Error) => this.log.warn(`consumer channel (${consumer.queue}) error: ${error.message}`));
    // A consumer channel closed by the broker on a live connection (e.g. its queue was deleted):
    // reconnect from scratch, which re-declares the topology and restarts every consumer.
    channel.on("close", () => {
      if (!this.closed && this.connection === connection && consumer.channel === channel) void connection.close().catch(() => undefined);
    });
    await channel.prefetch(consumer.options.prefetch);
    consumer.channel = channel;
    // This channel's unsettled deliveries by delivery tag, in tag order (they arrive in that order).
    const unsettled = new Map<number, ConsumeMessage>();
    const { consumerTag } = await channel.consume(consumer.queue, (message) => {
      // null: the broker cancelled the consumer (e.g. the queue was deleted).
      if (message === null) {
        this.log.warn(`consumer of ${consumer.queue} cancelled by the broker`);
        return;
      }
      unsettled.set(message.fields.deliveryTag, message);
      const run = this.handle(channel, unsettled, consumer, message);
      this.inFlight.add(run);
      void run.finally(() => this.inFlight.delete(run));
    });
    consumer.tag = consumerTag;
  }

  private async handle(channel: Channel, unsettled: Map<number, ConsumeMessage>, consumer: Consumer, message: ConsumeMessage): Promise<void> {
    const tag = message.fields.deliveryTag;
    const settle = (action: () => void) => {
      // Settled already, by this delivery or by another one's multiple ack.
      if (!unsettled.delete(tag)) return;
      this.settleOn(channel, consumer.queue, action);
    };
    const delivery: Delivery = {
      message,
      body: message.content,
      queue: consumer.queue,
      ack: () => settle(() => channel.ack(message)),
      ackTogether: (others) => {
        const ours = new Set([message, ...others.map((other) => other.message)]);
        let last: ConsumeMessage | undefined;
        const covered: number[] = [];
        for (const [unsettledTag, unsettledMessage] of unsettled) {
          if (!ours.has(unsettledMessage) || (last !== undefined && unsettledTag !== last.fields.deliveryTag + 1)) break;
          last = unsettledMessage;
          covered.push(unsettledTag);
        }
        if (last !== undefined && covered.length > 1) {
          for (const coveredTag of covered) unsettled.delete(coveredTag);
          const upTo = last;
          this.settleOn(channel, consumer.queue, () => channel.ack(upTo, true));
        }
        settle(() => channel.ack(message));
        for (const other of others) other.ack();
      },
      nack: (requeue = true) => settle(() => channel.nack(message, false, requeue)),
      deadLetter: async (reason: string) => {
        await this.deadLetter(consumer.queue, message, reason);
        settle(() => channel.ack(message));
      },
    };
    try {
      await consumer.handler(delivery);
      if (unsettled.get(tag) === message) {
        this.log.error(`handler for ${consumer.queue} returned without settling a message; requeueing it`);
        delivery.nack(true);
      }
    } catch (error) {
      this.log.warn(`handler for ${consumer.queue} failed: ${String(error)}; requeueing the message`);
      await new Promise((resolve) => setTimeout(resolve, consumer.options.retryDelayMs ?? 1_000));
      delivery.nack(true);
    }
  }

  private settleOn(channel: Channel, queue: string, action: () => void): void {
    try {
      action();
    } catch (error) {
      // The channel died since delivery: the broker will redeliver the message, nothing is lost.
      this.log.debug(`could not settle a message from ${queue}: ${String(error)}`);
    }
  }

  private async deadLetter(sourceQueue: string, message: ConsumeMessage, reason: string): Promise<void> {
    const queue = this.options.deadLetterQueue;
    if (!queue) throw new Error(`${this.options.name}: no dead-letter queue configured`);
    const { headers, ...properties } = message.properties;
    const previous = (headers ?? {}) as Record<string, unknown>;
    await this.sendToQueue(queue, message.content, {
      ...withoutNulls(properties),
      headers: {
        ...previous,
        [DEAD_LETTER_REASON_HEADER]: reason,
        [DEAD_LETTER_SOURCE_HEADER]: sourceQueue,
        [DEAD_LETTER_FIRST_AT_HEADER]: previous[DEAD_LETTER_FIRST_AT_HEADER] ?? new Date().toISOString(),
        [DEAD_LETTER_COUNT_HEADER]: (Number(previous[DEAD_LETTER_COUNT_HEADER]) || 0) + 1,
      },
    });
  }
}

/** amqplib reports absent properties as undefined/null; publishing needs them left out. */
function withoutNulls(properties: Record<string, unknown>): PublishOptions {
  return Object.fromEntries(Object.entries(properties).filter(([, value]) => value !== undefined && value !== null));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : JSON.stringify(error);
}
