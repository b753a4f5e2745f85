import type { Logger } from "@ems/messaging";

/** One row of an outbox table (the device database's or the auth database's): what the relay publishes. */
export interface OutboxRow {
  id: bigint;
  eventType: string;
  payload: unknown;
}

/** Delivers one outbox row; resolves only once the broker has confirmed it. */
export interface OutboxPublisher<Row extends OutboxRow = OutboxRow> {
  publish(event: Row): Promise<void>;
}

/** The rows of one pass, inside the transaction that holds the relay's lock. */
export interface OutboxBatch<Row extends OutboxRow> {
  /** Up to `limit` unpublished rows, in id order. */
  pending(limit: number): Promise<Row[]>;
  /** Records a failed attempt on a row (it stays pending). */
  failed(id: bigint, message: string): Promise<void>;
  /** Stamps rows as published. */
  published(ids: bigint[]): Promise<void>;
}

/** One database's outbox table, as the relay needs it (see ./stores.ts). */
export interface OutboxStore<Row extends OutboxRow> {
  /** Cheap check outside any transaction, so that an idle relay does not open one every poll. */
  hasPending(): Promise<boolean>;
  /**
   * Runs `pass` in one transaction holding this outbox's advisory lock (pg_try_advisory_xact_lock: of
   * several web replicas one publishes at a time, which keeps events in order); null when another
   * relay holds it.
   */
  withLock<T>(pass: (batch: OutboxBatch<Row>) => Promise<T>): Promise<T | null>;
}

export interface OutboxRelayOptions<Row extends OutboxRow> {
  store: OutboxStore<Row>;
  publisher: OutboxPublisher<Row>;
  log: Logger;
  pollIntervalMs: number;
  batchSize?: number;
  /** Longest wait between passes after failures (the wait doubles from pollIntervalMs). */
  maxBackoffMs?: number;
  /** Names this relay in its log lines ("outbox" by default). */
  name?: string;
}

export interface OutboxRelayStatus {
  running: boolean;
  lastPublishedAt: Date | null;
  lastError: string | null;
  consecutiveFailures: number;
}

/**
 * The transactional outbox's relay, for any outbox table (./stores.ts: the device database's sync
 * events, the auth database's sessions.ended): publishes unpublished rows in id order and stamps
 * published_at once the broker has confirmed them. A failed publish stops the pass (later events of
 * the same device or user must not overtake it); the row's attempts and last_error are recorded and
 * the pass is retried with backoff, so events wait in the database while RabbitMQ is down and flow, in
 * order, once it is back — at once when `poke()` is called on the broker's reconnection. Delivery is
 * at least once: a crash between the confirm and the commit republishes rows, which monitoring ignores
 * by version and chat by session version.
 */
export class OutboxRelay<Row extends OutboxRow = OutboxRow> {
  private readonly batchSize: number;
  private readonly maxBackoffMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private poked = false;
  private readonly state: OutboxRelayStatus = { running: false, lastPublishedAt: null, lastError: null, consecutiveFailures: 0 };

  constructor(private readonly options: OutboxRelayOptions<Row>) {
    this.batchSize = options.batchSize ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
  }

  status(): OutboxRelayStatus {
    return { ...this.state, running: this.running };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Runs the next pass now instead of after the current wait (e.g. RabbitMQ is back, so the backoff of
   * the outage need not be waited out); if a pass is running, the next one follows it at once.
   */
  poke(): void {
    this.poked = true;
    this.wake?.();
  }

  /** Stops polling and waits for the pass in progress to finish. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /**
   * One pass: publishes up to one batch of pending rows in id order. Returns how many were
   * published and whether a publish failed.
   */
  async publishPending(): Promise<{ published: number; failed: boolean }> {
    const { store, publisher } = this.options;
    if (!(await store.hasPending())) return { published: 0, failed: false };
    const result = await store.withLock(async (batch) => {
      const rows = await batch.pending(this.batchSize);
      const publishedIds: bigint[] = [];
      let failed = false;
      for (const row of rows) {
        try {
          await publisher.publish(row);
          publishedIds.push(row.id);
        } catch (error) {
          failed = true;
          const message = error instanceof Error ? error.message : String(error);
          this.state.lastError = message;
          await batch.failed(row.id, message.slice(0, 1000));
          break;
        }
      }
      if (publishedIds.length > 0) {
        await batch.published(publishedIds);
        this.state.lastPublishedAt = new Date();
      }
      return { published: publishedIds.length, failed };
    });
    return result ?? { published: 0, failed: false };
  }

  private async run(): Promise<void> {
    const { log, pollIntervalMs } = this.options;
    const name = this.options.name ?? "outbox";
    while (this.running) {
      this.poked = false;
      let delay = pollIntervalMs;
      try {
        const { published, failed } = await this.publishPending();
        if (failed) {
          this.state.consecutiveFailures++;
          delay = Math.min(this.maxBackoffMs, pollIntervalMs * 2 ** this.state.consecutiveFailures);
          log.warn(`${name}: publishing failed (${this.state.lastError}); ${published} published, retrying in ${delay} ms`);
        } else {
          if (this.state.consecutiveFailures > 0) log.info(`${name}: publishing again`);
          this.state.consecutiveFailures = 0;
          if (published > 0) log.debug(`${name}: published ${published} event(s)`);
          // A full batch means more may be waiting: go again at once.
          if (published === this.batchSize) delay = 0;
        }
      } catch (error) {
        // The outbox's database itself is unreachable: keep trying, the events are safe in it.
        this.state.consecutiveFailures++;
        this.state.lastError = error instanceof Error ? error.message : String(error);
        delay = Math.min(this.maxBackoffMs, pollIntervalMs * 2 ** this.state.consecutiveFailures);
        log.warn(`${name}: pass failed (${this.state.lastError}); retrying in ${delay} ms`);
      }
      if (this.poked) delay = 0;
      if (this.running && delay > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }
}
