import { READINGS_BATCH_CONTENT_TYPE, readingsBatchBytes, serializeReadingsBatch } from "@ems/contracts/readings-batch";
import type { Delivery, PublishOptions } from "@ems/messaging";

export interface ForwardBatchOptions {
  /** Most readings in one partition's batch; 1: one message per reading, as before batches. */
  maxReadings: number;
  /** Longest a reading waits for its batch to fill before the batch is sent anyway. */
  lingerMs: number;
  /** Largest batch body in bytes (the stack's RabbitMQ refuses messages over 64 KiB). */
  maxBytes: number;
}

/** Chosen by `npm run bench:pipeline` (docs/RELIABILITY.md, "Batches on the partition queues"). */
export const DEFAULT_FORWARD_BATCH: ForwardBatchOptions = { maxReadings: 200, lingerMs: 10, maxBytes: 48 * 1024 };

/** Publishes one message to a partition queue and resolves once RabbitMQ confirmed it. */
export type PublishToPartition = (partition: number, body: Buffer, options?: PublishOptions) => Promise<void>;

interface PartitionBatch {
  readings: Buffer[];
  deliveries: Delivery[];
  bytes: number;
  forwarded: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Collects forwards into per-partition batches and sends them in rounds: a round holds every reading
 * taken since the previous round, so its deliveries are a contiguous run of delivery tags (bar the
 * invalid ones, dead-lettered on their own). A round is sent when one partition's batch is full
 * (readings or bytes) or `lingerMs` after its first reading: one message per partition — a readings
 * batch (readings-batch.ts), or the body itself for a batch of one.
 *
 * Once every message of a round is confirmed, its deliveries are acknowledged together, after those of
 * the rounds before it (so they are the channel's oldest unsettled ones and one basic.ack `multiple`
 * covers them; see `Delivery.ackTogether`). A batch whose publish fails is not acknowledged: its
 * readings' `add` rejects, and the consumer requeues them.
 *
 * Each reading is routed with the partition count of the moment it is taken, as single forwards are;
 * it reaches the queue at most `lingerMs` later, well within the time a replica drains a partition it
 * gives up (MONITORING_DRAIN_QUIET_MS).
 */
export class ForwardBatches {
  private round = new Map<number, PartitionBatch>();
  private lingerTimer: NodeJS.Timeout | undefined;
  private previousRoundAcked: Promise<void> = Promise.resolve();

  constructor(
    private readonly publish: PublishToPartition,
    private readonly options: ForwardBatchOptions,
    /** After a batch's publish is confirmed, before its readings are acknowledged (counts; tests). */
    private readonly onForwarded: (partition: number, readings: number) => Promise<void> | void,
  ) {}

  /** Resolves once the reading is forwarded (confirmed) and its delivery acknowledged; rejects if the forward failed. */
  add(partition: number, reading: Buffer, delivery: Delivery): Promise<void> {
    const current = this.round.get(partition);
    if (current && readingsBatchBytes(current.readings.length + 1, current.bytes + reading.length) > this.options.maxBytes) this.sendRound();
    const batch = this.round.get(partition) ?? this.openBatch(partition);
    batch.readings.push(reading);
    batch.deliveries.push(delivery);
    batch.bytes += reading.length;
    if (batch.readings.length >= this.options.maxReadings) this.sendRound();
    else this.lingerTimer ??= setTimeout(() => this.sendRound(), this.options.lingerMs);
    return batch.forwarded;
  }

  private openBatch(partition: number): PartitionBatch {
    let resolve: () => void = () => {};
    let reject: (error: unknown) => void = () => {};
    const forwarded = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const batch: PartitionBatch = { readings: [], deliveries: [], bytes: 0, forwarded, resolve, reject };
    this.round.set(partition, batch);
    return batch;
  }

  private sendRound(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    const round = [...this.round];
    this.round = new Map();
    const sent = round.map(async ([partition, batch]) => {
      const [single] = batch.readings;
      if (batch.readings.length === 1 && single) await this.publish(partition, single);
      else await this.publish(partition, serializeReadingsBatch(batch.readings), { contentType: READINGS_BATCH_CONTENT_TYPE });
      await this.onForwarded(partition, batch.readings.length);
    });
    const previous = this.previousRoundAcked;
    this.previousRoundAcked = (async () => {
      const outcomes = await Promise.allSettled(sent);
      await previous;
      const confirmed = round.filter((_, i) => outcomes[i]?.status === "fulfilled").flatMap(([, batch]) => batch.deliveries);
      confirmed.at(-1)?.ackTogether(confirmed.slice(0, -1));
      round.forEach(([, batch], i) => {
        const outcome = outcomes[i];
        if (outcome?.status === "rejected") batch.reject(outcome.reason);
        else batch.resolve();
      });
    })();
  }
}
