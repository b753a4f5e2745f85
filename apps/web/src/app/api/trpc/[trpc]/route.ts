import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "~/server/api/root.ts";
import { createTRPCContext } from "~/server/api/trpc.ts";
import { MAX_TRPC_BATCH_CALLS, MAX_TRPC_BODY_BYTES, retryAfterHeader, withBodyLimit } from "~/server/http.ts";

/** Bodies over MAX_TRPC_BODY_BYTES fail the procedures that read them with PAYLOAD_TOO_LARGE (413). */
function handler(request: Request): Promise<Response> {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: withBodyLimit(request, MAX_TRPC_BODY_BYTES),
    maxBatchSize: MAX_TRPC_BATCH_CALLS,
    router: appRouter,
    createContext: () => createTRPCContext({ headers: request.headers }),
    responseMeta: ({ errors }) => ({ headers: retryAfterHeader(errors) }),
  });
}

export { handler as GET, handler as POST };
