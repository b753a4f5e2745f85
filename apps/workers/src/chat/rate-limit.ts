/**
 * Sliding-window limit per key (per user: AI questions, client messages), in memory. Each chat
 * process counts on its own; with sticky sessions a user's sockets stay on one process, so the
 * limit holds per user in practice.
 */
export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly maxPerWindow: number,
    private readonly windowMs: number,
  ) {}

  /** Records a hit for `key` and returns true if it is within the limit; returns false (and records nothing) otherwise. */
  tryTake(key: string, now = Date.now()): boolean {
    if (this.hits.size > 10_000) this.forgetIdle(now);
    const recent = (this.hits.get(key) ?? []).filter((at) => at > now - this.windowMs);
    const allowed = recent.length < this.maxPerWindow;
    if (allowed) recent.push(now);
    this.hits.set(key, recent);
    return allowed;
  }

  /** Keeps memory bounded: drops keys with no hit inside the window. */
  private forgetIdle(now: number): void {
    for (const [key, times] of this.hits) {
      if (times.every((at) => at <= now - this.windowMs)) this.hits.delete(key);
    }
  }
}

/**
 * A token bucket: holds up to `capacity` points and regains `refillPerSecond` of them continuously.
 * Synchronous and self-contained, so that one can live inside a socket's closure (gone with the socket,
 * no map to clean up) and be checked before any database work starts.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    now = Date.now(),
  ) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  /** Takes `cost` points and returns true if the bucket holds them; returns false (and takes nothing) otherwise. */
  tryTake(cost: number, now = Date.now()): boolean {
    this.tokens = Math.min(this.capacity, this.tokens + (Math.max(0, now - this.updatedAt) / 1000) * this.refillPerSecond);
    this.updatedAt = now;
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
}
