import "server-only";
import { NextResponse } from "next/server";
import { ZodError } from "zod";
import { DomainError, describeZodError, payloadTooLarge } from "./errors.ts";

/**
 * The client's address as Traefik reports it. Traefik appends the address it saw to
 * X-Forwarded-For, so the last entry is the one a client cannot forge; X-Real-Ip is Traefik's own.
 * Without a proxy (development) there is no header and every client shares one throttling key.
 */
export function clientIpFrom(headers: Headers): string {
  const realIp = headers.get("x-real-ip")?.trim();
  if (realIp) return realIp.slice(0, 64);
  const forwarded = headers.get("x-forwarded-for")?.split(",").at(-1)?.trim();
  return forwarded ? forwarded.slice(0, 64) : "unknown";
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorResponse(status: number, code: string, message: string, headers?: HeadersInit): NextResponse<ErrorBody> {
  return NextResponse.json({ error: { code, message } }, { status, headers });
}

/** Maps what a route handler threw to the contract's JSON error; only real faults become 500. */
export function errorToResponse(error: unknown): NextResponse<ErrorBody> {
  if (error instanceof DomainError) {
    const headers = error.retryAfterSeconds === undefined ? undefined : { "Retry-After": String(error.retryAfterSeconds) };
    return errorResponse(error.status, error.code, error.message, headers);
  }
  if (error instanceof ZodError) return errorResponse(400, "BAD_REQUEST", describeZodError(error));
  console.error("[web] unexpected error in a route handler", error);
  return errorResponse(500, "INTERNAL_SERVER_ERROR", "Something went wrong on our side");
}

/**
 * Retry-After for a tRPC answer that refused calls as TOO_MANY_REQUESTS (the same header REST sends):
 * the longest wait any refused call of the batch asks for, so a client honouring it retries them all.
 */
export function retryAfterHeader(errors: readonly { cause?: unknown }[]): Record<string, string> {
  const seconds = Math.max(0, ...errors.map(({ cause }) => (cause instanceof DomainError ? (cause.retryAfterSeconds ?? 0) : 0)));
  return seconds > 0 ? { "Retry-After": String(seconds) } : {};
}

/** Wraps a route handler so every failure becomes a JSON error. */
export function jsonRoute<Context>(
  handler: (request: Request, context: Context) => Promise<Response>,
): (request: Request, context: Context) => Promise<Response> {
  return async (request, context) => {
    try {
      return await handler(request, context);
    } catch (error) {
      return errorToResponse(error);
    }
  };
}

/** The largest body a REST route reads: a sign-in is well under 1 KiB. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

/**
 * The largest tRPC request body: the biggest single input (a device with a 2,000-character
 * description) is a few KiB, so this leaves room for batches while refusing multi-megabyte bodies.
 */
export const MAX_TRPC_BODY_BYTES = 256 * 1024;

/**
 * The most calls one batched tRPC request may carry. Without a cap one body could hold thousands of
 * `auth.register` calls, each an argon2 hash (~19 MiB, tens of ms of CPU); pages batch a handful.
 */
export const MAX_TRPC_BATCH_CALLS = 50;

/** next-auth's POST bodies (sign-in form, sign-out, CSRF token) are a few hundred bytes. */
export const MAX_AUTH_BODY_BYTES = 16 * 1024;

/**
 * The request with its body capped at `maxBytes`. Reading the body fails with PAYLOAD_TOO_LARGE
 * (413) at once when the declared Content-Length is over the cap, or as soon as the bytes received
 * pass it (a chunked body declares no length), so an oversized body is never held in memory whole.
 */
export function withBodyLimit(request: Request, maxBytes: number): Request {
  if (request.body === null) return request;
  const declaredBytes = Number(request.headers.get("content-length") ?? 0);
  let receivedBytes = 0;
  const cap = new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      if (declaredBytes > maxBytes) controller.error(payloadTooLarge(maxBytes));
    },
    transform(chunk, controller) {
      receivedBytes += chunk.byteLength;
      if (receivedBytes > maxBytes) controller.error(payloadTooLarge(maxBytes));
      else controller.enqueue(chunk);
    },
  });
  // Node's fetch needs `duplex: "half"` for a streamed body; the DOM typings do not know it yet.
  const init = { method: request.method, headers: request.headers, signal: request.signal, body: request.body.pipeThrough(cap), duplex: "half" };
  return new Request(request.url, init);
}

/** Reads a JSON body of at most MAX_JSON_BODY_BYTES; a missing or malformed one is a 400, an oversized one a 413. */
export async function readJsonBody(request: Request): Promise<unknown> {
  const text = await withBodyLimit(request, MAX_JSON_BODY_BYTES).text();
  if (text.trim() === "") throw new DomainError("BAD_REQUEST", "The request body must be JSON");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DomainError("BAD_REQUEST", "The request body is not valid JSON");
  }
}
