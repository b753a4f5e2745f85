/** The five isolated databases of EMS (CONTRACT.md). Each has its own migrations and Prisma schema. */
export const DATABASES = ["auth", "user", "device", "monitoring", "chat"] as const;
export type DatabaseName = (typeof DATABASES)[number];

/** The env variable holding each database's connection URL. */
export const DATABASE_URL_VARIABLES = {
  auth: "AUTH_DATABASE_URL",
  user: "USER_DATABASE_URL",
  device: "DEVICE_DATABASE_URL",
  monitoring: "MONITORING_DATABASE_URL",
  chat: "CHAT_DATABASE_URL",
} as const satisfies Record<DatabaseName, string>;

export const DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432";

/** Development default: database `ems_<name>` on the local server. */
export function defaultDatabaseUrl(name: DatabaseName): string {
  return `${DEFAULT_SERVER_URL}/ems_${name}`;
}

/** The same server and credentials, another database name (used to create databases and for tests). */
export function withDatabaseName(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export function databaseNameOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));
}
