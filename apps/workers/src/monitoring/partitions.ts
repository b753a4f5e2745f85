import type { QueueNames } from "@ems/contracts/queues";
import type { Logger } from "@ems/messaging";
import type { LockHolder, PartitionLocks } from "./partition-locks.ts";
import { liveReplicaCount, type QueueStats } from "./queue-stats.ts";

/**
 * Elastic partitions, monitoring's side (README: "Elastic partitions"). Each replica claims partitions
 * by holding their advisory locks (PartitionLocks) and consumes the queue of every partition it holds.
 * n, the number of partitions in use, is the number of live replicas as RabbitMQ counts them
 * (liveReplicaCount), the same number the balancer reads. Every tick each replica looks at who holds
 * what and acts on its own partitions only (plan): the lock decides when two replicas want the same one.
 */

export interface HeldPartition {
  /** When this replica started consuming it. */
  since: number;
  /** When its consumer last received a reading (or `since`). */
  lastDeliveryAt: number;
}

export interface PartitionView {
  now: number;
  /** Partitions in use: 0 .. n-1. */
  n: number;
  /** Partition queues looked after: 0 .. scanLimit-1 (≥ n; includes every partition ever claimed). */
  scanLimit: number;
  /** The holder of each locked partition. */
  holders: ReadonlyMap<number, { holder: LockHolder; pid: number }>;
  /** Each lock session (replica) and the partitions it holds. */
  sessions: ReadonlyMap<number, readonly number[]>;
  /** The preferred partition of each session that has one (Swarm: task slot - 1). */
  preferences: ReadonlyMap<number, number>;
  /** This replica's preferred partition. */
  preferred?: number;
  /** The partitions this replica consumes. */
  held: ReadonlyMap<number, HeldPartition>;
  /** Since when each unlocked partition below scanLimit has been seen free. */
  freeSince: ReadonlyMap<number, number>;
  /** Ready readings in the queues of partitions ≥ n that are free or held by this replica. */
  backlog: ReadonlyMap<number, number>;
  /** A replica that has a partition in use waits this long before taking over a free one (its owner may be reconnecting). */
  takeoverGraceMs: number;
  /** A partition ≥ n is released once its queue is empty and nothing arrived for this long. */
  drainQuietMs: number;
}

export type PartitionAction =
  | { kind: "claim"; partition: number; reason: string }
  /** Stop consuming and release the lock. */
  | { kind: "release"; partition: number; reason: string }
  /** Another replica holds the lock now (ours was lost): stop consuming, there is nothing to release. */
  | { kind: "drop"; partition: number; reason: string };

/**
 * What this replica should do now, from one snapshot. Rules, in order:
 * 1. A partition it consumes whose lock it lost (the lock connection dropped): re-acquire it if free;
 *    if another replica holds it now, stop consuming it. An earlier session of its own still holding it
 *    (PostgreSQL has not noticed that session is gone) keeps it consuming, waiting. A replica left with
 *    no partition at all claims one as a new replica does.
 * 2. Every partition < n must have an owner: a free one is claimed at once by the replica that prefers
 *    it and by a replica that owns no partition < n, and after `takeoverGraceMs` by any replica (its
 *    owner died; it may have been reconnecting) — 3 × that while another replica waits for one.
 * 3. A replica holding several partitions < n hands one over while another replica holds none < n (it
 *    releases it; the other claims it at once by rule 2): the one that replica prefers if it holds
 *    it, else its highest one that is not its own preference. And a replica gives way (releases) a
 *    partition < n that another live replica prefers, unless it prefers it itself: that replica
 *    claims it at once, and a replica without a partition in use leaves it to it (for the grace period).
 * 4. A partition ≥ n (no longer in use: n shrank, or it was claimed for leftovers) is consumed until
 *    its queue is empty and quiet, then released; the replica's last partition is kept until it holds
 *    one < n, so that it stays visible (to rule 3) as a replica waiting for one.
 * 5. A free partition ≥ n whose queue still holds readings is claimed, to drain it (rule 4).
 */
