import { PrismaClient } from "./generated/user/client.ts";
import { databaseClient } from "./client.ts";

export * from "./generated/user/client.ts";

/** The user database's client, created once per process. */
export const userDb = databaseClient("user", PrismaClient);
