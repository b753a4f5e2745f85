import "server-only";
import { authRouter } from "./routers/auth.ts";
import { chatRouter } from "./routers/chat.ts";
import { devicesRouter } from "./routers/devices.ts";
import { monitoringRouter } from "./routers/monitoring.ts";
import { operationsRouter } from "./routers/operations.ts";
import { usersRouter } from "./routers/users.ts";
import { createCallerFactory, createTRPCRouter } from "./trpc.ts";

export const appRouter = createTRPCRouter({
  auth: authRouter,
  users: usersRouter,
  devices: devicesRouter,
  monitoring: monitoringRouter,
  chat: chatRouter,
  operations: operationsRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side calls without HTTP (server components, tests): `createCaller(context).devices.list()`. */
export const createCaller = createCallerFactory(appRouter);
