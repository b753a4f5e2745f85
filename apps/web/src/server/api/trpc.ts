import "server-only";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import { DomainError, describeZodError } from "../errors.ts";
import { bearerViewer } from "../domain/auth.ts";
import { getSessionViewer } from "../auth.ts";
import { clientIpFrom } from "../http.ts";
import type { Viewer } from "../viewer.ts";

/**
 * tRPC set-up: the request context, error mapping, and the three procedure kinds every router
 * builds on — publicProcedure → protectedProcedure (signed in) → adminProcedure (role admin).
 * Procedures stay thin: they validate input with zod and call the domain functions in
 * src/server/domain, which check who is asking once more (REST routes call the same functions).
 */

export interface TRPCContext {
  viewer: Viewer | null;
  clientIp: string;
}

/**
 * For HTTP requests: the viewer is the next-auth session's user, or, for API clients, the user of
 * an `Authorization: Bearer` token from POST /api/auth/login.
 */
export async function createTRPCContext(opts: { headers: Headers }): Promise<TRPCContext> {
  try {
    const viewer = opts.headers.has("authorization") ? await bearerViewer(opts.headers.get("authorization")) : await getSessionViewer();
    return { viewer, clientIp: clientIpFrom(opts.headers) };
  } catch (error) {
    // An invalid or expired Bearer token: 401 with the reason, not a failed request.
    if (error instanceof DomainError) throw new TRPCError({ code: error.code, message: error.message, cause: error });
    throw error;
  }
}

const t = initTRPC.context<TRPCContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      message: cause instanceof ZodError ? describeZodError(cause) : shape.message,
      data: {
        ...shape.data,
        // Never leak internals: an unexpected error is reported without its message or stack.
        stack: undefined,
        retryAfterSeconds: cause instanceof DomainError ? (cause.retryAfterSeconds ?? null) : null,
      },
    };
  },
});

export const createCallerFactory = t.createCallerFactory;
export const createTRPCRouter = t.router;

/** Domain errors thrown by a procedure become the matching tRPC error (and HTTP status). */
const mapDomainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof DomainError) throw new TRPCError({ code: cause.code, message: cause.message, cause });
    if (result.error.code === "INTERNAL_SERVER_ERROR") {
      console.error("[web] unexpected error in a tRPC procedure", result.error.cause ?? result.error);
      throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "Something went wrong on our side" });
    }
  }
  return result;
});

export const publicProcedure = t.procedure.use(mapDomainErrors);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.viewer) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
  return next({ ctx: { ...ctx, viewer: ctx.viewer } });
});

export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (ctx.viewer.role !== "admin") throw new TRPCError({ code: "FORBIDDEN", message: "Only an administrator may do this" });
  return next({ ctx });
});
