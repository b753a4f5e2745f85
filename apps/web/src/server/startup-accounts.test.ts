import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_CLIENT, DEMO_DEVICE_ID } from "@ems/db/bootstrap";
import { authDb } from "@ems/db/auth";
import { deviceDb } from "@ems/db/device";
import { userDb } from "@ems/db/user";
import type { Logger } from "@ems/messaging";
import { afterEach, describe, expect, it, vi } from "vitest";
import { callerFor } from "../../test/fixtures.ts";
import { jsonOf, randomClientIp, rest } from "../../test/rest.ts";

/**
 * What a web server does at start with ADMIN_* and DEMO_DATA, through the environment as the server
 * reads it: each start re-imports the modules, so ~/env.ts parses the stubbed variables again.
 * (With a database down at start: src/server/database-outage.test.ts.)
 */
const ADMIN_PASSWORD = "a-long-first-admin-password";

function collectingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { lines, debug: push("debug"), info: push("info"), warn: push("warn"), error: push("error") };
}

/** Loads the start-up code as a server with these variables would; `start()` is one server's start. */
async function serverWith(variables: Record<string, string | undefined>) {
  vi.resetModules();
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
  const { ensureStartupAccountsWithRetry, startupAccountsFromEnv } = await import("./startup-accounts.ts");
  return {
    /** Resolves once the accounts are in place, with what the server logged. */
    async start(): Promise<string[]> {
      const log = collectingLogger();
      await ensureStartupAccountsWithRetry(startupAccountsFromEnv(), { log, initialDelayMs: 50 });
      return log.lines;
    },
  };
}

async function startWith(variables: Record<string, string | undefined>): Promise<string[]> {
  return (await serverWith(variables)).start();
}

/** What ~/env.ts reports when parsing these variables fails ("" when they are accepted). */
async function envErrorsWith(variables: Record<string, string | undefined>): Promise<string> {
  vi.resetModules();
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
  const consoleError = vi.spyOn(console, "error").mockImplementation(() => undefined);
  try {
    await import("~/env.ts");
    return "";
  } catch (error) {
    return `${String(error)} ${JSON.stringify(consoleError.mock.calls)}`;
  } finally {
    consoleError.mockRestore();
  }
}

afterEach(() => {
  vi.unstubAllEnvs();
});

const uniqueAdminName = () => `ops-${randomBytes(4).toString("hex")}`;

