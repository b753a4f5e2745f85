import "server-only";
import { headers } from "next/headers";
import { cache } from "react";
import { createCaller } from "~/server/api/root.ts";
import { createTRPCContext } from "~/server/api/trpc.ts";

/**
 * tRPC in server components and server actions, without HTTP: `const api = await serverApi();`
 * then `await api.devices.list()`. One context (session lookup) per request.
 */
export const serverApi = cache(async () => createCaller(await createTRPCContext({ headers: new Headers(await headers()) })));
