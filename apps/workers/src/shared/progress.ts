import type { Delivery, DeliveryHandler, Logger } from "@ems/messaging";

/** Default of WORKER_STALL_TIMEOUT_MS: well above a batch's statement timeout (30 s) plus its retry. */
export const DEFAULT_STALL_TIMEOUT_MS = 60_000;

/**
 * Liveness that means progress, for a consuming worker: being connected is not enough, because a
 * replica stuck in a query on a half-open connection, or a balancer whose forwards fail or are never
 * confirmed, is connected too. A worker is stalled when it has held deliveries (work waiting) for
 * `stallTimeoutMs` in all without settling any (ack, or dead-letter with a reason). Time with no
 * delivery in hand does not count: idle is healthy, and a queue with messages in it delivers them to
 * a live consumer at once (prefetch > 0), so "nothing in hand" means "nothing waiting". A requeue is
 * not progress: a database that refuses every batch, or a forward that always fails, stalls the worker.
 */
export class ProgressWatch {
  private inHand = 0;
  /** When the current quiet stretch began, moved forward by the time nothing was in hand since. */
  private quietSince = performance.now();
  private idleSince = performance.now();
  private reported = false;

  constructor(
    private readonly stallTimeoutMs: number,
    private readonly log: Logger,
  ) {}

  /**
   * Wraps a consumer's handler: its delivery is in hand until the handler returns — or, when it
   * throws, for `retryDelayMs` more, the consumer's retry delay before the broker requeues it.
   */
  track(handler: DeliveryHandler, retryDelayMs: number): DeliveryHandler {
    return async (delivery) => {
      this.take();
      const tracked: Delivery = {
        message: delivery.message,
        body: delivery.body,
        queue: delivery.queue,
        ack: () => {
          delivery.ack();
          this.progressed();
        },
        ackTogether: (others) => {
          delivery.ackTogether(others);
          this.progressed();
        },
        nack: (requeue) => delivery.nack(requeue),
        deadLetter: async (reason) => {
          await delivery.deadLetter(reason);
          this.progressed();
        },
      };
      try {
        await handler(tracked);
        this.release();
      } catch (error) {
        setTimeout(() => this.release(), retryDelayMs).unref();
        throw error;
      }
    };
  }

  /** True while work waits and nothing was settled for the stall timeout; logs when that starts and ends. */
  stalled(): boolean {
    const quietMs = performance.now() - this.quietSince;
    const stalled = this.inHand > 0 && quietMs >= this.stallTimeoutMs;
    if (stalled && !this.reported) {
      this.log.error(`${this.inHand} message(s) in hand and none settled for ${Math.round(quietMs / 1000)} s: reporting unhealthy`);
    } else if (!stalled && this.reported) {
      this.log.info("settling messages again: reporting healthy");
    }
    this.reported = stalled;
    return stalled;
  }

  private take(): void {
    if (this.inHand++ === 0) this.quietSince += performance.now() - this.idleSince;
  }

  private release(): void {
    if (--this.inHand === 0) this.idleSince = performance.now();
  }

  private progressed(): void {
    this.quietSince = performance.now();
  }
}