describe("the first admin from ADMIN_USERNAME / ADMIN_PASSWORD", () => {
  it("is created at start and can sign in; the log names it and never shows the password", async () => {
    const username = uniqueAdminName();
    const lines = await startWith({ ADMIN_USERNAME: username, ADMIN_PASSWORD });
    expect(lines).toEqual([`info admin "${username}" created`]);
    expect(lines.join("\n")).not.toContain(ADMIN_PASSWORD);

    const response = await rest.login({ username, password: ADMIN_PASSWORD }, randomClientIp());
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toMatchObject({ user: { username, role: "admin" } });
    const credential = await authDb.credential.findUniqueOrThrow({ where: { username } });
    expect(credential).toMatchObject({ role: "admin", enabled: true });
    expect(await userDb.profile.findUnique({ where: { id: credential.userId } })).toMatchObject({ username });
  });

  it("is created once when two replicas start together", async () => {
    const username = uniqueAdminName();
    const server = await serverWith({ ADMIN_USERNAME: username, ADMIN_PASSWORD });
    const [first, second] = await Promise.all([server.start(), server.start()]);
    expect([...first, ...second].sort()).toEqual([`info admin "${username}" already present`, `info admin "${username}" created`]);
    expect(await authDb.credential.count({ where: { username } })).toBe(1);
    expect(await userDb.profile.count({ where: { username } })).toBe(1);
  });

  it("reads the password from ADMIN_PASSWORD_FILE (a Docker secret), username case-insensitively", async () => {
    const directory = await mkdtemp(join(tmpdir(), "ems-admin-"));
    const file = join(directory, "admin_password");
    await writeFile(file, `${ADMIN_PASSWORD}\n`);
    const username = uniqueAdminName();
    const lines = await startWith({ ADMIN_USERNAME: username.toUpperCase(), ADMIN_PASSWORD_FILE: file }).finally(() =>
      rm(directory, { recursive: true }),
    );
    expect(lines).toEqual([`info admin "${username}" created`]);
    expect((await rest.login({ username, password: ADMIN_PASSWORD }, randomClientIp())).status).toBe(200);
  });

  it("leaves the password alone on the next start once the admin has changed it", async () => {
    const username = uniqueAdminName();
    await startWith({ ADMIN_USERNAME: username, ADMIN_PASSWORD });
    const credential = await authDb.credential.findUniqueOrThrow({ where: { username } });
    const newPassword = "changed-by-the-operator";
    await callerFor({ id: credential.userId, username, role: "admin" }).auth.changePassword({ currentPassword: ADMIN_PASSWORD, newPassword });

    expect(await startWith({ ADMIN_USERNAME: username, ADMIN_PASSWORD })).toEqual([`info admin "${username}" already present`]);
    expect((await rest.login({ username, password: ADMIN_PASSWORD }, randomClientIp())).status).toBe(401);
    expect((await rest.login({ username, password: newPassword }, randomClientIp())).status).toBe(200);
  });

  it("does nothing without the variables", async () => {
    expect(await startWith({ ADMIN_USERNAME: undefined, ADMIN_PASSWORD: undefined, DEMO_DATA: undefined })).toEqual([]);
  });

  it("refuses to start with only one of the two, or a short password in production", async () => {
    expect(await envErrorsWith({ ADMIN_USERNAME: uniqueAdminName(), ADMIN_PASSWORD: undefined })).toMatch(/must be set together/);
    expect(await envErrorsWith({ ADMIN_USERNAME: undefined, ADMIN_PASSWORD })).toMatch(/must be set together/);
    const socketKey = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const production = { NODE_ENV: "production", AUTH_SECRET: "s".repeat(32), SOCKET_TOKEN_PRIVATE_KEY: socketKey, ADMIN_USERNAME: uniqueAdminName() };
    expect(await envErrorsWith({ ...production, ADMIN_PASSWORD: "only-11-chr" })).toMatch(/ADMIN_PASSWORD must be at least 12 characters in production/);
    expect(await envErrorsWith({ ...production, ADMIN_PASSWORD: "twelve-chars" })).toBe("");
  });
});

describe("DEMO_DATA", () => {
  // The demo client and device have fixed names, so the "0" case must run before the "1" case.
  it("creates no demo data by default or with 0", async () => {
    expect(await startWith({ DEMO_DATA: undefined })).toEqual([]);
    expect(await startWith({ DEMO_DATA: "0" })).toEqual([]);
    expect(await deviceDb.device.findUnique({ where: { id: DEMO_DEVICE_ID } })).toBeNull();
    expect(await authDb.credential.findUnique({ where: { username: DEMO_CLIENT.username } })).toBeNull();
  });

  it("with 1 creates the demo client and its device with the outbox event for monitoring, once", async () => {
    expect(await startWith({ DEMO_DATA: "1" })).toEqual([`info client "demo" created`, `info device ${DEMO_DEVICE_ID} created for "demo"`]);
    expect(await startWith({ DEMO_DATA: "1" })).toEqual([`info client "demo" already present`, `info device ${DEMO_DEVICE_ID} already present`]);

    const response = await rest.login({ username: DEMO_CLIENT.username, password: DEMO_CLIENT.password }, randomClientIp());
    expect(response.status).toBe(200);
    const { user } = (await jsonOf(response)) as { user: { id: string; role: string } };
    expect(user.role).toBe("client");
    expect(await deviceDb.device.findUnique({ where: { id: DEMO_DEVICE_ID } })).toMatchObject({ ownerId: user.id });
    expect(await deviceDb.outboxEvent.findMany({ where: { deviceId: DEMO_DEVICE_ID } })).toEqual([expect.objectContaining({ eventType: "device.created" })]);
  });

  it("refuses values other than 1 and 0", async () => {
    expect(await envErrorsWith({ DEMO_DATA: "yes" })).toMatch(/DEMO_DATA must be .*1.* or .*0/);
    expect(await envErrorsWith({ DEMO_DATA: "" })).toBe(""); // unset: a stack file's `${DEMO_DATA:-}`
  });
});
