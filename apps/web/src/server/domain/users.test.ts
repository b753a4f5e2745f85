import { deviceSyncEventSchema } from "@ems/contracts/sync";
import { authDb } from "@ems/db/auth";
import { deviceDb } from "@ems/db/device";
import { userDb } from "@ems/db/user";
import { beforeAll, describe, expect, it } from "vitest";
import { callerFor, createCast, createTestDevice, createTestUser, outboxOf, PASSWORD, uniqueName, type Cast } from "../../../test/fixtures.ts";
import { authenticate, currentSessionUser, register } from "./auth.ts";

let cast: Cast;
beforeAll(async () => {
  cast = await createCast();
});

describe("registration across the auth and user databases", () => {
  it("writes credentials and profile under one id, and the new client can sign in", async () => {
    const username = uniqueName("fresh");
    const user = await register({ username, password: PASSWORD, name: "Fresh" });
    const [credential, profile] = await Promise.all([
      authDb.credential.findUnique({ where: { userId: user.id } }),
      userDb.profile.findUnique({ where: { id: user.id } }),
    ]);
    expect(credential).toMatchObject({ username, role: "client" });
    expect(profile).toMatchObject({ username, role: "client", name: "Fresh" });
    expect(await authenticate({ username, password: PASSWORD }, "10.30.0.1")).toMatchObject({ id: user.id, role: "client" });
  });

  it("undoes the credentials when the profile cannot be written", async () => {
    const email = `${uniqueName("taken")}@example.com`;
    await register({ username: uniqueName("owner"), password: PASSWORD, name: "Owner", email });
    const username = uniqueName("second");
    await expect(register({ username, password: PASSWORD, name: "Second", email })).rejects.toThrow(/email address is already in use/);
    expect(await authDb.credential.findUnique({ where: { username } })).toBeNull();
    expect(await userDb.profile.findUnique({ where: { username } })).toBeNull();
    // The username is free again.
    await expect(register({ username, password: PASSWORD, name: "Second" })).resolves.toMatchObject({ username });
  });
});

describe("deleting a user", () => {
  it("removes credentials and profile and unassigns their devices with sync events", async () => {
    const victim = await createTestUser("client", "leaving");
    const [d1, d2] = [await createTestDevice(cast.admin, victim.id), await createTestDevice(cast.admin, victim.id)];
    const other = await createTestDevice(cast.admin, cast.clientA.id);
    const signedIn = await authenticate({ username: victim.username, password: PASSWORD }, "10.30.0.2");

    const result = await callerFor(cast.admin).users.delete({ id: victim.id });
    expect(result.unassignedDeviceIds.sort()).toEqual([d1.id, d2.id].sort());

    expect(await authDb.credential.findUnique({ where: { userId: victim.id } })).toBeNull();
    expect(await userDb.profile.findUnique({ where: { id: victim.id } })).toBeNull();
    for (const device of [d1, d2]) {
      expect(await deviceDb.device.findUniqueOrThrow({ where: { id: device.id } })).toMatchObject({ ownerId: null, version: 2 });
      const last = (await outboxOf(device.id)).at(-1);
      expect(deviceSyncEventSchema.parse(last?.payload)).toMatchObject({ type: "device.unassigned", ownerId: null, version: 2 });
    }
    expect(await deviceDb.device.findUniqueOrThrow({ where: { id: other.id } })).toMatchObject({ ownerId: cast.clientA.id, version: 1 });
    // Their session is void and they cannot sign in any more.
    expect(await currentSessionUser(victim.id, signedIn.sessionVersion)).toBeNull();
    await expect(authenticate({ username: victim.username, password: PASSWORD }, "10.30.0.3")).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    // Deleting again: nothing left to delete.
    await expect(callerFor(cast.admin).users.delete({ id: victim.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("finishes a deletion that stopped after the credentials were removed", async () => {
    const victim = await createTestUser("client", "halfgone");
    const device = await createTestDevice(cast.admin, victim.id);
    await authDb.credential.delete({ where: { userId: victim.id } });

    await callerFor(cast.admin).users.delete({ id: victim.id });
    expect(await userDb.profile.findUnique({ where: { id: victim.id } })).toBeNull();
    expect((await deviceDb.device.findUniqueOrThrow({ where: { id: device.id } })).ownerId).toBeNull();
  });
});

describe("sessions", () => {
  it("stay valid until the password changes", async () => {
    const user = await createTestUser("client", "sess");
    const session = await authenticate({ username: user.username, password: PASSWORD }, "10.30.0.4");
    expect(await currentSessionUser(user.id, session.sessionVersion)).toMatchObject({ id: user.id });
    await callerFor(cast.admin).users.update({ id: user.id, password: "a-brand-new-password" });
    expect(await currentSessionUser(user.id, session.sessionVersion)).toBeNull();
    await expect(authenticate({ username: user.username, password: "a-brand-new-password" }, "10.30.0.5")).resolves.toMatchObject({ id: user.id });
  });
});
