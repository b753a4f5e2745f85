import pg from "pg";
import type { Logger } from "@ems/messaging";
import { partitionLockClass } from "@ems/contracts/partition-locks";

// The lock class is shared with the admin console, which reads who holds which partition.
export { partitionLockClass };

export interface PartitionLocksOptions {
  databaseUrl: string;
  queuePrefix: string;
  /** Shows in pg_stat_activity, and in monitoring_partitions.last_claimed_by. */
  applicationName: string;
  /** The partition this replica would rather have (Swarm: task slot - 1); the others can read it. */
  preferredPartition?: number;
  log: Logger;
  /** Called when the lock connection is lost: every lock it held is gone with it. */
  onLost?: () => void;
}

/** Who holds a partition's lock: this replica's current session, an earlier session of it, or another replica. */
export type LockHolder = "me" | "me-before" | "other";

/**
 * Session-level advisory locks, one per partition, on a dedicated connection: holding the lock of
 * partition i means "I consume sensor.queue.i". PostgreSQL releases a session's locks when the session
 * ends, so a replica that stops, crashes or is killed frees its partitions for the others; TCP
 * keepalives on both ends (a few seconds idle, then probes) end the session of a replica whose host or
 * network vanished, instead of PostgreSQL waiting hours for the socket to time out.
 *
 * The connection opens lazily and again after it was lost (the next call); a call while the database
 * is away throws. The caller re-acquires its partitions after a loss (see PartitionManager).
 */
export class PartitionLocks {
  readonly lockClass: number;
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private pid: number | undefined;
  /** Backend pids of this replica's earlier lock sessions: one may still hold a lock until PostgreSQL notices it is gone. */
  private readonly earlierPids = new Set<number>();
  private closed = false;

  constructor(private readonly options: PartitionLocksOptions) {
    this.lockClass = partitionLockClass(options.queuePrefix);
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  /** pg_try_advisory_lock: true if this session now holds partition's lock (also when it already did). */
  async tryLock(partition: number): Promise<boolean> {
    const client = await this.connection();
    const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS locked", [this.lockClass, partition]);
    return rows[0]?.locked === true;
  }

  /** Releases partition's lock if this session holds it (a lost session holds nothing to release). */
  async unlock(partition: number): Promise<void> {
    const client = this.client;
    if (!client) return;
    // Session locks stack: a partition locked twice by this session needs as many unlocks.
    for (;;) {
      const { rows } = await client.query<{ unlocked: boolean }>("SELECT pg_advisory_unlock($1, $2) AS unlocked", [this.lockClass, partition]);
      if (rows[0]?.unlocked !== true) return;
    }
  }

  /**
   * Every held partition lock of this prefix and who holds it; `sessions`: each holding session (one
   * per replica) with its partitions; `preferences`: the preferred partition of those that have one.
   */
  async holders(): Promise<{
    holders: Map<number, { holder: LockHolder; pid: number }>;
    sessions: Map<number, number[]>;
    preferences: Map<number, number>;
  }> {
    const client = await this.connection();
    const { rows } = await client.query<{ partition: number; pid: number; application_name: string | null }>(
      `SELECT l.objid::integer AS partition, l.pid, a.application_name
         FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = $1::integer::oid
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [this.lockClass],
    );
    const holders = new Map<number, { holder: LockHolder; pid: number }>();
    const sessions = new Map<number, number[]>();
    const preferences = new Map<number, number>();
    for (const { partition, pid, application_name: name } of rows) {
      holders.set(partition, { holder: pid === this.pid ? "me" : this.earlierPids.has(pid) ? "me-before" : "other", pid });
      sessions.set(pid, [...(sessions.get(pid) ?? []), partition]);
      const preferred = /-prefers-(\d+)$/.exec(name ?? "")?.[1];
      if (preferred !== undefined) preferences.set(pid, Number(preferred));
    }
    return { holders, sessions, preferences };
  }

  /** Records that this replica claimed partition (monitoring_partitions). */
  async recordClaim(partition: number): Promise<void> {
    const client = await this.connection();
    await client.query(
      `INSERT INTO monitoring_partitions (queue_prefix, partition_index, last_claimed_by) VALUES ($1, $2, $3)
       ON CONFLICT (queue_prefix, partition_index) DO UPDATE SET last_claimed_at = now(), last_claimed_by = EXCLUDED.last_claimed_by`,
      [this.options.queuePrefix, partition, this.options.applicationName],
    );
  }

  /** 1 + the highest partition index ever claimed under this prefix (0 if none). */
  async knownPartitionCount(): Promise<number> {
    const client = await this.connection();
    const { rows } = await client.query<{ count: number }>(
      "SELECT coalesce(max(partition_index) + 1, 0)::integer AS count FROM monitoring_partitions WHERE queue_prefix = $1",
      [this.options.queuePrefix],
    );
    return rows[0]?.count ?? 0;
  }

  /** Ends the session, which releases every lock it holds. */
  async close(): Promise<void> {
    this.closed = true;
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private connection(): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new Error("partition locks closed"));
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<pg.Client> {
    const preferred = this.options.preferredPartition;
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      // How the other replicas learn this one's preference (rule 3 of planPartitions).
      application_name: preferred === undefined ? this.options.applicationName : `${this.options.applicationName}-prefers-${preferred}`,
      connectionTimeoutMillis: 5_000,
      // A query that gets no answer (a half-open connection) fails instead of stalling the replica's decisions.
      query_timeout: 10_000,
      // Client side: notice a dead server or network; server side: end this session (releasing its
      // locks) within about 10 + 3 × 5 s of this replica's host or network vanishing.
      keepAlive: true,
      keepAliveInitialDelayMillis: 5_000,
      options: "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3",
    });
    const lost = (reason: string) => {
      if (this.client !== client) return;
      this.client = undefined;
      if (this.pid !== undefined) this.earlierPids.add(this.pid);
      this.pid = undefined;
      if (this.closed) return;
      this.options.log.warn(`lost the partition-lock connection to PostgreSQL (${reason}); its locks are gone, re-acquiring them`);
      this.options.onLost?.();
    };
    client.on("error", (error) => lost(error.message));
    client.on("end", () => lost("connection ended"));
    try {
      await client.connect();
      const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      if (this.closed) throw new Error("partition locks closed");
      this.pid = rows[0]?.pid;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    return client;
  }
}
