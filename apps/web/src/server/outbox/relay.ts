import type { Logger } from "@ems/messaging";
import type { deviceDb as DeviceDbClient, OutboxEvent } from "@ems/db/device";

/** Delivers one outbox row; resolves only once the broker has confirmed it. */
export interface OutboxPublisher {
  publish(event: OutboxEvent): Promise<void>;
}

export interface OutboxRelayOptions {
  db: typeof DeviceDbClient;
  publisher: OutboxPublisher;
  log: Logger;
  pollIntervalMs: number;
  batchSize?: number;
  /** Longest wait between passes after failures (the wait doubles from pollIntervalMs). */
  maxBackoffMs?: number;
}

export interface OutboxRelayStatus {
  running: boolean;
  lastPublishedAt: Date | null;
  lastError: string | null;
  consecutiveFailures: number;
}

// pg_try_advisory_xact_lock key: only one relay (of all web replicas) publishes at a time, which keeps
// the events of a device in order. Any constant unique to this purpose in the device database.
const RELAY_LOCK_KEY = 7_242_001;

/**
 * The transactional outbox's relay: publishes unpublished rows of the device database's outbox in
 * id order and stamps published_at once the broker has confirmed them. A failed publish stops the
 * pass (later events of the same device must not overtake it); the row's attempts and last_error are
 * recorded and the pass is retried with backoff, so events wait in the database while RabbitMQ is
 * down and flow, in order, once it is back. Delivery is at least once: a crash between the confirm
 * and the commit republishes rows, which monitoring ignores by version.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly maxBackoffMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly state: OutboxRelayStatus = { running: false, lastPublishedAt: null, lastError: null, consecutiveFailures: 0 };

  constructor(private readonly options: OutboxRelayOptions) {
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
    const { db, publisher } = this.options;
    // Cheap check first, so an idle relay does not open a transaction every poll.
    if (!(await db.outboxEvent.findFirst({ where: { publishedAt: null }, select: { id: true } }))) {
      return { published: 0, failed: false };
    }
    return db.$transaction(
      async (tx) => {
        const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${RELAY_LOCK_KEY}) AS locked`;
        if (!lock?.locked) return { published: 0, failed: false };
        const rows = await tx.outboxEvent.findMany({ where: { publishedAt: null }, orderBy: { id: "asc" }, take: this.batchSize });
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
            await tx.outboxEvent.update({ where: { id: row.id }, data: { attempts: { increment: 1 }, lastError: message.slice(0, 1000) } });
            break;
          }
        }
        if (publishedIds.length > 0) {
          await tx.outboxEvent.updateMany({
            where: { id: { in: publishedIds } },
            data: { publishedAt: new Date(), attempts: { increment: 1 }, lastError: null },
          });
          this.state.lastPublishedAt = new Date();
        }
        return { published: publishedIds.length, failed };
      },
      // A batch waits on broker confirms; the publisher's own timeouts keep it well below this.
      { timeout: 120_000, maxWait: 10_000 },
    );
  }

  private async run(): Promise<void> {
    const { log, pollIntervalMs } = this.options;
    while (this.running) {
      let delay = pollIntervalMs;
      try {
        const { published, failed } = await this.publishPending();
        if (failed) {
          this.state.consecutiveFailures++;
          delay = Math.min(this.maxBackoffMs, pollIntervalMs * 2 ** this.state.consecutiveFailures);
          log.warn(`outbox: publishing failed (${this.state.lastError}); ${published} published, retrying in ${delay} ms`);
        } else {
          if (this.state.consecutiveFailures > 0) log.info("outbox: publishing again");
          this.state.consecutiveFailures = 0;
          if (published > 0) log.debug(`outbox: published ${published} event(s)`);
          // A full batch means more may be waiting: go again at once.
          if (published === this.batchSize) delay = 0;
        }
      } catch (error) {
        // The device database itself is unreachable: keep trying, the events are safe in it.
        this.state.consecutiveFailures++;
        this.state.lastError = error instanceof Error ? error.message : String(error);
        delay = Math.min(this.maxBackoffMs, pollIntervalMs * 2 ** this.state.consecutiveFailures);
        log.warn(`outbox: pass failed (${this.state.lastError}); retrying in ${delay} ms`);
      }
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
