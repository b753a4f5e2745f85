import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type * as dbmateModule from "dbmate";
import { startStartingPostgres } from "../test/starting-postgres.ts";
import { DEFAULT_SERVER_URL, withDatabaseName } from "./databases.ts";
import { dropDatabase, migrate } from "./migrate.ts";
import { TEST_DATABASE_PREFIX } from "./testing.ts";

// Lets a test put a stand-in in front of dbmate's binary to see how it is invoked.
const dbmateBinary = vi.hoisted(() => ({ override: undefined as string | undefined }));
vi.mock("dbmate", async (importOriginal) => {
  const actual = await importOriginal<typeof dbmateModule>();
  return { ...actual, resolveBinary: () => dbmateBinary.override ?? actual.resolveBinary() };
});

const PASSWORD = "pw-sentinel-6f1d";
const created: string[] = [];

/** A database of this test run, dropped afterwards (trust auth here: the server ignores the password). */
function freshDatabaseUrl(): string {
  const database = `${TEST_DATABASE_PREFIX}migrate_${randomBytes(4).toString("hex")}_chat`;
  created.push(database);
  return withDatabaseName(DEFAULT_SERVER_URL, database);
}

function withPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.port = String(port);
  return parsed.toString();
}

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

async function appliedMigrations(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ count: number }>("SELECT count(*)::int AS count FROM schema_migrations");
    return rows[0]?.count ?? 0;
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  await Promise.all(created.map((database) => dropDatabase(withDatabaseName(DEFAULT_SERVER_URL, database))));
});

describe("migrate waits for its database", () => {
  it("waits while the server refuses connections and then says it is starting up, then applies the migrations", async () => {
    const server = await startStartingPostgres({ refuseMs: 1000, startingUpMs: 1000 });
    const url = freshDatabaseUrl();
    const lines: string[] = [];
    const started = performance.now();
    try {
      const output = await migrate("chat", withPort(url, server.port), { waitMs: 30_000, log: (line) => lines.push(line) });
      expect(performance.now() - started).toBeGreaterThanOrEqual(2000);
      expect(output).toContain("Applying:");
    } finally {
      await server.close();
    }
    expect(lines.some((line) => line.includes(`not reachable yet (ECONNREFUSED 127.0.0.1:${server.port}), retrying in`))).toBe(true);
    expect(lines.some((line) => line.includes("not reachable yet (57P03 the database system is starting up)"))).toBe(true);
    expect(lines.every((line) => /^database chat: not reachable yet \(.+\), retrying in \d+(\.\d)?s$/.test(line))).toBe(true);
    expect(await appliedMigrations(url)).toBeGreaterThan(0);
  });

  it("gives up on a host that never resolves once the wait is over, naming the host, without the password", async () => {
    const url = `postgresql://postgres:${PASSWORD}@ems-db-that-does-not-exist.invalid:5432/ems_chat`;
    const lines: string[] = [];
    const started = performance.now();
    const failure = migrate("chat", url, { waitMs: 1500, log: (line) => lines.push(line) });
    await expect(failure).rejects.toThrow(
      /^database chat: not reachable after waiting 1\.\ds \((ENOTFOUND|EAI_AGAIN) ems-db-that-does-not-exist\.invalid\); is the server up/,
    );
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    expect(elapsed).toBeLessThan(15_000);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toMatch(/^database chat: not reachable yet \((ENOTFOUND|EAI_AGAIN) ems-db-that-does-not-exist\.invalid\), retrying in 0\.5s$/);
    const message = await failure.catch((error: Error) => error.message);
    expect([message, ...lines].join("\n")).not.toContain(PASSWORD);
  });

  it("fails at once on an error that waiting cannot fix (a role the server rejects, 28000)", async () => {
    const url = new URL(freshDatabaseUrl());
    url.username = "ems_no_such_role";
    const lines: string[] = [];
    const started = performance.now();
    await expect(migrate("chat", url.toString(), { waitMs: 60_000, log: (line) => lines.push(line) })).rejects.toThrow(
      'database chat: 28000 role "ems_no_such_role" does not exist (not a transient connection failure, so not retried)',
    );
    expect(performance.now() - started).toBeLessThan(2000);
    expect(lines).toEqual([]);
  });
});

describe("migrate runs dbmate without the password on its command line", () => {
  let dir: string;
  // Writes a stand-in for dbmate that records its arguments and DATABASE_URL, then does `then`.
  const installDbmateStandIn = async (then: string) => {
    const realBinary = (await vi.importActual<typeof dbmateModule>("dbmate")).resolveBinary();
    const script = path.join(dir, "dbmate");
    await writeFile(
      script,
      [
        "#!/bin/sh",
        `printf '%s\\n' "$@" > '${dir}/argv'`,
        `printf '%s' "$DATABASE_URL" > '${dir}/database-url'`,
        then.replace("$REAL_DBMATE", `'${realBinary}'`),
        "",
      ].join("\n"),
    );
    await chmod(script, 0o755);
    dbmateBinary.override = script;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ems-dbmate-"));
  });
  afterEach(() => {
    dbmateBinary.override = undefined;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("passes the database URL through the environment and none of it in argv", async () => {
    await installDbmateStandIn('exec $REAL_DBMATE "$@"');
    const url = withPassword(freshDatabaseUrl(), PASSWORD);
    const output = await migrate("chat", url);
    expect(output).toContain("Applying:");

    const argv = await readFile(path.join(dir, "argv"), "utf8");
    expect(argv).not.toContain(PASSWORD);
    expect(argv).not.toContain("postgresql:");
    expect(argv.trim().split("\n").at(-1)).toBe("up");
    expect(await readFile(path.join(dir, "database-url"), "utf8")).toContain(`:${PASSWORD}@`);
  });

  it("keeps the password out of the error when dbmate fails, even if its stderr repeats the URL", async () => {
    await installDbmateStandIn('echo "Error: cannot reach $DATABASE_URL" >&2; exit 3');
    const url = withPassword(freshDatabaseUrl(), PASSWORD);
    const failure = migrate("chat", url);
    await expect(failure).rejects.toThrow(/^database chat: dbmate up failed \(exit 3\): Error: cannot reach postgresql:\/\/postgres:\*\*\*@/);
    const error = await failure.catch((caught: unknown) => caught);
    if (!(error instanceof Error)) throw new Error("expected migrate to fail with an Error");
    expect(error.message).not.toContain(PASSWORD);
    // Nothing of the original failure is attached: execFile's error repeats stderr as it was.
    expect(error.cause).toBeUndefined();
  });
});
