import pg from "pg";
import type { Logger } from "@ems/messaging";

/**
 * Monitoring talks to its database through a plain `pg` pool rather than the Prisma client: the hot
 * path is one hand-written statement per batch (array parameters through `unnest`, data-modifying
 * CTEs) that Prisma could only pass through as raw SQL anyway, and `pg` hands numeric columns back as
 * exact decimal strings without a Decimal library in between. The web app reads the same tables
 * through Prisma.
 */
export interface Queryable {
  query<Row extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<Row>>;
}

/**
 * `applicationName` shows in pg_stat_activity, e.g. ems-monitoring-0. No statement may run longer than
 * `statementTimeoutMs` (server side), and no answer is awaited longer than that plus 5 s (client side: a
 * half-open connection never answers at all): a batch stuck on a lock or a dead connection fails as a
 * transient error, is requeued and retried, instead of holding its messages and the replica for ever.
 */
export function createPool(
  connectionString: string,
  maxConnections: number,
  applicationName: string,
  log: Logger,
  { statementTimeoutMs = 30_000 }: { statementTimeoutMs?: number } = {},
): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: maxConnections,
    application_name: applicationName,
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + 5_000,
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    // Hours are UTC clock hours; hourly_consumption's CHECK (date_trunc('hour', hour_start) = hour_start)
    // truncates in the session's time zone, which in e.g. Asia/Kolkata (+05:30) would reject UTC hours.
    options: "-c TimeZone=UTC",
  });
  // An idle connection dropped by a PostgreSQL restart emits here; without a listener the process
  // would crash. The pool replaces it on the next query; failed batches are retried by requeueing.
  pool.on("error", (error) => log.warn(`idle PostgreSQL connection failed: ${error.message}`));
  return pool;
}

/**
 * True when PostgreSQL rejected the data itself (SQLSTATE class 22 "data exception", e.g. a value out of
 * range), or a reading's day has no partition in `readings` (23514 "no partition of relation … found for
 * row": partition maintenance creates them days ahead, so only if it has failed for that long): retrying
 * cannot help, so the message is dead-lettered with PostgreSQL's words. Every other error (connection
 * lost, server shutting down, serialization) is treated as transient and the message is retried.
 */
export function isDataError(error: unknown): error is pg.DatabaseError {
  if (!(error instanceof pg.DatabaseError) || typeof error.code !== "string") return false;
  return error.code.startsWith("22") || (error.code === "23514" && error.message.startsWith("no partition of relation"));
}

/** Runs `work` in one transaction on a connection of `pool`: committed if it resolves, rolled back if it throws. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    client.release();
    return result;
  } catch (error) {
    // Closing the session rolls the transaction back (and it may be the connection that failed).
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}
