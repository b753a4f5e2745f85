/* eslint-disable no-restricted-properties -- the test server's URL, from the global setup */
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withDatabaseName } from "./databases.ts";
import { TEST_DATABASE_PREFIX } from "./testing.ts";
import { isDatabaseUnavailable } from "./unavailable.ts";

/** The error `work` fails with. */
async function failureOf(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

async function queryOnce(connectionString: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query(sql);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A scratch database of its own: the test files of this package run in parallel, and this one takes it away. */
const name = `${TEST_DATABASE_PREFIX}unavailable_${randomBytes(4).toString("hex")}`;
const url = withDatabaseName(process.env.MONITORING_DATABASE_URL ?? "", name);
const asAdmin = async (sql: string, values: unknown[] = []) => {
  const client = new pg.Client({ connectionString: withDatabaseName(url, "postgres") });
  await client.connect();
  try {
    await client.query(sql, values);
  } finally {
    await client.end();
  }
};

describe("isDatabaseUnavailable", () => {
  let closedPort: number;
  beforeAll(async () => {
    await asAdmin(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    // A port nothing listens on: taken, then released.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closedPort = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
  });
  afterAll(() => asAdmin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`));

  it("is true when nothing listens (ECONNREFUSED)", async () => {
    const refused = new URL(url);
    refused.port = String(closedPort);
    expect(isDatabaseUnavailable(await failureOf(() => queryOnce(refused.toString(), "SELECT 1")))).toBe(true);
  });

  describe("with the database refusing connections (ALLOW_CONNECTIONS false)", () => {
    const allowConnections = (allow: boolean) => asAdmin(`ALTER DATABASE ${pg.escapeIdentifier(name)} ALLOW_CONNECTIONS ${allow}`);
    beforeAll(() => allowConnections(false));
    afterAll(() => allowConnections(true));

    it("is true for a new connection", async () => {
      expect(isDatabaseUnavailable(await failureOf(() => queryOnce(url, "SELECT 1")))).toBe(true);
    });
  });

  it("is true for a connection terminated by the server (57P01)", async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    client.on("error", () => undefined);
    const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    const waiting = failureOf(() => client.query("SELECT pg_sleep(10)"));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await asAdmin("SELECT pg_terminate_backend($1)", [rows[0]?.pid]);
    expect(isDatabaseUnavailable(await waiting)).toBe(true);
    await client.end().catch(() => undefined);
  });

  it("is false for a statement that fails on its own (syntax error, unknown table)", async () => {
    expect(isDatabaseUnavailable(await failureOf(() => queryOnce(url, "SELEC 1")))).toBe(false);
    expect(isDatabaseUnavailable(await failureOf(() => queryOnce(url, "SELECT * FROM no_such_table")))).toBe(false);
  });
});
