import { PrismaClient } from "./generated/device/client.ts";
import { databaseClient } from "./client.ts";

export * from "./generated/device/client.ts";

/** The device database's client, created once per process. */
export const deviceDb = databaseClient("device", PrismaClient);
