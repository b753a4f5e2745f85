import { randomBytes } from "node:crypto";
import { hashPassword, verifyPassword } from "@ems/auth/passwords";
import { describe, expect, it } from "vitest";
import { authDb } from "./auth.ts";
import { DEMO_CLIENT, DEMO_DEVICE_ID, ensureAccount, ensureAdmin, ensureDemoData } from "./bootstrap.ts";
import { deviceDb } from "./device.ts";
import { userDb } from "./user.ts";

// Against this run's migrated test databases (test/global-setup.ts).
const uniqueUsername = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex")}`;
const PASSWORD = "first-admin-password";

async function rowsOf(username: string) {
  const [credentials, profiles] = await Promise.all([
    authDb.credential.findMany({ where: { username } }),
    userDb.profile.findMany({ where: { username } }),
  ]);
  return { credentials, profiles };
}

describe("ensureAdmin", () => {
  it("creates credentials and profile under one id, and logs no password", async () => {
    const username = uniqueUsername("root");
    const admin = await ensureAdmin({ username, password: PASSWORD });
    expect(admin).toMatchObject({ username, role: "admin", outcome: "created", line: `admin "${username}" created` });
    expect(JSON.stringify(admin)).not.toContain(PASSWORD);
    const { credentials, profiles } = await rowsOf(username);
    expect(credentials).toEqual([expect.objectContaining({ userId: admin.id, role: "admin", enabled: true })]);
    expect(profiles).toEqual([expect.objectContaining({ id: admin.id, name: "Administrator" })]);
    expect(await verifyPassword(credentials[0]!.passwordHash, PASSWORD)).toBe(true);
  });

  it("creates the admin once when two processes start together", async () => {
    const username = uniqueUsername("root");
    const results = await Promise.all([ensureAdmin({ username, password: PASSWORD }), ensureAdmin({ username, password: PASSWORD })]);
    expect(results.filter((r) => r.outcome === "created")).toHaveLength(1);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    const { credentials, profiles } = await rowsOf(username);
    expect(credentials).toHaveLength(1);
    expect(profiles).toHaveLength(1);
  });

  it("leaves an existing admin's changed password alone", async () => {
    const username = uniqueUsername("root");
    const { id } = await ensureAdmin({ username, password: PASSWORD });
    const changedHash = await hashPassword("the-operators-new-password");
    await authDb.credential.update({ where: { userId: id }, data: { passwordHash: changedHash } });

    const again = await ensureAdmin({ username, password: PASSWORD });
    expect(again).toMatchObject({ id, outcome: "present", line: `admin "${username}" already present` });
    expect((await authDb.credential.findUniqueOrThrow({ where: { userId: id } })).passwordHash).toBe(changedHash);
  });

  it("never promotes a client who registered the admin's username first", async () => {
    const username = uniqueUsername("root");
    const client = await ensureAccount({ username, password: "client-password", role: "client", name: "Early Bird" });
    const admin = await ensureAdmin({ username, password: PASSWORD });
    expect(admin).toMatchObject({ id: client.id, role: "client", outcome: "present" });
    expect(admin.line).toBe(`client "${username}" already present, not an admin: left unchanged`);
    expect((await authDb.credential.findUniqueOrThrow({ where: { userId: client.id } })).role).toBe("client");
  });

  it("completes an account whose creation stopped before the profile (user database down): profile added, then enabled", async () => {
    const username = uniqueUsername("root");
    // What a start with the user database down leaves: credentials, disabled (they do not sign in).
    const credential = await authDb.credential.create({ data: { username, passwordHash: await hashPassword(PASSWORD), role: "admin" } });
    expect(credential.enabled).toBe(false);
    const admin = await ensureAdmin({ username, password: "another-password" });
    expect(admin).toMatchObject({ id: credential.userId, role: "admin", outcome: "completed", line: `admin "${username}" already present (its missing profile was added)` });
    expect(await userDb.profile.findUnique({ where: { id: credential.userId } })).toMatchObject({ username, name: "Administrator" });
    expect(await authDb.credential.findUniqueOrThrow({ where: { userId: credential.userId } })).toMatchObject({
      enabled: true,
      passwordHash: credential.passwordHash,
    });
  });
});

describe("ensureDemoData", () => {
  it("creates the demo client and device with its outbox event once, even when two processes race", async () => {
    const results = await Promise.all([ensureDemoData(), ensureDemoData()]);
    expect(results.filter((r) => r.device.outcome === "created")).toHaveLength(1);
    expect(results.filter((r) => r.client.outcome === "created")).toHaveLength(1);

    const client = await authDb.credential.findUniqueOrThrow({ where: { username: DEMO_CLIENT.username } });
    expect(client).toMatchObject({ role: "client", enabled: true });
    expect(await verifyPassword(client.passwordHash, DEMO_CLIENT.password)).toBe(true);
    expect(await userDb.profile.findUnique({ where: { id: client.userId } })).toMatchObject({ name: DEMO_CLIENT.name });
    expect(await deviceDb.device.findUnique({ where: { id: DEMO_DEVICE_ID } })).toMatchObject({ ownerId: client.userId, version: 1 });
    const events = await deviceDb.outboxEvent.findMany({ where: { deviceId: DEMO_DEVICE_ID } });
    expect(events).toEqual([expect.objectContaining({ eventType: "device.created" })]);
    expect(events[0]!.payload).toMatchObject({ deviceId: DEMO_DEVICE_ID, ownerId: client.userId, maxHourlyConsumption: "1.5", version: 1 });

    const again = await ensureDemoData();
    expect(again.lines).toEqual([`client "demo" already present`, `device ${DEMO_DEVICE_ID} already present`]);
    expect(await deviceDb.outboxEvent.count({ where: { deviceId: DEMO_DEVICE_ID } })).toBe(1);
  });
});
