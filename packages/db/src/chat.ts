import { PrismaClient } from "./generated/chat/client.ts";
import { databaseClient } from "./client.ts";

export * from "./generated/chat/client.ts";

/** The chat database's client, created once per process. */
export const chatDb = databaseClient("chat", PrismaClient);