export function planPartitions(view: PartitionView): PartitionAction[] {
  const actions: PartitionAction[] = [];
  const inUse = (p: number) => p < view.n;
  const isMine = (p: number) => {
    const holder = view.holders.get(p)?.holder;
    return holder === "me" || holder === "me-before";
  };

  // 1. Partitions whose lock was lost.
  const kept: number[] = [];
  for (const p of view.held.keys()) {
    const holder = view.holders.get(p)?.holder;
    if (holder === undefined) {
      actions.push({ kind: "claim", partition: p, reason: "re-acquiring its lock" });
      kept.push(p);
    } else if (holder === "other") {
      actions.push({ kind: "drop", partition: p, reason: "another replica holds its lock now" });
    } else {
      kept.push(p);
    }
  }
  let primaries = kept.filter(inUse).length;
  /** Partitions in use it holds already (not counting claims of this round, which may fail). */
  const heldInUse = primaries;

  // Other replicas holding no partition in use: they claim free ones at once (rule 2), so a replica that
  // has one leaves them longer to do so (else a hand-over could bounce back under load).
  const waiting = [...view.sessions.entries()].filter(([pid, partitions]) => !isMineSession(view, pid) && !partitions.some(inUse)).map(([pid]) => pid);
  const graceMs = waiting.length ? 3 * view.takeoverGraceMs : view.takeoverGraceMs;

  // Partitions other live replicas prefer (Swarm: their task slot - 1): they claim them at once when free.
  const preferredByOther = new Map<number, number>();
  for (const [pid, preferred] of view.preferences) if (!isMineSession(view, pid) && view.sessions.has(pid)) preferredByOther.set(preferred, pid);

  // 2. Free partitions in use (this replica's preferred one first).
  const free = Array.from({ length: view.n }, (_, p) => p).filter((p) => !view.holders.has(p) && !view.held.has(p));
  if (view.preferred !== undefined && free.includes(view.preferred)) free.unshift(...free.splice(free.indexOf(view.preferred), 1));
  for (const p of free) {
    const freeFor = view.now - (view.freeSince.get(p) ?? view.now);
    if (p === view.preferred) {
      actions.push({ kind: "claim", partition: p, reason: "its preferred partition, free" });
      primaries++;
    } else if (primaries === 0 && (!preferredByOther.has(p) || freeFor >= view.takeoverGraceMs)) {
      actions.push({ kind: "claim", partition: p, reason: "a partition in use without a consumer" });
      primaries++;
    } else if (freeFor >= graceMs) {
      actions.push({ kind: "claim", partition: p, reason: `taking over: no consumer for ${(freeFor / 1000).toFixed(1)} s` });
      primaries++;
    }
  }

  // Holding nothing (its lock was lost and another replica holds that partition now) and nothing in use
  // free: it claims a free partition ≥ n, as a new replica would, to be seen waiting (rule 3).
  if (kept.length === 0 && primaries === 0) {
    let p = view.n;
    while (view.holders.has(p)) p++;
    actions.push({ kind: "claim", partition: p, reason: "holding no partition: waiting for one in use" });
  }

  // 3. Hand over an extra partition in use to a replica that has none.
  const myInUse = kept.filter((p) => inUse(p) && view.holders.get(p)?.holder === "me").sort((a, b) => a - b);
  if (myInUse.length >= 2) {
    if (waiting.length) {
      const wanted = waiting.map((pid) => view.preferences.get(pid)).find((p) => p !== undefined && p !== view.preferred && myInUse.includes(p));
      const partition = wanted ?? myInUse.filter((p) => p !== view.preferred).at(-1)!;
      actions.push({ kind: "release", partition, reason: "handing it over to a replica without a partition in use" });
    }
  }

  // 3b. Give way: a partition in use that another live replica prefers (and will claim at once), unless
  // it is this replica's own preference. Every such step puts one more replica on its preferred
  // partition for good, so this converges; the replica left without a partition waits as a new one does.
  if (!actions.some((a) => a.kind === "release")) {
    const mine = kept.filter((p) => inUse(p) && view.holders.get(p)?.holder === "me" && p !== view.preferred);
    const yielded = mine.find((p) => preferredByOther.has(p));
    if (yielded !== undefined) actions.push({ kind: "release", partition: yielded, reason: "giving way to the replica that prefers it" });
  }

  // 4. Drain partitions no longer in use, then release them.
  const notInUse = kept.filter((p) => !inUse(p) && view.holders.get(p)?.holder === "me").sort((a, b) => a - b);
  for (const p of notInUse) {
    const held = view.held.get(p)!;
    const drained = (view.backlog.get(p) ?? 0) === 0 && view.now - held.lastDeliveryAt >= view.drainQuietMs && view.now - held.since >= view.drainQuietMs;
    if (!drained) continue;
    if (heldInUse === 0 && p === notInUse[0]) continue; // keep one partition until it holds one in use
    actions.push({ kind: "release", partition: p, reason: `drained: not in use with ${view.n} partition(s)` });
  }

  // 5. Leftover readings in free partitions no longer in use.
  for (let p = view.n; p < view.scanLimit; p++) {
    if (view.holders.has(p) || view.held.has(p) || isMine(p)) continue;
    const backlog = view.backlog.get(p) ?? 0;
    if (backlog > 0) actions.push({ kind: "claim", partition: p, reason: `draining ${backlog} leftover reading(s)` });
  }
  return actions;
}

