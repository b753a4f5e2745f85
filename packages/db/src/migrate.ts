import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { resolveBinary } from "dbmate";
import pRetry from "p-retry";
import pg from "pg";
import { databaseNameOf, withDatabaseName, type DatabaseName } from "./databases.ts";

const run = promisify(execFile);
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export function migrationsDir(name: DatabaseName): string {
  return path.join(packageRoot, "databases", name, "migrations");
}

export function prismaSchemaPath(name: DatabaseName): string {
  return path.join(packageRoot, "databases", name, "schema.prisma");
}

export interface MigrateOptions {
  /**
   * How long to keep retrying a server that is not reachable yet (a container started before its
   * database): 0 makes one attempt. Only transient connection failures are retried.
   */
  waitMs?: number;
  /** Receives one line per wait. */
  log?: (line: string) => void;
  /** Runs after the migrations, still under the migration lock, on its connection (e.g. setting a role's password). */
  afterMigrations?: (client: pg.Client) => Promise<void>;
}

// Backoff between connection attempts: 0.5 s, doubling, at most 5 s.
const FIRST_RETRY_DELAY_MS = 500;
const MAX_RETRY_DELAY_MS = 5_000;
// One attempt must not hang on a host that drops packets: TCP's own connect timeout is minutes.
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Failures of a server that is not up yet: its name does not resolve yet (Swarm registers it once the
 * task runs), nothing listens yet, or PostgreSQL is starting (57P03) or full (53300).
 */
const TRANSIENT_ERROR_CODES = new Set([
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "57P03",
  "53300",
]);
// pg's messages for a socket closed during start-up and for CONNECT_TIMEOUT_MS running out; both have no code.
const TRANSIENT_ERROR_MESSAGES = new Set(["Connection terminated unexpectedly", "timeout expired"]);

/** Node reports a failed connect to a host with several addresses as an AggregateError of each. */
function innerErrors(error: unknown): unknown[] {
  return error instanceof AggregateError && error.errors.length ? error.errors : [error];
}

export function isTransientConnectionError(error: unknown): boolean {
  return innerErrors(error).some((inner) => {
    if (!(inner instanceof Error)) return false;
    const { code } = inner as { code?: unknown };
    return (typeof code === "string" && TRANSIENT_ERROR_CODES.has(code)) || TRANSIENT_ERROR_MESSAGES.has(inner.message);
  });
}

