import "server-only";
import { NextResponse } from "next/server";
import { ZodError } from "zod";
import { DomainError, describeZodError } from "./errors.ts";

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

const MAX_JSON_BODY_CHARS = 64 * 1024;

/** Reads a JSON body; a missing or malformed one is a 400, not a 500. */
export async function readJsonBody(request: Request): Promise<unknown> {
  const text = await request.text();
  if (text.length > MAX_JSON_BODY_CHARS) throw new DomainError("BAD_REQUEST", "The request body is too large");
  if (text.trim() === "") throw new DomainError("BAD_REQUEST", "The request body must be JSON");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DomainError("BAD_REQUEST", "The request body is not valid JSON");
  }
}