function isMineSession(view: PartitionView, pid: number): boolean {
  for (const { holder, pid: holderPid } of view.holders.values()) {
    if (holderPid === pid) return holder !== "other";
  }
  return false;
}

/** A consumer of one partition queue; it connects (and reconnects) to RabbitMQ by itself. */
export interface PartitionConsumer {
  /** Resolves once it consumes; rejects if stopped first. */
  ready: Promise<void>;
  /** Stops consuming, lets in-flight readings commit and be acked, closes. */
  stop(): Promise<void>;
  connected(): boolean;
}

export interface PartitionManagerOptions {
  locks: PartitionLocks;
  stats: QueueStats;
  names: QueueNames;
  /** PARTITION_COUNT: the partition count the balancer starts with; partitions below it are always looked after. */
  expectedPartitionCount: number;
  /** Claimed first if free (Swarm: task slot - 1), when below max(live replicas + 1, expectedPartitionCount). */
  preferredPartition?: number;
  intervalMs: number;
  takeoverGraceMs: number;
  drainQuietMs: number;
  log: Logger;
  /** Starts consuming the queue of `partition`; `onDelivery` is called for each reading it receives. */
  startConsumer(partition: number, onDelivery: () => void): PartitionConsumer;
}

interface Held extends HeldPartition {
  consumer: PartitionConsumer;
}

export class PartitionManager {
  private readonly held = new Map<number, Held>();
  private readonly freeSince = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private tickRunning: Promise<void> | undefined;
  private stopped = false;
  private lastN: number | undefined;

  constructor(private readonly options: PartitionManagerOptions) {}

