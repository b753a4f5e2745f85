import amqp, { type Channel, type ChannelModel, type GetMessage } from "amqplib";
import { parseMeasurement } from "@ems/contracts/measurement";
import {
  DEAD_LETTER_COUNT_HEADER,
  DEAD_LETTER_FIRST_AT_HEADER,
  DEAD_LETTER_REASON_HEADER,
  DEAD_LETTER_SOURCE_HEADER,
  type QueueNames,
} from "@ems/contracts/queues";

/** One dead-lettered message as read from the queue, still unacknowledged (held) until settled. */
export interface DeadLetter {
  /** Position from the head of the queue when it was read, counting from 1. */
  position: number;
  /** The producer's message id, else the id of the publish that dead-lettered it (`x-ems-publish-id`). */
  id: string | undefined;
  reason: string | undefined;
  sourceQueue: string | undefined;
  /** ISO 8601; absent on messages dead-lettered before the header existed. */
  firstDeadLetteredAt: string | undefined;
  /** Times dead-lettered (1 when the header is absent). */
  count: number;
  body: Buffer;
  message: GetMessage;
}

export type ReplayVerdict =
  | { replayable: true }
  /** `forceable`: a reading that does not validate; `--force` republishes it anyway. */
  | { replayable: false; why: string; forceable: boolean };

/**
 * Monitoring's refusals that time cannot change (src/monitoring/held-readings.ts): a replayed reading
 * would only be dead-lettered again.
 */
const FINAL_REASONS = ["device deleted", "timestamp is older than the retention window"];

/**
 * Whether a dead letter may go back into sensor.data.queue. Decided mostly by what it is now rather
 * than by its reason text: a reading (from the raw or a partition queue, or of unknown origin) whose
 * body validates today is replayable (unknown device, a transient database refusal, a clock that was
 * ahead) unless monitoring refused it for good; one that does not validate or was refused for good
 * would only be dead-lettered again (`--force` overrides that); messages of other queues (sync events,
 * notifications) are never readings.
 */
export function replayVerdict(letter: DeadLetter, names: QueueNames): ReplayVerdict {
  const source = letter.sourceQueue;
  if (source !== undefined && !isReadingQueue(source, names)) {
    return { replayable: false, why: `not a reading (from ${source})`, forceable: false };
  }
  const parsed = parseMeasurement(letter.body);
  if (!parsed.ok) return { replayable: false, why: `not a valid reading: ${parsed.reason}`, forceable: true };
  const final = FINAL_REASONS.find((reason) => letter.reason?.startsWith(reason));
  if (final !== undefined) return { replayable: false, why: `refused for good: ${final}`, forceable: true };
  return { replayable: true };
}

function isReadingQueue(queue: string, names: QueueNames): boolean {
  if (queue === names.sensorData) return true;
  const prefix = names.partition(0).slice(0, -1);
  return queue.startsWith(prefix) && /^\d+$/.test(queue.slice(prefix.length));
}

const REQUEUE_WAIT_MS = 60_000;

/**
 * The dead-letter queue, read from its head with basic.get. Every message read stays unacknowledged
 * until it is acked (replayed) or the reader closes, which returns all the others to the queue with
 * one nack-requeue: RabbitMQ puts requeued messages of a classic queue back in their original
 * positions, so reading — or replaying some — never reorders what is left. A reader that dies has
 * the same effect (the broker requeues on connection loss), so nothing is lost.
 *
 * Reading ends when no message is ready (the held ones are not): a message dead-lettered meanwhile is
 * read too, so a replay tells its own returns apart (see replayDeadLetters).
 */
export class DeadLetterQueue {
  private read = 0;
  private acked = 0;
  private channelOpen = true;

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
    readonly queue: string,
    /** Messages ready in the queue when it was opened. */
    readonly total: number,
  ) {
    // The broker closed it (e.g. a permission refused): its held messages are back in the queue already.
    channel.on("close", () => (this.channelOpen = false));
  }

  static async open(url: string, queue: string, connectionName: string): Promise<DeadLetterQueue> {
    // noDelay: an ack followed by a get are two small writes; with Nagle's algorithm the get waits for
    // the broker's delayed TCP ack (~40 ms), which made a replay about 25 times slower.
    const connection = await amqp.connect(url, { noDelay: true, clientProperties: { connection_name: connectionName } });
    // Failures reach the caller as rejected operations; these events would otherwise crash the process.
    connection.on("error", () => undefined);
    try {
      const channel = await connection.createChannel();
      channel.on("error", () => undefined);
      // Passive: needs no configure permission, and creates nothing under a mistyped QUEUE_PREFIX.
      const { messageCount } = await channel.checkQueue(queue).catch((error: unknown) => {
        const notFound = (error as { code?: unknown }).code === 404;
        throw new Error(
          notFound
            ? `there is no queue ${queue} (no EMS process ever ran against this broker, or QUEUE_PREFIX is not the system's)`
            : `cannot open ${queue}: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
      return new DeadLetterQueue(connection, channel, queue, messageCount);
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  /** Messages read so far. */
  get readCount(): number {
    return this.read;
  }

  /** The next message from the head, held; undefined once none is ready. */
  async next(): Promise<DeadLetter | undefined> {
    const message = await this.channel.get(this.queue, { noAck: false });
    if (message === false) return undefined;
    this.read++;
    const headers = message.properties.headers ?? {};
    const text = (value: unknown) => (typeof value === "string" ? value : undefined);
    const count = Number(headers[DEAD_LETTER_COUNT_HEADER]);
    return {
      position: this.read,
      id: text(message.properties.messageId) ?? text(headers["x-ems-publish-id"]),
      reason: text(headers[DEAD_LETTER_REASON_HEADER]),
      sourceQueue: text(headers[DEAD_LETTER_SOURCE_HEADER]),
      firstDeadLetteredAt: text(headers[DEAD_LETTER_FIRST_AT_HEADER]),
      count: Number.isInteger(count) && count > 0 ? count : 1,
      body: message.content,
      message,
    };
  }

  /** Removes a held message from the queue: only once what it was moved to is safe (confirmed). */
  ack(letter: DeadLetter): void {
    this.channel.ack(letter.message);
    this.acked++;
  }

  /**
   * Waits until the held messages are ready again. RabbitMQ requeues them in the queue's process, bit
   * by bit and after the acks before them (5,000 take about a second here), and answers other clients
   * meanwhile: a tool started right after would otherwise see part of the queue. They are safe either
   * way, so after REQUEUE_WAIT_MS this gives up waiting.
   */
  private async requeued(): Promise<void> {
    const held = this.read - this.acked;
    const deadline = Date.now() + REQUEUE_WAIT_MS;
    while ((await this.channel.checkQueue(this.queue)).messageCount < held && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Returns every held message to its place in the queue and disconnects. */
  async close(): Promise<void> {
    try {
      if (this.channelOpen) {
        this.channel.nackAll(true);
        await this.requeued();
        await this.channel.close();
      }
    } catch {
      // The channel went away meanwhile: the broker has requeued its held messages itself.
    } finally {
      await this.connection.close().catch(() => undefined);
    }
  }
}
