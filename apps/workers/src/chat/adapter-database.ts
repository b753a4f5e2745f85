import { EventEmitter } from "node:events";
import pg from "pg";
import type { Logger } from "@ems/messaging";

/** Connections for NOTIFY, attachments and the adapter's cleanup; one more is the LISTEN connection. */
const QUERY_POOL_SIZE = 4;
/** A broadcast waits for its NOTIFY before reaching this process's own sockets: never wait long. */
const QUERY_TIMEOUT_MS = 5_000;
/** Reconnection delays of the LISTEN connection: doubling from the first to the last, with jitter. */
const LISTEN_RETRY_FIRST_MS = 250;
const LISTEN_RETRY_MAX_MS = 5_000;
/** The same database error is logged at most once per this interval (a broadcast fails on every emit). */
const REPEATED_WARNING_MS = 10_000;

/**
 * The chat database as the Socket.IO Postgres adapter (@socket.io/postgres-adapter 0.5) uses it: a
 * pool for NOTIFY and attachments, and one dedicated connection holding LISTEN.
 *
 * The adapter takes a `pg.Pool` and checks one client out of it for LISTEN, forever. Left to itself it
 * puts no 'error' listener on that client (pg-pool only listens on idle ones), so a PostgreSQL restart
 * — "terminating connection due to administrator command" on an idle connection — is an unhandled
 * 'error' event that kills the process; and the dead client is never released, so the pool, and the
 * shutdown waiting on `pool.end()`, would wait for it forever. Here the adapter gets, in place of the
 * pool, `pool.query` for everything it publishes and, as its "pool client", a {@link ListenConnection}
 * that is ours: it never ends while the server runs, reconnects by itself with backoff and re-issues
 * every LISTEN the adapter asked for. Notifications sent while it is away are lost (NOTIFY is not
 * durable): a broadcast made during a database outage reaches this process's sockets only.
 * Only `query` and `connect` are provided, which is all the adapter 0.5.x calls on its pool.
 */
export class AdapterDatabase {
  private readonly pool: pg.Pool;
  private readonly listeners = new Set<ListenConnection>();

  constructor(
    private readonly connectionString: string,
    private readonly log: Logger,
  ) {
    this.pool = new pg.Pool({
      connectionString,
      max: QUERY_POOL_SIZE,
      connectionTimeoutMillis: QUERY_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
    });
    // Idle connections terminated by the server: the pool drops them and opens new ones on demand.
    const warn = throttledWarning(log);
    this.pool.on("error", (error) => warn(`adapter database connection lost: ${error.message}`));
  }

  /** What to hand to `createAdapter` in place of a pg.Pool: the adapter only calls `query` and `connect`. */
  forAdapter(): pg.Pool {
    const facade = {
      query: (text: string, values?: unknown[]) => this.pool.query(text, values),
      connect: () => Promise.resolve(this.listen()),
    };
    return facade as unknown as pg.Pool;
  }

  /** Closes the LISTEN connection(s) (if the adapter has not already) and the pool. */
  async end(): Promise<void> {
    await Promise.all([...this.listeners].map((listener) => listener.release()));
    await this.pool.end();
  }

  private listen(): ListenConnection {
    const listener = new ListenConnection(this.connectionString, this.log);
    this.listeners.add(listener);
    return listener;
  }
}

/**
 * What the adapter takes for its LISTEN client: it calls `query('LISTEN "…"')`, listens for
 * 'notification' (and 'end', which this never emits: reconnecting is done here) and finally
 * `release()`. Behind it, one pg.Client at a time, replaced whenever the server drops it.
 */
export class ListenConnection extends EventEmitter {
  private readonly channels = new Set<string>();
  private client: pg.Client | undefined;
  private listening = false;
  private released = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = LISTEN_RETRY_FIRST_MS;
  /** Set once connected: later connections are reconnections, which are logged. */
  private everConnected = false;
  private readonly warn: (message: string) => void;
  private releasing: Promise<void> | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly log: Logger,
  ) {
    super();
    this.warn = throttledWarning(log);
    this.connect();
  }

  /**
   * The adapter's only statement: `LISTEN "<channel>"`. Remembered, so that it is issued again on every
   * new connection; never rejects (the adapter would otherwise start a second connection of its own).
   */
  async query(text: string): Promise<void> {
    const channel = /^LISTEN "(.+)"$/.exec(text)?.[1];
    if (channel === undefined) throw new Error(`unexpected statement on the LISTEN connection: ${text}`);
    if (this.channels.has(channel)) return;
    this.channels.add(channel);
    const client = this.client;
    if (client && this.listening) await client.query(text).catch((error: unknown) => this.warn(`LISTEN ${channel} failed: ${String(error)}`));
  }

  /** Ends the connection for good (the adapter closes; the server shuts down). Idempotent. */
  release(): Promise<void> {
    this.releasing ??= (async () => {
      this.released = true;
      clearTimeout(this.retryTimer);
      this.removeAllListeners("notification");
      const client = this.client;
      this.client = undefined;
      this.listening = false;
      await client?.end().catch(() => undefined);
    })();
    return this.releasing;
  }

  private connect(): void {
    if (this.released) return;
    const client = new pg.Client({ connectionString: this.connectionString, keepAlive: true });
    this.client = client;
    // Every error is also an 'end' (or a failed connect below): log it here, reconnect there.
    client.on("error", (error) => this.warn(`adapter LISTEN connection lost: ${error.message}`));
    client.on("notification", (message) => this.emit("notification", message));
    client.once("end", () => this.lost(client));
    void (async () => {
      try {
        await client.connect();
        for (const channel of this.channels) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      } catch (error) {
        this.warn(`adapter LISTEN connection failed: ${error instanceof Error ? error.message : String(error)}`);
        // A failed connect may or may not emit 'end': make sure it does, exactly once.
        await client.end().catch(() => undefined);
        this.lost(client);
        return;
      }
      if (this.client !== client) return;
      this.listening = true;
      this.retryDelayMs = LISTEN_RETRY_FIRST_MS;
      if (this.everConnected) this.log.info(`adapter LISTEN re-established (${[...this.channels].join(", ")})`);
      this.everConnected = true;
    })();
  }

  /** The current connection is gone (or never came): try again later, unless released. */
  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.listening = false;
    if (this.released) return;
    const delay = Math.round(this.retryDelayMs * (0.75 + Math.random() / 2));
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, LISTEN_RETRY_MAX_MS);
    this.log.debug(`adapter LISTEN connection: reconnecting in ${delay} ms`);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}

/**
 * A warning function that logs a given message once per {@link REPEATED_WARNING_MS} (with how many were
 * skipped): during a database outage every broadcast fails the same way.
 */
export function throttledWarning(log: Logger, intervalMs = REPEATED_WARNING_MS): (message: string) => void {
  const last = new Map<string, { at: number; skipped: number }>();
  return (message) => {
    const now = Date.now();
    const seen = last.get(message);
    if (seen && now - seen.at < intervalMs) {
      seen.skipped++;
      return;
    }
    log.warn(seen?.skipped ? `${message} (and ${seen.skipped} more like it)` : message);
    last.set(message, { at: now, skipped: 0 });
    if (last.size > 100) last.delete(last.keys().next().value as string);
  };
}
