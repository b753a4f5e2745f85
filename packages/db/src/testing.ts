import { randomBytes } from "node:crypto";
import pg from "pg";
import { DATABASES, DATABASE_URL_VARIABLES, DEFAULT_SERVER_URL, withDatabaseName, type DatabaseName } from "./databases.ts";
import { dropDatabase, migrate } from "./migrate.ts";

/**
 * Test databases: every run gets its own five databases named `ems_t_<label>_<random>_<name>`, so
 * concurrent runs never collide and never touch development data. Use `vitestGlobalSetup` from a
 * package's vitest.config.ts (globalSetup), which exports the URLs through the environment that test
 * workers inherit.
 */
export const TEST_DATABASE_PREFIX = "ems_t_";

export type TestDatabaseUrls = Record<DatabaseName, string>;

export async function createTestDatabases(label: string, serverUrl = DEFAULT_SERVER_URL): Promise<TestDatabaseUrls> {
  const safeLabel = label.toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 20);
  const runId = randomBytes(4).toString("hex");
  const urls = Object.fromEntries(
    DATABASES.map((name) => [name, withDatabaseName(serverUrl, `${TEST_DATABASE_PREFIX}${safeLabel}_${runId}_${name}`)]),
  ) as TestDatabaseUrls;
  await Promise.all(DATABASES.map((name) => migrate(name, urls[name])));
  return urls;
}

export async function dropTestDatabases(urls: TestDatabaseUrls): Promise<void> {
  await Promise.all(Object.values(urls).map((url) => dropDatabase(url)));
}

/** Drops test databases left behind by runs that were killed more than `olderThanMinutes` ago. */
export async function dropStaleTestDatabases(serverUrl = DEFAULT_SERVER_URL, olderThanMinutes = 120): Promise<number> {
  const admin = new pg.Client({ connectionString: withDatabaseName(serverUrl, "postgres") });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database
        WHERE datname LIKE $1
          AND (pg_stat_file('base/' || oid || '/PG_VERSION')).modification < now() - make_interval(mins => $2)`,
      [`${TEST_DATABASE_PREFIX}%`, olderThanMinutes],
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
    return rows.length;
  } finally {
    await admin.end();
  }
}

/**
 * For vitest's `globalSetup`: creates and migrates this run's databases, points the *_DATABASE_URL
 * variables at them (test workers inherit them) and drops them after the run.
 */
export function vitestGlobalSetup(label: string) {
  return async function setup(): Promise<() => Promise<void>> {
    await dropStaleTestDatabases().catch(() => 0);
    const urls = await createTestDatabases(label);
    for (const name of DATABASES) {
      // eslint-disable-next-line no-restricted-properties -- handing the test databases to the workers
      process.env[DATABASE_URL_VARIABLES[name]] = urls[name];
    }
    return () => dropTestDatabases(urls);
  };
}
