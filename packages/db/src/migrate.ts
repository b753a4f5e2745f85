import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { resolveBinary } from "dbmate";
import pg from "pg";
import { databaseNameOf, withDatabaseName, type DatabaseName } from "./databases.ts";

const run = promisify(execFile);
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export function migrationsDir(name: DatabaseName): string {
  return path.join(packageRoot, "databases", name, "migrations");
}

export function prismaSchemaPath(name: DatabaseName): string {
  return path.join(packageRoot, "databases", name, "schema.prisma");
}


/** Creates the database named in `url` if it does not exist yet (connecting to `postgres`). */
export async function ensureDatabase(url: string): Promise<boolean> {
  const database = databaseNameOf(url);
  const admin = new pg.Client({ connectionString: withDatabaseName(url, "postgres") });
  await admin.connect();
  try {
    const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (rowCount) return false;
    try {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    } catch (error) {
      // Another process created it between our check and our CREATE: that is fine.
      if ((error as { code?: string }).code !== "42P04") throw error;
      return false;
    }
    return true;
  } finally {
    await admin.end();
  }
}

/**
 * Applies pending migrations with dbmate. An advisory lock held for the duration makes it safe for
 * several processes (e.g. two replicas starting together) to migrate the same database at once:
 * the second waits, then finds nothing pending.
 */
export async function migrate(name: DatabaseName, url: string): Promise<string> {
  await ensureDatabase(url);
  const lock = new pg.Client({ connectionString: url });
  await lock.connect();
  try {
    await lock.query("SELECT pg_advisory_lock(hashtext('ems:migrations'))");
    const dbmateUrl = new URL(url);
    if (!dbmateUrl.searchParams.has("sslmode")) dbmateUrl.searchParams.set("sslmode", "disable");
    // dbmate's binary ships inside its npm package (an optional dependency per platform).
    const { stdout } = await run(resolveBinary(), [
      "--url",
      dbmateUrl.toString(),
      "--migrations-dir",
      migrationsDir(name),
      "--no-dump-schema",
      "up",
    ]);
    return stdout.trim();
  } finally {
    await lock.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const admin = new pg.Client({ connectionString: withDatabaseName(url, "postgres") });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseNameOf(url))} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
