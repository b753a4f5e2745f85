import { TRPCError } from "@trpc/server";
import { createPublicKey } from "node:crypto";
import { socketTokenPrivateKey, verifyApiToken, verifySocketToken } from "@ems/auth/tokens";
import { deviceSyncEventSchema } from "@ems/contracts/sync";
import { authDb } from "@ems/db/auth";
import { userDb } from "@ems/db/user";
import { beforeAll, describe, expect, it } from "vitest";
import { env } from "~/env.ts";
import { callerFor, createCast, createTestDevice, outboxOf, PASSWORD, seedAlert, seedMonitoring, uniqueName, type Cast } from "../../../test/fixtures.ts";

let cast: Cast;
beforeAll(async () => {
  cast = await createCast();
});

async function trpcErrorOf(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe("auth router", () => {
  it("registers a client whose credentials and profile share one id", async () => {
    const username = uniqueName("Reg").toUpperCase();
    const user = await callerFor(null).auth.register({ username, password: PASSWORD, name: "New Client", email: `${username}@example.com` });
    expect(user).toMatchObject({ username: username.toLowerCase(), role: "client", email: `${username.toLowerCase()}@example.com` });
    const credential = await authDb.credential.findUnique({ where: { username: username.toLowerCase() } });
    expect(credential?.userId).toBe(user.id);
    expect(credential?.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it("refuses a taken username (any case) with CONFLICT", async () => {
    const error = await trpcErrorOf(callerFor(null).auth.register({ username: cast.clientA.username.toUpperCase(), password: PASSWORD, name: "Dup" }));
    expect(error.code).toBe("CONFLICT");
    expect(error.message).toMatch(/username/);
  });

  it("rejects bad registration input with readable messages", async () => {
    const error = await trpcErrorOf(callerFor(null).auth.register({ username: "a b", password: "short", name: "" }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(/username must be 3-32 characters/);
  });

  it("me is null for anonymous callers and the viewer otherwise", async () => {
    expect(await callerFor(null).auth.me()).toBeNull();
    expect(await callerFor(cast.clientA).auth.me()).toEqual(cast.clientA);
  });

  it("changing one's password bumps the session version", async () => {
    const before = await authDb.credential.findUniqueOrThrow({ where: { userId: cast.clientB.id } });
    const wrong = await trpcErrorOf(callerFor(cast.clientB).auth.changePassword({ currentPassword: "nope-nope", newPassword: "another-password" }));
    expect(wrong.code).toBe("UNAUTHORIZED");
    await callerFor(cast.clientB).auth.changePassword({ currentPassword: PASSWORD, newPassword: PASSWORD });
    const after = await authDb.credential.findUniqueOrThrow({ where: { userId: cast.clientB.id } });
    expect(after.sessionVersion).toBe(before.sessionVersion + 1);
  });
});

describe("users router", () => {
  it("an admin creates, reads, updates and lists users", async () => {
    const admin = callerFor(cast.admin);
    const created = await admin.users.create({ username: uniqueName("carol"), password: PASSWORD, name: "Carol", role: "client", address: "2 Main St" });
    expect(await admin.users.byId({ id: created.id })).toMatchObject({ name: "Carol", address: "2 Main St" });
    const updated = await admin.users.update({ id: created.id, name: "Carol C.", email: "carol@example.com" });
    expect(updated).toMatchObject({ name: "Carol C.", email: "carol@example.com" });
    const listed = await admin.users.list({ role: "client" });
    expect(listed.find((u) => u.id === created.id)).toMatchObject({ deviceCount: 0 });
    expect(listed.every((u) => u.role === "client")).toBe(true);
  });

  it("a role change is stored with the credentials (its one place), shown on the user, and ends the user's sessions", async () => {
    const admin = callerFor(cast.admin);
    const user = await admin.users.create({ username: uniqueName("promo"), password: PASSWORD, name: "Promoted" });
    const before = await authDb.credential.findUniqueOrThrow({ where: { userId: user.id } });
    await admin.users.update({ id: user.id, role: "admin" });
    const credential = await authDb.credential.findUniqueOrThrow({ where: { userId: user.id } });
    expect(credential.role).toBe("admin");
    expect(credential.sessionVersion).toBe(before.sessionVersion + 1);
    expect((await admin.users.byId({ id: user.id })).role).toBe("admin");
  });

  it("an email already in use is a CONFLICT and leaves the profile unchanged", async () => {
    const admin = callerFor(cast.admin);
    const first = await admin.users.create({ username: uniqueName("e1"), password: PASSWORD, name: "E1", email: `${uniqueName("x")}@example.com` });
    const second = await admin.users.create({ username: uniqueName("e2"), password: PASSWORD, name: "E2" });
    const error = await trpcErrorOf(admin.users.update({ id: second.id, name: "Renamed", email: first.email }));
    expect(error.code).toBe("CONFLICT");
    expect((await userDb.profile.findUniqueOrThrow({ where: { id: second.id } })).name).toBe("E2");
  });

  it("an admin may not delete or demote themself", async () => {
    const admin = callerFor(cast.admin);
    expect((await trpcErrorOf(admin.users.delete({ id: cast.admin.id }))).code).toBe("BAD_REQUEST");
    expect((await trpcErrorOf(admin.users.update({ id: cast.admin.id, role: "client" }))).code).toBe("BAD_REQUEST");
  });

  it("unknown users are NOT_FOUND", async () => {
    const missing = "00000000-0000-4000-8000-000000000000";
    const admin = callerFor(cast.admin);
    expect((await trpcErrorOf(admin.users.byId({ id: missing }))).code).toBe("NOT_FOUND");
    expect((await trpcErrorOf(admin.users.update({ id: missing, name: "x" }))).code).toBe("NOT_FOUND");
    expect((await trpcErrorOf(admin.users.delete({ id: missing }))).code).toBe("NOT_FOUND");
  });
});

describe("devices router", () => {
  it("every change bumps the version and writes its sync event in order", async () => {
    const admin = callerFor(cast.admin);
    const device = await admin.devices.create({ name: "Kitchen meter", maxHourlyConsumption: 1.25 });
    expect(device).toMatchObject({ version: 1, ownerId: null, maxHourlyConsumption: "1.250" });
    await admin.devices.update({ id: device.id, maxHourlyConsumption: "3", description: "under the sink" });
    const assigned = await admin.devices.assign({ deviceId: device.id, userId: cast.clientA.id });
    expect(assigned).toMatchObject({ ownerId: cast.clientA.id, ownerUsername: cast.clientA.username, version: 3 });
    // Assigning to the current owner changes nothing and emits nothing.
    expect((await admin.devices.assign({ deviceId: device.id, userId: cast.clientA.id })).version).toBe(3);
    await admin.devices.unassign({ deviceId: device.id });
    await admin.devices.delete({ id: device.id });

    const events = (await outboxOf(device.id)).map((row) => deviceSyncEventSchema.parse(row.payload));
    expect(events.map((e) => [e.type, e.version, e.ownerId, e.maxHourlyConsumption])).toEqual([
      ["device.created", 1, null, "1.25"],
      ["device.updated", 2, null, "3"],
      ["device.assigned", 3, cast.clientA.id, "3"],
      ["device.unassigned", 4, null, "3"],
      ["device.deleted", 5, null, "3"],
    ]);
    expect((await trpcErrorOf(admin.devices.byId({ id: device.id }))).code).toBe("NOT_FOUND");
  });

  it("a client lists only their own devices; an admin lists all or one owner's", async () => {
    const mine = await createTestDevice(cast.admin, cast.clientA.id);
    const theirs = await createTestDevice(cast.admin, cast.clientB.id);
    const aIds = (await callerFor(cast.clientA).devices.list()).map((d) => d.id);
    expect(aIds).toContain(mine.id);
    expect(aIds).not.toContain(theirs.id);
    const adminAll = (await callerFor(cast.admin).devices.list()).map((d) => d.id);
    expect(adminAll).toEqual(expect.arrayContaining([mine.id, theirs.id]));
    const adminB = await callerFor(cast.admin).devices.list({ ownerId: cast.clientB.id });
    expect(adminB.every((d) => d.ownerId === cast.clientB.id)).toBe(true);
  });

  it("devices can be assigned to existing clients only", async () => {
    const admin = callerFor(cast.admin);
    const device = await createTestDevice(cast.admin, null);
    expect((await trpcErrorOf(admin.devices.assign({ deviceId: device.id, userId: cast.admin.id }))).code).toBe("BAD_REQUEST");
    const unknownUser = "00000000-0000-4000-8000-000000000001";
    expect((await trpcErrorOf(admin.devices.assign({ deviceId: device.id, userId: unknownUser }))).code).toBe("NOT_FOUND");
    expect((await outboxOf(device.id)).length).toBe(1);
  });

  it("rejects impossible limits and empty updates", async () => {
    const admin = callerFor(cast.admin);
    const device = await createTestDevice(cast.admin, null);
    expect((await trpcErrorOf(admin.devices.update({ id: device.id }))).message).toMatch(/at least one field/);
    expect((await trpcErrorOf(admin.users.update({ id: cast.clientA.id }))).message).toMatch(/at least one field/);
    expect((await outboxOf(device.id)).length).toBe(1);
    for (const maxHourlyConsumption of [-1, "1.2345", "abc", 1e12]) {
      expect((await trpcErrorOf(admin.devices.create({ name: "x", maxHourlyConsumption }))).code).toBe("BAD_REQUEST");
    }
  });
});

describe("monitoring router", () => {
  it("returns 24 hourly values for a UTC day and 23 for a spring-forward local day", async () => {
    const device = await createTestDevice(cast.admin, cast.clientA.id);
    await seedMonitoring(device.id, cast.clientA.id, [
      { hourStart: "2026-03-29T00:00:00Z", kwh: "0.5" },
      { hourStart: "2026-03-29T13:00:00Z", kwh: "1.25" },
      { hourStart: "2026-03-28T22:00:00Z", kwh: "0.75" },
    ]);
    const utc = await callerFor(cast.clientA).monitoring.consumption({ deviceId: device.id, date: "2026-03-29" });
    expect(utc.hours).toHaveLength(24);
    expect(utc.hours[0]).toEqual({ hourStart: "2026-03-29T00:00:00.000Z", localTime: "00:00", kwh: 0.5 });
    expect(utc.hours[13]?.kwh).toBe(1.25);
    expect(utc.totalKwh).toBe(1.75);

    const local = await callerFor(cast.admin).monitoring.consumption({ deviceId: device.id, date: "2026-03-29", tz: "Europe/Bucharest" });
    expect(local.hours).toHaveLength(23);
    expect(local.hours[0]).toEqual({ hourStart: "2026-03-28T22:00:00.000Z", localTime: "00:00", kwh: 0.75 });
    expect(local.totalKwh).toBe(2.5);
  });

  it("lists alerts newest first, pages them, and lets the owner acknowledge once", async () => {
    const device = await createTestDevice(cast.admin, cast.clientA.id);
    await seedMonitoring(device.id, cast.clientA.id, []);
    const older = await seedAlert(device.id, cast.clientA.id, "2026-01-01T10:00:00Z");
    const newer = await seedAlert(device.id, cast.clientA.id, "2026-01-01T11:00:00Z");
    const a = callerFor(cast.clientA);
    const firstPage = await a.monitoring.alerts({ deviceId: device.id, limit: 1 });
    expect(firstPage.items.map((x) => x.id)).toEqual([newer.id]);
    expect(firstPage.items[0]).toMatchObject({ deviceName: device.name, limitKwh: "1.000", acknowledgedAt: null });
    const secondPage = await a.monitoring.alerts({ deviceId: device.id, limit: 1, cursor: firstPage.nextCursor ?? undefined });
    expect(secondPage.items.map((x) => x.id)).toEqual([older.id]);
    expect(secondPage.nextCursor).toBeNull();

    const acknowledged = await a.monitoring.acknowledgeAlert({ alertId: newer.id });
    expect(acknowledged.acknowledgedAt).toBeInstanceOf(Date);
    const again = await a.monitoring.acknowledgeAlert({ alertId: newer.id });
    expect(again.acknowledgedAt).toEqual(acknowledged.acknowledgedAt);
    const open = await a.monitoring.alerts({ deviceId: device.id, unacknowledgedOnly: true });
    expect(open.items.map((x) => x.id)).toEqual([older.id]);
    expect((await callerFor(cast.clientB).monitoring.alerts({ deviceId: device.id })).items).toEqual([]);
  });
});

describe("chat router", () => {
  it("issues a short-lived socket token that only the socket audience accepts", async () => {
    const issued = await callerFor(cast.clientA).chat.socketToken();
    // Ed25519: chat checks it with the public key alone.
    const publicKey = createPublicKey(socketTokenPrivateKey(env.SOCKET_TOKEN_PRIVATE_KEY));
    const verified = await verifySocketToken(issued.token, publicKey);
    expect(verified).toEqual({ ok: true, subject: { ...cast.clientA, sessionVersion: 1 } });
    expect((await verifyApiToken(issued.token, env.AUTH_SECRET)).ok).toBe(false);
    const lifetime = issued.expiresAt.getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(60_000);
    expect(lifetime).toBeLessThanOrEqual(120_000);
    expect(issued.path).toBe("/socket.io");
  });
});
