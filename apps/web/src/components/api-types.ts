import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "~/server/api/root.ts";

/** What the tRPC procedures return, as the browser receives it (superjson keeps Dates). Types only. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;

export type Device = RouterOutputs["devices"]["list"][number];
export type User = RouterOutputs["users"]["list"][number];
export type Alert = RouterOutputs["monitoring"]["alerts"]["items"][number];