/** A short description that names the cause and never the password: "ENOTFOUND chat-db", "57P03 the database system is starting up". */
export function describeConnectionError(error: unknown): string {
  const [first] = innerErrors(error);
  if (!(first instanceof Error)) return String(first);
  const { code, syscall } = first as NodeJS.ErrnoException;
  // Node's "getaddrinfo ENOTFOUND chat-db": the syscall says nothing the reader needs.
  if (code && syscall && first.message.startsWith(`${syscall} `)) return first.message.slice(syscall.length + 1);
  return code && !first.message.startsWith(code) ? `${code} ${first.message}` : first.message;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`;
}

async function connectClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  await client.connect();
  return client;
}

/**
 * Runs `attempt` until it succeeds, retrying transient connection failures with a capped exponential
 * backoff until `waitMs` has passed. Any other failure ends it at once.
 */
async function retryWhileUnreachable<T>(
  name: DatabaseName,
  { waitMs = 0, log = console.warn }: MigrateOptions,
  attempt: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  try {
    return await pRetry(attempt, {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: FIRST_RETRY_DELAY_MS,
      factor: 2,
      maxTimeout: MAX_RETRY_DELAY_MS,
      maxRetryTime: waitMs,
      // p-retry asks only while time is left, and then waits min(backoff, time left): a `true` here
      // is a wait, so this is where it is logged (its callbacks are not told the delay).
      shouldRetry: ({ error, retriesConsumed }) => {
        if (!isTransientConnectionError(error)) return false;
        const backoff = Math.min(FIRST_RETRY_DELAY_MS * 2 ** retriesConsumed, MAX_RETRY_DELAY_MS);
        const delay = Math.max(0, Math.min(backoff, waitMs - (performance.now() - started)));
        log(`database ${name}: not reachable yet (${describeConnectionError(error)}), retrying in ${formatSeconds(delay)}`);
        return true;
      },
    });
  } catch (error) {
    const description = describeConnectionError(error);
    if (isTransientConnectionError(error)) {
      const waited = waitMs > 0 ? ` after waiting ${formatSeconds(performance.now() - started)}` : "";
      throw new Error(`database ${name}: not reachable${waited} (${description}); is the server up and its host name right?`, {
        cause: error,
      });
    }
    throw new Error(`database ${name}: ${description} (not a transient connection failure, so not retried)`, { cause: error });
  }
}

/** Creates the database named in `url` if it does not exist yet (connecting to `postgres`). */
export async function ensureDatabase(url: string): Promise<boolean> {
  const database = databaseNameOf(url);
  const admin = await connectClient(withDatabaseName(url, "postgres"));
  try {
    const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (rowCount) return false;
    try {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    } catch (error) {
      // Another process created it between our check and our CREATE: that is fine.
      if ((error as { code?: string }).code !== "42P04") throw error;
      return false;
    }
    return true;
  } finally {
    await admin.end();
  }
}

/** Replaces the URL's password, as written and decoded, wherever it appears in `text`. */
function redactPassword(text: string, url: URL): string {
  const forms = new Set([url.password]);
  try {
    forms.add(decodeURIComponent(url.password));
  } catch {
    // Not valid percent-encoding: only the form as written can appear.
  }
  let redacted = text;
  for (const form of forms) if (form) redacted = redacted.replaceAll(form, "***");
  return redacted;
}

async function runDbmateUp(name: DatabaseName, url: string): Promise<string> {
  const dbmateUrl = new URL(url);
  if (!dbmateUrl.searchParams.has("sslmode")) dbmateUrl.searchParams.set("sslmode", "disable");
  try {
    // dbmate's binary ships inside its npm package (an optional dependency per platform).
    const { stdout } = await run(resolveBinary(), ["--migrations-dir", migrationsDir(name), "--no-dump-schema", "up"], {
      // The URL (with its password) goes through the environment, where dbmate looks for DATABASE_URL:
      // on the command line it would show in `ps` and in execFile's error message.
      // eslint-disable-next-line no-restricted-properties -- passing the environment on to the child, not reading settings
      env: { ...process.env, DATABASE_URL: dbmateUrl.toString() },
    });
    return stdout.trim();
  } catch (error) {
    // execFile's message repeats the command line and stderr: rebuild it from stderr alone, redacted.
    const { code, stderr, message } = error as { code?: number | string; stderr?: string; message: string };
    const detail = redactPassword(stderr?.trim() || message, dbmateUrl);
    // eslint-disable-next-line preserve-caught-error -- the caught error is left off on purpose: it holds stderr unredacted
    throw new Error(`database ${name}: dbmate up failed (exit ${code ?? "unknown"}): ${detail}`);
  }
}

/**
 * Applies pending migrations with dbmate, first waiting up to `waitMs` for a server that is not
 * reachable yet. An advisory lock held for the duration makes it safe for several processes (e.g.
 * two replicas starting together) to migrate the same database at once: the second waits, then
 * finds nothing pending.
 */
export async function migrate(name: DatabaseName, url: string, options: MigrateOptions = {}): Promise<string> {
  // Creating the database is idempotent, so a retry may repeat it along with the lock's connection.
  const lock = await retryWhileUnreachable(name, options, async () => {
    await ensureDatabase(url);
    return connectClient(url);
  });
  try {
    await lock.query("SELECT pg_advisory_lock(hashtext('ems:migrations'))");
    const output = await runDbmateUp(name, url);
    await options.afterMigrations?.(lock);
    return output;
  } finally {
    await lock.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const admin = await connectClient(withDatabaseName(url, "postgres"));
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseNameOf(url))} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
