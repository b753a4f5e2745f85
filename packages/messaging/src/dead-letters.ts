import amqp, { type Channel, type ChannelModel, type GetMessage } from "amqplib";
import {
  DEAD_LETTER_COUNT_HEADER,
  DEAD_LETTER_FIRST_AT_HEADER,
  DEAD_LETTER_REASON_HEADER,
  DEAD_LETTER_SOURCE_HEADER,
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

/**
 * Why the queue could not be read, for a caller that explains it rather than fails: `unreachable` (no
 * connection), `missing` (no such queue), `refused` (the RabbitMQ user may not read it).
 */
export type DeadLetterFailure = "unreachable" | "missing" | "refused";

export class DeadLetterQueueError extends Error {
  constructor(
    message: string,
    readonly failure: DeadLetterFailure,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "DeadLetterQueueError";
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
const amqpCode = (error: unknown) => (error as { code?: unknown }).code;

const REQUEUE_WAIT_MS = 60_000;

export interface OpenOptions {
  /** Gives up connecting after this long (default: the operating system's TCP timeout). */
  connectTimeoutMs?: number;
  /** How long close() waits for the held messages to be ready again (default 60 s; see close). */
  requeueWaitMs?: number;
}

/**
 * The dead-letter queue, read from its head with basic.get. Every message read stays unacknowledged
 * until it is acked or the reader closes, which returns all the others to the queue with one
 * nack-requeue: RabbitMQ puts requeued messages of a classic queue back in their original positions,
 * so reading never reorders what is left. A reader that dies has the same effect (the broker requeues
 * on connection loss), so nothing is lost.
 *
 * Reading ends when no message is ready (the held ones are not): a message dead-lettered meanwhile is
 * read too.
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
    private readonly requeueWaitMs: number,
  ) {
    // The broker closed it (e.g. a permission refused): its held messages are back in the queue already.
    channel.on("close", () => (this.channelOpen = false));
  }

  /** Throws a DeadLetterQueueError when the broker cannot be reached or the queue is not there. */
  static async open(url: string, queue: string, connectionName: string, options: OpenOptions = {}): Promise<DeadLetterQueue> {
    // noDelay: an ack followed by a get are two small writes; with Nagle's algorithm the get waits for
    // the broker's delayed TCP ack (~40 ms), which made a replay about 25 times slower.
    const connection = await amqp
      .connect(url, { noDelay: true, timeout: options.connectTimeoutMs, clientProperties: { connection_name: connectionName } })
      .catch((error: unknown) => {
        throw new DeadLetterQueueError(`cannot connect to RabbitMQ: ${messageOf(error)}`, "unreachable", { cause: error });
      });
    // Failures reach the caller as rejected operations; these events would otherwise crash the process.
    connection.on("error", () => undefined);
    try {
      const channel = await connection.createChannel();
      channel.on("error", () => undefined);
      // Passive: needs no configure permission, and creates nothing under a mistyped QUEUE_PREFIX.
      const { messageCount } = await channel.checkQueue(queue).catch((error: unknown) => {
        const code = amqpCode(error);
        if (code === 404) {
          throw new DeadLetterQueueError(
            `there is no queue ${queue} (no EMS process ever ran against this broker, or QUEUE_PREFIX is not the system's)`,
            "missing",
            { cause: error },
          );
        }
        throw new DeadLetterQueueError(`cannot open ${queue}: ${messageOf(error)}`, code === 403 ? "refused" : "unreachable", { cause: error });
      });
      return new DeadLetterQueue(connection, channel, queue, messageCount, options.requeueWaitMs ?? REQUEUE_WAIT_MS);
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
    const message = await this.channel.get(this.queue, { noAck: false }).catch((error: unknown) => {
      if (amqpCode(error) !== 403) throw error;
      throw new DeadLetterQueueError(`this RabbitMQ user may not read ${this.queue}: ${messageOf(error)}`, "refused", { cause: error });
    });
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
   * meanwhile: a reader started right after would otherwise see part of the queue. They are safe either
   * way, so after `requeueWaitMs` this gives up waiting.
   */
  private async requeued(): Promise<void> {
    const held = this.read - this.acked;
    const deadline = Date.now() + this.requeueWaitMs;
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

/** The dead letters of one reason among those read. */
export interface ReasonCount {
  /** undefined: messages without an `x-ems-reason` header. */
  reason: string | undefined;
  count: number;
  /** The queues they were dead-lettered from, where known, sorted. */
  sourceQueues: string[];
  /** Earliest first dead-lettering in the group, where known (ISO 8601). */
  firstDeadLetteredAt: string | undefined;
}

/** Dead letters counted by reason as they are read; `groups()` lists the largest first (ties in the order first seen). */
export class ReasonTally {
  private readonly byReason = new Map<string | undefined, { count: number; sources: Set<string>; firstDeadLetteredAt: string | undefined }>();

  add(letter: DeadLetter): void {
    let group = this.byReason.get(letter.reason);
    if (!group) {
      group = { count: 0, sources: new Set(), firstDeadLetteredAt: undefined };
      this.byReason.set(letter.reason, group);
    }
    group.count++;
    if (letter.sourceQueue !== undefined) group.sources.add(letter.sourceQueue);
    const at = letter.firstDeadLetteredAt;
    if (at !== undefined && (group.firstDeadLetteredAt === undefined || at < group.firstDeadLetteredAt)) group.firstDeadLetteredAt = at;
  }

  groups(): ReasonCount[] {
    return [...this.byReason]
      .map(([reason, { count, sources, firstDeadLetteredAt }]) => ({ reason, count, sourceQueues: [...sources].sort(), firstDeadLetteredAt }))
      .sort((a, b) => b.count - a.count);
  }
}

export interface ReasonSummary {
  /** Messages ready in the queue when it was opened. */
  total: number;
  /** Messages read from the head and counted: at most the bound. */
  examined: number;
  /** Largest group first. */
  reasons: ReasonCount[];
}

/**
 * Reads at most `limit` messages from the head (held, not removed) and counts them by reason. The
 * caller closes `dlq`, which returns them to their places.
 */
export async function countByReason(dlq: DeadLetterQueue, limit: number): Promise<ReasonSummary> {
  const tally = new ReasonTally();
  while (dlq.readCount < limit) {
    const letter = await dlq.next();
    if (!letter) break;
    tally.add(letter);
  }
  return { total: dlq.total, examined: dlq.readCount, reasons: tally.groups() };
}

export interface ExamineOptions extends OpenOptions {
  /** Shown in RabbitMQ's management UI. */
  connectionName: string;
  /** Most messages read: holding them costs the broker and this process memory. */
  limit: number;
}

/**
 * Opens the dead-letter queue, counts up to `limit` messages from its head by reason and puts them all
 * back in their order (`npm run dlq -- list` without the listing). Rejects with a DeadLetterQueueError
 * when the broker is unreachable, the queue missing or reading it refused.
 */
export async function examineDeadLetters(url: string, queue: string, options: ExamineOptions): Promise<ReasonSummary> {
  const dlq = await DeadLetterQueue.open(url, queue, options.connectionName, options);
  try {
    return await countByReason(dlq, options.limit);
  } finally {
    await dlq.close();
  }
}
