import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "~/server/api/root.ts";
import { createTRPCContext } from "~/server/api/trpc.ts";
import { withBodyLimit } from "~/server/http.ts";

/**
 * The largest tRPC request body: the biggest single input (a device with a 2,000-character
 * description) is a few KiB, so this leaves room for batches while refusing multi-megabyte bodies.
 * An oversized body fails the procedures that read it with PAYLOAD_TOO_LARGE (HTTP 413).
 */
const MAX_TRPC_BODY_BYTES = 256 * 1024;

function handler(request: Request): Promise<Response> {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: withBodyLimit(request, MAX_TRPC_BODY_BYTES),
    router: appRouter,
    createContext: () => createTRPCContext({ headers: request.headers }),
  });
}

export { handler as GET, handler as POST };
