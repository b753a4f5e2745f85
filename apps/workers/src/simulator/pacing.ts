/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Token bucket: `take()` resolves when another message may be sent at `ratePerSecond`, allowing
 * bursts of up to a tenth of a second's worth (timers cannot wait a tenth of a millisecond).
 */
export class RateLimiter {
  private tokens: number;
  private last = performance.now();
  private readonly burst: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly signal?: AbortSignal,
  ) {
    this.burst = Math.max(1, ratePerSecond / 10);
    this.tokens = this.burst;
  }

  async take(): Promise<void> {
    for (;;) {
      const now = performance.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
      this.last = now;
      if (this.tokens >= 1 || this.signal?.aborted) {
        this.tokens -= 1;
        return;
      }
      await sleep(Math.max(1, ((1 - this.tokens) / this.ratePerSecond) * 1000), this.signal);
    }
  }
}

/** Counts concurrent operations; `acquire()` waits while `limit` are running. */
export class Semaphore {
  private running = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async acquire(): Promise<void> {
    if (this.running < this.limit) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Hands the slot to the next waiter, if any. */
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.running--;
  }
}
