import { PrismaClient } from "./generated/monitoring/client.ts";
import { databaseClient } from "./client.ts";

export * from "./generated/monitoring/client.ts";

/** The monitoring database's client, created once per process. */
export const monitoringDb = databaseClient("monitoring", PrismaClient);
