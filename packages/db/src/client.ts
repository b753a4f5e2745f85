import { PrismaPg } from "@prisma/adapter-pg";
import type { DatabaseName } from "./databases.ts";
import { databaseUrls, dbEnv } from "./env.ts";

/**
 * Creates each database's Prisma client once per process. The cache lives on globalThis so that
 * Next.js dev-mode module reloading does not open a new pool on every edit.
 */
const cache = globalThis as unknown as { __emsPrismaClients?: Map<DatabaseName, unknown> };

export function databaseClient<T>(name: DatabaseName, Client: new (options: { adapter: PrismaPg }) => T): T {
  cache.__emsPrismaClients ??= new Map();
  let client = cache.__emsPrismaClients.get(name) as T | undefined;
  if (client === undefined) {
    const connectionString = databaseUrls[name];
    client = new Client({ adapter: new PrismaPg({ connectionString, max: dbEnv.DATABASE_POOL_SIZE }) });
    cache.__emsPrismaClients.set(name, client);
  }
  return client;
}