  /** The partitions this replica consumes, ascending. */
  partitions(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  /** The live partition count at the last tick. */
  partitionCount(): number | undefined {
    return this.lastN;
  }

  connected(): boolean {
    return [...this.held.values()].every((h) => h.consumer.connected());
  }

  /**
   * The first claim: the preferred partition if free and useful, else the lowest free one (the
   * partition a new replica brings, n → n+1). Retries until one is claimed; resolves with it.
   */
  async join(): Promise<number> {
    const { log, locks, names, stats } = this.options;
    for (let attempt = 1; ; attempt++) {
      if (this.stopped) throw new Error("stopped before a partition was claimed");
      try {
        const others = await liveReplicaCount(stats, names);
        const { holders } = await locks.holders();
        const limit = Math.max(others + 1, this.options.expectedPartitionCount);
        const candidates = new Set<number>();
        const preferred = this.options.preferredPartition;
        if (preferred !== undefined && preferred < limit) candidates.add(preferred);
        for (let p = 0; candidates.size < limit + holders.size + 1; p++) candidates.add(p);
        for (const p of candidates) {
          if (holders.has(p)) continue;
          if (!(await locks.tryLock(p))) continue;
          const consumer = this.consume(p);
          try {
            await consumer.ready;
          } catch (error) {
            this.held.delete(p);
            await consumer.stop().catch(() => undefined);
            await locks.unlock(p).catch(() => undefined);
            throw error;
          }
          return p;
        }
      } catch (error) {
        log.warn(`could not claim a partition yet (${error instanceof Error ? error.message : String(error)}); retrying`);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 250 * attempt)));
    }
  }

  /** Starts the periodic decisions (after join, once this replica counts as live). */
  start(): void {
    const schedule = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.tickRunning = this.tick().finally(() => {
          this.tickRunning = undefined;
          schedule();
        });
      }, this.options.intervalMs);
      this.timer.unref();
    };
    schedule();
  }

  /** One round of decisions; exported for tests, which drive it themselves. */
  async tick(): Promise<void> {
    const { locks, stats, names, log } = this.options;
    let view: PartitionView;
    try {
      const n = await liveReplicaCount(stats, names);
      if (n === 0) return; // RabbitMQ counts no replica (our own consumer is reconnecting): decide nothing
      const { holders, sessions, preferences } = await locks.holders();
      const known = await locks.knownPartitionCount();
      const scanLimit = Math.max(this.options.expectedPartitionCount, known, n, ...[...this.held.keys()].map((p) => p + 1));
      const now = Date.now();
      for (let p = 0; p < scanLimit; p++) {
        if (holders.has(p)) this.freeSince.delete(p);
        else if (!this.freeSince.has(p)) this.freeSince.set(p, now);
      }
      const backlog = new Map<number, number>();
      for (let p = n; p < scanLimit; p++) {
        const holder = holders.get(p)?.holder;
        if (holder === undefined || holder === "me") backlog.set(p, (await stats.counts(names.partition(p)))?.messages ?? 0);
      }
      if (n !== this.lastN) {
        log.info(`${n} live replica(s): partitions in use 0..${n - 1}; this replica consumes ${this.describe()}`);
        this.lastN = n;
      }
      view = {
        now,
        n,
        scanLimit,
        holders,
        sessions,
        preferences,
        preferred: this.options.preferredPartition,
        held: this.held,
        freeSince: this.freeSince,
        backlog,
        takeoverGraceMs: this.options.takeoverGraceMs,
        drainQuietMs: this.options.drainQuietMs,
      };
    } catch (error) {
      log.debug(`partition check skipped: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    for (const action of planPartitions(view)) {
      if (this.stopped) return;
      try {
        await this.apply(action);
      } catch (error) {
        log.warn(`could not ${action.kind} partition ${action.partition}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  /** Stops deciding (no claim or release from now on); the partitions held are still consumed. */
  async halt(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.tickRunning;
  }

  /** Stops deciding, stops every consumer (in-flight readings committed and acked), releases the locks. */
  async stop(): Promise<void> {
    await this.halt();
    const held = [...this.held.values()];
    this.held.clear();
    await Promise.all(held.map((h) => h.consumer.stop()));
    await this.options.locks.close();
  }

  private async apply(action: PartitionAction): Promise<void> {
    const { locks, names, log } = this.options;
    const queue = names.partition(action.partition);
    switch (action.kind) {
      case "claim": {
        if (!(await locks.tryLock(action.partition))) return; // another replica was quicker
        if (this.held.has(action.partition)) {
          log.info(`${queue}: lock re-acquired`);
          return;
        }
        // Not waiting for the consumer to connect: it does by itself, and a tick must not hang on RabbitMQ.
        this.consume(action.partition);
        log.info(`consuming ${queue} (${action.reason}); now ${this.describe()}`);
        return;
      }
      case "release":
      case "drop": {
        const held = this.held.get(action.partition);
        if (!held) return;
        this.held.delete(action.partition);
        await held.consumer.stop();
        // Unlocked only once its in-flight readings are committed and acked.
        if (action.kind === "release") await locks.unlock(action.partition);
        log.info(`stopped consuming ${queue} (${action.reason}); now ${this.describe()}`);
        return;
      }
    }
  }

  /** Starts consuming a partition whose lock this replica now holds. */
  private consume(partition: number): PartitionConsumer {
    const now = Date.now();
    const times: HeldPartition = { since: now, lastDeliveryAt: now };
    const consumer = this.options.startConsumer(partition, () => {
      times.lastDeliveryAt = Date.now();
    });
    this.held.set(partition, Object.assign(times, { consumer }));
    this.freeSince.delete(partition);
    void this.options.locks.recordClaim(partition).catch((error: unknown) => {
      this.options.log.warn(`could not record the claim of partition ${partition}: ${String(error)}`);
    });
    return consumer;
  }

  private describe(): string {
    const partitions = this.partitions();
    return partitions.length ? partitions.map((p) => this.options.names.partition(p)).join(", ") : "nothing";
  }
}
