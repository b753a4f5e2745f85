/* eslint-disable no-restricted-properties -- points the database URLs at the proxies before @ems/db reads them */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTcpProxy, type TcpProxy } from "../../test/tcp-proxy.ts";

/**
 * The web app with a database unreachable: each database the web app uses is reached through a TCP
 * proxy that a test cuts (connections dropped, new ones refused) and restores. The URLs must point
 * at the proxies before @ems/db creates its clients, hence the dynamic imports below (each test file
 * runs in a process of its own).
 */
const DATABASES = { auth: "AUTH_DATABASE_URL", user: "USER_DATABASE_URL", device: "DEVICE_DATABASE_URL", monitoring: "MONITORING_DATABASE_URL" } as const;
type Database = keyof typeof DATABASES;

const proxies = {} as Record<Database, TcpProxy>;
for (const [database, variable] of Object.entries(DATABASES) as [Database, string][]) {
  const url = new URL(process.env[variable] ?? "");
  const proxy = await startTcpProxy(Number(url.port || 5432), url.hostname);
  url.hostname = "127.0.0.1";
  url.port = String(proxy.port);
  process.env[variable] = url.toString();
  proxies[database] = proxy;
}

const { rest, jsonOf, randomClientIp, bearerFor } = await import("../../test/rest.ts");
const { callerFor, createTestDevice, createTestUser } = await import("../../test/fixtures.ts");
const { authDb } = await import("@ems/db/auth");
const { userDb } = await import("@ems/db/user");
const { ensureStartupAccountsWithRetry } = await import("./startup-accounts.ts");

const cut = (...databases: Database[]) => Promise.all(databases.map((database) => proxies[database].cut()));

/**
 * Readiness's status once the pools have recovered: a pooled connection that died during a cut fails
 * the first query made on it (the pool then drops it), so "ok" may take a check or two.
 */
const settledStatus = () =>
  expect.poll(async () => ((await rest.health().then((response) => response.json())) as { status: string }).status, { timeout: 10_000 });

/** An admin's Bearer token, issued while every database answers: health details are for admins only. */
let admin: Record<string, string>;

beforeAll(async () => {
  // Every pool holds a connection through its proxy before the first cut.
  expect((await rest.health()).status).toBe(200);
  admin = await bearerFor(await createTestUser("admin", "health-admin"));
});

afterEach(async () => {
  // Restore whatever a test cut (restoring an open proxy would fail: its port is in use).
  for (const database of Object.keys(proxies) as Database[]) await proxies[database].restore().catch(() => undefined);
  await settledStatus().toBe("ok");
});

afterAll(async () => {
  await Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
});

describe("GET /api/health/live", () => {
  it("answers 200 with every database unreachable: it touches none", async () => {
    await cut("auth", "user", "device", "monitoring");
    const response = await rest.live();
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toEqual({ status: "ok" });
    // The same moment, readiness sees every database down (503, {status} only: without the auth
    // database not even an admin's token can be checked, so no one gets the details).
    const readiness = await rest.health(admin);
    expect(readiness.status).toBe(503);
    expect(await jsonOf(readiness)).toEqual({ status: "unavailable" });
  });
});

describe("GET /api/health (readiness)", () => {
  it('answers 200 "degraded" while the user database is unreachable: sign-in still works', async () => {
    await cut("user");
    expect(await jsonOf(await rest.health())).toEqual({ status: "degraded" });
    const response = await rest.health(admin);
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toEqual({
      status: "degraded",
      databases: { auth: "ok", user: "unreachable", device: "ok", monitoring: "ok" },
      outboxRelay: null,
    });
  });

  it('answers 503 "unavailable" while the auth database is unreachable', async () => {
    await cut("auth");
    const response = await rest.health();
    expect(response.status).toBe(503);
    expect(await jsonOf(response)).toEqual({ status: "unavailable" });
    // An admin's token cannot be checked without the auth database: the same answer, in bounded time.
    const asAdmin = await rest.health(admin);
    expect(asAdmin.status).toBe(503);
    expect(await jsonOf(asAdmin)).toEqual({ status: "unavailable" });
  });

  it('answers 200 "ok" again once the database is back', async () => {
    await cut("user");
    expect((await rest.health()).status).toBe(200);
    await proxies.user.restore();
    await settledStatus().toBe("ok");
  });
});

describe("consumption and alerts while the monitoring database is unreachable", () => {
  it("answer 503 with a message (REST and tRPC), and the day again once it is back", async () => {
    const owner = await createTestUser("client", "outage-owner");
    const device = await createTestDevice(await createTestUser("admin", "outage-admin"), owner.id);
    const headers = await bearerFor(owner);
    const day = () => rest.consumption(device.id, "date=2026-03-12", headers);
    expect((await day()).status).toBe(200);

    await cut("monitoring");
    const response = await day();
    expect(response.status).toBe(503);
    expect(await jsonOf(response)).toEqual({
      error: { code: "SERVICE_UNAVAILABLE", message: "Consumption and alert data are temporarily unavailable; please try again in a moment" },
    });
    const caller = callerFor(owner);
    await expect(caller.monitoring.consumption({ deviceId: device.id, date: "2026-03-12" })).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE" });
    await expect(caller.monitoring.alerts()).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE" });

    await proxies.monitoring.restore();
    await expect.poll(async () => (await day()).status, { timeout: 10_000 }).toBe(200);
  });
});

describe("the first admin while the user database is down at start", () => {
  it("cannot sign in before its profile exists; once the database is back the start completes the account and it signs in", async () => {
    const username = `ops-outage-${Date.now().toString(36)}`;
    const password = "a-long-first-admin-password";
    const lines: string[] = [];
    const log = { debug() {}, info: (line: string) => void lines.push(line), warn: (line: string) => void lines.push(line), error() {} };

    await cut("user");
    const started = ensureStartupAccountsWithRetry({ admin: { username, password }, demoData: false }, { log, initialDelayMs: 50, maxDelayMs: 200 });
    let outcome: "pending" | "done" = "pending";
    void started.then(() => (outcome = "done"));

    // The credentials are written first, disabled: an account without its profile does not sign in.
    await expect.poll(() => authDb.credential.count({ where: { username } }), { timeout: 10_000 }).toBe(1);
    expect((await rest.login({ username, password }, randomClientIp())).status).toBe(401);
    await expect.poll(() => lines.filter((line) => line.includes("not ensured yet")).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(outcome).toBe("pending");

    await proxies.user.restore();
    await started;
    expect(lines.at(-1)).toBe(`admin "${username}" already present (its missing profile was added)`);
    expect(lines.join("\n")).not.toContain(password);
    const credential = await authDb.credential.findUniqueOrThrow({ where: { username } });
    expect(credential).toMatchObject({ role: "admin", enabled: true });
    expect(await userDb.profile.findUnique({ where: { id: credential.userId } })).toMatchObject({ username });
    const signIn = await rest.login({ username, password }, randomClientIp());
    expect(signIn.status).toBe(200);
    expect(await jsonOf(signIn)).toMatchObject({ user: { username, role: "admin" } });
  });
});
