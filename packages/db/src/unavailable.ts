/**
 * Tells "the database is away" (restarting, stopped, refusing connections) from a failed statement, for
 * any of the Prisma clients (driver adapter @prisma/adapter-pg) or plain pg: a caller can then answer
 * "temporarily unavailable, try again" instead of reporting an internal error.
 */
/** Driver-adapter error kinds (@prisma/adapter-pg) that mean the database cannot be reached right now. */
const UNREACHABLE_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
/** PostgreSQL codes of the same: connection exceptions (class 08), shutdown or start-up (57P0x), no connections allowed. */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-4]|53300)$/;
/** Prisma's own codes for an unreachable server or a closed connection. */
const UNAVAILABLE_PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2037"]);
/** pg errors without a code (a connection closed under a query, a pool that cannot connect in time). */
const UNAVAILABLE_MESSAGE = /Connection terminated|not currently accepting connections|timeout exceeded when trying to connect|ECONNREFUSED|ECONNRESET/i;

/**
 * Whether a failed statement failed because its database is away (restarting, stopped,
 * refusing connections) rather than because of the statement: the caller can then say so and the
 * user can simply try again once it is back.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current !== null && typeof current === "object" && depth < 5; depth++) {
    const { code, meta, message, cause } = current as { code?: unknown; meta?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === "string" && (UNAVAILABLE_PRISMA_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
    const adapterCause = (meta as { driverAdapterError?: { cause?: { kind?: unknown; code?: unknown; message?: unknown } } } | undefined)
      ?.driverAdapterError?.cause;
    if (adapterCause) {
      if (typeof adapterCause.kind === "string" && UNREACHABLE_KINDS.has(adapterCause.kind)) return true;
      if (typeof adapterCause.code === "string" && UNAVAILABLE_SQLSTATE.test(adapterCause.code)) return true;
      if (typeof adapterCause.message === "string" && UNAVAILABLE_MESSAGE.test(adapterCause.message)) return true;
    }
    if (typeof message === "string" && UNAVAILABLE_MESSAGE.test(message)) return true;
    current = cause;
  }
  return false;
}
