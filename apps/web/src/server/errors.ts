import type { ZodError } from "zod";

/**
 * The failures a domain function reports on purpose. tRPC and the REST routes both map them, so a
 * caller gets the same answer whichever way it asks (REST body: `{error: {code, message}}`).
 */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type DomainErrorCode = keyof typeof ERROR_STATUS;

export class DomainError extends Error {
  override name = "DomainError";

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** For TOO_MANY_REQUESTS: seconds until the caller may try again (the Retry-After header). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const badRequest = (message: string) => new DomainError("BAD_REQUEST", message);
export const unauthorized = (message = "Sign in first") => new DomainError("UNAUTHORIZED", message);
export const forbidden = (message = "You may not do this") => new DomainError("FORBIDDEN", message);
export const notFound = (message: string) => new DomainError("NOT_FOUND", message);
export const conflict = (message: string) => new DomainError("CONFLICT", message);
export const payloadTooLarge = (maxBytes: number) =>
  new DomainError("PAYLOAD_TOO_LARGE", `The request body is larger than the ${maxBytes / 1024} KiB allowed`);
export const tooManyRequests = (retryAfterSeconds: number) =>
  new DomainError("TOO_MANY_REQUESTS", `Too many failed attempts; try again in ${retryAfterSeconds} s`, retryAfterSeconds);

/** A database the answer needs is away (restarting, stopped): nothing is wrong with the request, try again. */
export const serviceUnavailable = (message: string) => new DomainError("SERVICE_UNAVAILABLE", message);

/** One readable line from a zod error: `date: must be YYYY-MM-DD; tz: unknown time zone`. */
export function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}

/** Parses with a zod schema; a failure becomes a 400 with a readable message. */
export function parseInput<T>(schema: { safeParse(input: unknown): { success: true; data: T } | { success: false; error: ZodError } }, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) throw badRequest(describeZodError(result.error));
  return result.data;
}

/** Prisma's unique-constraint violation (P2002), told apart without importing one client's error class. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "P2002";
}

/** Prisma's "record to update/delete does not exist" (P2025). */
export function isRecordNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "P2025";
}
