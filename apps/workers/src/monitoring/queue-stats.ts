import amqp, { type Channel, type ChannelModel } from "amqplib";
import type { QueueNames } from "@ems/contracts/queues";
import type { Logger } from "@ems/messaging";

export interface QueueCounts {
  /** Ready messages (not those delivered and not yet acknowledged). */
  messages: number;
  consumers: number;
}

/**
 * Reads queue counters from RabbitMQ (a passive queue.declare, which changes nothing) on a connection
 * of its own. Used by the balancer and by monitoring to learn how many monitoring replicas are live
 * (see {@link liveReplicaCount}) and whether a partition queue still holds readings.
 *
 * It connects lazily and, after any failure, again on the next call; a call while RabbitMQ is away
 * throws (callers simply try again on their next tick).
 */
export class QueueStats {
  private connection: ChannelModel | undefined;
  private channel: Channel | undefined;
  private opening: Promise<Channel> | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    /** Connection name shown in RabbitMQ's management UI. */
    private readonly name: string,
    private readonly log: Logger,
  ) {}

  /** The queue's counts, or undefined when it does not exist. */
  async counts(queue: string): Promise<QueueCounts | undefined> {
    const channel = await this.open();
    try {
      const { messageCount, consumerCount } = await channel.checkQueue(queue);
      return { messages: messageCount, consumers: consumerCount };
    } catch (error) {
      // 404 NOT_FOUND closes the channel (not the connection): the queue is not there.
      if ((error as { code?: number }).code === 404) {
        if (this.channel === channel) this.channel = undefined;
        return undefined;
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    this.channel = undefined;
    await connection?.close().catch(() => undefined);
  }

  private open(): Promise<Channel> {
    if (this.closed) return Promise.reject(new Error(`${this.name}: closed`));
    if (this.channel) return Promise.resolve(this.channel);
    this.opening ??= this.connect().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async connect(): Promise<Channel> {
    if (!this.connection) {
      const connection = await amqp.connect(this.url, { clientProperties: { connection_name: this.name } });
      connection.on("error", (error: Error) => this.log.debug(`${this.name}: ${error.message}`));
      connection.on("close", () => {
        if (this.connection !== connection) return;
        this.connection = undefined;
        this.channel = undefined;
      });
      if (this.closed) {
        await connection.close().catch(() => undefined);
        throw new Error(`${this.name}: closed`);
      }
      this.connection = connection;
    }
    const channel = await this.connection.createChannel();
    channel.on("error", () => undefined); // a 404 also arrives here; counts() reports it
    channel.on("close", () => {
      if (this.channel === channel) this.channel = undefined;
    });
    this.channel = channel;
    return channel;
  }
}

/**
 * The live partition count n: how many monitoring replicas consume `monitoring.sync.queue`. Every
 * replica consumes it exactly once, and only after it has claimed a partition and consumes it; RabbitMQ
 * drops the consumer the moment the replica's connection closes (stop, crash, kill -9). The balancer
 * and the replicas read this same number, so they agree on n but for the moment between their polls.
 */
export async function liveReplicaCount(stats: QueueStats, names: QueueNames): Promise<number> {
  return (await stats.counts(names.monitoringSync))?.consumers ?? 0;
}
