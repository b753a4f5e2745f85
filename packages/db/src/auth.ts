import { PrismaClient } from "./generated/auth/client.ts";
import { databaseClient } from "./client.ts";

export * from "./generated/auth/client.ts";

/** The auth database's client, created once per process. */
export const authDb = databaseClient("auth", PrismaClient);
