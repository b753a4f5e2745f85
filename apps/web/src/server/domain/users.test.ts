import { createPublicKey, randomBytes, randomInt } from "node:crypto";
import pg from "pg";
import { deviceSyncEventSchema } from "@ems/contracts/sync";
import { socketTokenPrivateKey, verifySocketToken } from "@ems/auth/tokens";
import { authDb } from "@ems/db/auth";
import { deviceDb } from "@ems/db/device";
import { databaseUrls } from "@ems/db/env";
import { userDb } from "@ems/db/user";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { env } from "~/env.ts";
import { callerFor, createCast, createTestDevice, createTestUser, outboxOf, PASSWORD, uniqueName, type Cast } from "../../../test/fixtures.ts";
import { randomIp } from "../../../test/rest.ts";
import { authenticate, bearerViewer, currentSessionUser, issueToken, register } from "./auth.ts";
import { PENDING_ACCOUNT_TTL_MS } from "./users.ts";

let cast: Cast;
beforeAll(async () => {
  cast = await createCast();
});

/**
 * Failures are injected with triggers in this run's own test databases: a BEFORE trigger on one row
 * (the condition names the test's own user) raises, so that write fails as it would on a dropped
 * connection, between the steps of a domain function. A trigger can first wait for an advisory lock
 * the test holds, so the test acts while the write hangs (and then fails, or goes through).
 */
const removers: (() => Promise<void>)[] = [];
/** Held advisory locks: released before any trigger is dropped (a write waiting on one would block the drop). */
const lockReleases: (() => Promise<void>)[] = [];
async function removeInjectedFailures(): Promise<void> {
  for (const release of lockReleases.splice(0)) await release();
  for (const remove of removers.splice(0).reverse()) await remove();
}
afterEach(async () => {
  await removeInjectedFailures();
  vi.restoreAllMocks();
});

type Db = { $executeRawUnsafe(query: string): Promise<number> };
type WriteTarget = { table: "credentials" | "profiles"; operation: "INSERT" | "UPDATE" | "DELETE"; when: string };

async function interceptWrites(db: Db, target: WriteTarget, behaviour: { waitForLock?: number; fail: boolean }): Promise<() => Promise<void>> {
  const name = `test_intercept_${randomBytes(4).toString("hex")}`;
  // tRPC logs an injected failure as unexpected (a 500); expected here.
  if (behaviour.fail) vi.spyOn(console, "error").mockImplementation(() => undefined);
  const wait = behaviour.waitForLock === undefined ? "" : `PERFORM pg_advisory_xact_lock(${behaviour.waitForLock});`;
  const fail = behaviour.fail ? `RAISE EXCEPTION 'injected failure (${name})';` : "";
  await db.$executeRawUnsafe(`
    CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${target.when} THEN ${wait} ${fail} END IF;
      RETURN COALESCE(NEW, OLD);
    END $$`);
  await db.$executeRawUnsafe(`CREATE TRIGGER ${name} BEFORE ${target.operation} ON ${target.table} FOR EACH ROW EXECUTE FUNCTION ${name}()`);
  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    await db.$executeRawUnsafe(`DROP TRIGGER ${name} ON ${target.table}`);
    await db.$executeRawUnsafe(`DROP FUNCTION ${name}()`);
  };
  removers.push(remove);
  return remove;
}

/** The matching writes fail (after waiting for the lock, if given). */
const failWrites = (db: Db, target: WriteTarget, waitForLock?: number) => interceptWrites(db, target, { fail: true, waitForLock });
/** The matching writes wait for the lock, then go through. */
const holdWrites = (db: Db, target: WriteTarget, lockKey: number) => interceptWrites(db, target, { fail: false, waitForLock: lockKey });

/** An advisory lock of one database, held by the test on a connection of its own until released. */
async function holdAdvisoryLock(databaseUrl: string) {
  const key = randomInt(1, 2 ** 31);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query("SELECT pg_advisory_lock($1)", [key]);
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await client.end(); // the session's end releases its lock
  };
  lockReleases.push(release);
  return {
    key,
    release,
    /** Sessions waiting for the lock (a key below 2^31 is its objid). */
    waiters: async () =>
      (await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND NOT granted", [key])).rows[0]?.n,
  };
}

const quoted = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** True when the username and password sign in (REST and next-auth share authenticate). */
async function signsIn(username: string, password = PASSWORD): Promise<boolean> {
  return authenticate({ username, password }, randomIp()).then(
    () => true,
    (error: unknown) => {
      expect(error).toMatchObject({ code: "UNAUTHORIZED" });
      return false;
    },
  );
}

describe("registration across the auth and user databases", () => {
  it("writes credentials and profile under one id, and the new client can sign in", async () => {
    const username = uniqueName("fresh");
    const user = await register({ username, password: PASSWORD, name: "Fresh" });
    const [credential, profile] = await Promise.all([
      authDb.credential.findUnique({ where: { userId: user.id } }),
      userDb.profile.findUnique({ where: { id: user.id } }),
    ]);
    expect(credential).toMatchObject({ username, role: "client", enabled: true });
    expect(profile).toMatchObject({ username, name: "Fresh" });
    expect(user.role).toBe("client");
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

// ASVS 5.0 V2.3.3: "Verify that transactions are being used at the business logic level such that
// either a business logic operation succeeds in its entirety or it is rolled back to the previous
// correct state." There is no transaction across the auth and user databases: the credentials are
// written disabled, the profile next, and the credentials are enabled last, so a failure at any step
// leaves nothing that signs in, and the same request again completes the account.
describe("ASVS V2.3.3 — an account creation that fails part-way leaves nothing that can sign in", () => {
  it("the profile write and its undo both fail: the credentials left behind do not sign in; the same request again completes the account", async () => {
    const username = uniqueName("halfmade");
    await failWrites(userDb, { table: "profiles", operation: "INSERT", when: `NEW.username = ${quoted(username)}` });
    await failWrites(authDb, { table: "credentials", operation: "DELETE", when: `OLD.username = ${quoted(username)}` });
    const input = { username, password: PASSWORD, name: "Half Made" };

    await expect(register(input)).rejects.toThrow();
    const leftover = await authDb.credential.findUniqueOrThrow({ where: { username } });
    expect(await signsIn(username)).toBe(false);
    // No token either: a token is issued only to an account that exists.
    await expect(issueToken({ id: leftover.userId, username, role: "client" }, "ems-api")).rejects.toMatchObject({ code: "UNAUTHORIZED" });

    await removeInjectedFailures();
    const completed = await register(input);
    expect(completed).toMatchObject({ id: leftover.userId, username, role: "client", name: "Half Made" });
    expect(await signsIn(username)).toBe(true);
    expect(await userDb.profile.count({ where: { username } })).toBe(1);
  });

  it("the last step (enabling the credentials) fails and the clean-up stops part-way: nothing signs in or is listed, and the same request again completes the account", async () => {
    const username = uniqueName("unfinished");
    await failWrites(authDb, { table: "credentials", operation: "UPDATE", when: `OLD.username = ${quoted(username)}` });
    await failWrites(userDb, { table: "profiles", operation: "DELETE", when: `OLD.username = ${quoted(username)}` });
    const input = { username, password: PASSWORD, name: "Unfinished", role: "admin" as const };

    await expect(callerFor(cast.admin).users.create(input)).rejects.toThrow();
    // The clean-up removed the credentials, then could not remove the profile.
    const leftover = await userDb.profile.findUniqueOrThrow({ where: { username } });
    expect(await signsIn(username)).toBe(false);
    // Not a user anyone sees, nor one a device can be assigned to.
    expect((await callerFor(cast.admin).users.list()).some((user) => user.username === username)).toBe(false);
    await expect(callerFor(cast.admin).users.byId({ id: leftover.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(createTestDevice(cast.admin, leftover.id)).rejects.toMatchObject({ code: "NOT_FOUND" });

    await removeInjectedFailures();
    const completed = await callerFor(cast.admin).users.create(input);
    expect(completed).toMatchObject({ username, role: "admin" });
    expect(await signsIn(username)).toBe(true);
    expect(await userDb.profile.count({ where: { username } })).toBe(1);
    expect((await callerFor(cast.admin).users.list({ role: "admin" })).some((user) => user.id === completed.id)).toBe(true);
  });

  it("the same registration sent twice at once makes one account, never credentials without a profile", async () => {
    const username = uniqueName("twice");
    const input = { username, password: PASSWORD, name: "Twice" };
    // Both requests hold the same half-made account when they write the profile: the first to enable it
    // completes it, the other finds it enabled.
    const lock = await holdAdvisoryLock(databaseUrls.user);
    await holdWrites(userDb, { table: "profiles", operation: "INSERT", when: `NEW.username = ${quoted(username)}` }, lock.key);
    const both = Promise.all([register(input), register(input)]);
    await expect.poll(lock.waiters).toBe(2);
    await lock.release();

    const [first, second] = await both;
    expect(second.id).toBe(first.id);
    expect(await authDb.credential.findUniqueOrThrow({ where: { username } })).toMatchObject({ userId: first.id, enabled: true });
    expect(await userDb.profile.findUniqueOrThrow({ where: { username } })).toMatchObject({ id: first.id });
    expect(await signsIn(username)).toBe(true);
  });

  it("another request for the username of a half-made account is refused, until the half-made account is stale and is cleared away", async () => {
    const username = uniqueName("stale");
    await failWrites(userDb, { table: "profiles", operation: "INSERT", when: `NEW.username = ${quoted(username)}` });
    await failWrites(authDb, { table: "credentials", operation: "DELETE", when: `OLD.username = ${quoted(username)}` });
    await expect(register({ username, password: PASSWORD, name: "First" })).rejects.toThrow();
    await removeInjectedFailures();

    // Someone else (another password) while the first request may still be retried: refused.
    const otherPassword = "someone-elses-password";
    await expect(register({ username, password: otherPassword, name: "Second" })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await signsIn(username)).toBe(false);

    // Once older than any request can take, the half-made account is cleared and the name is free.
    const stale = new Date(Date.now() - PENDING_ACCOUNT_TTL_MS - 60_000);
    await authDb.credential.update({ where: { username }, data: { createdAt: stale } });
    const second = await register({ username, password: otherPassword, name: "Second" });
    expect(second).toMatchObject({ username, name: "Second" });
    expect(await signsIn(username, otherPassword)).toBe(true);
    expect(await signsIn(username, PASSWORD)).toBe(false);
  });
});

// ASVS 5.0 V2.3.3 (see above): an update is written so that no step needs undoing — the profile first
// (its unique email is the conflict a caller can cause), then role and password in the auth database.
// A failure of the second step leaves the first in place, and the same request again completes it;
// nothing is ever written back, so no one else's edit made in between is lost.
describe("ASVS V2.3.3 — an update that fails part-way never undoes someone else's edit", () => {
  it("a role change whose auth write fails keeps the edit another admin made to the profile meanwhile", async () => {
    const user = await createTestUser("client", "edited");
    const secondAdmin = await createTestUser("admin", "second-admin");
    const lock = await holdAdvisoryLock(databaseUrls.auth);
    // The first admin's auth write waits for the lock, then fails.
    const removeFailure = await failWrites(authDb, { table: "credentials", operation: "UPDATE", when: `OLD.user_id = ${quoted(user.id)}` }, lock.key);
    const first = callerFor(cast.admin)
      .users.update({ id: user.id, name: "Renamed by the first admin", role: "admin" })
      .then(
        () => null,
        (error: unknown) => error,
      );
    await expect.poll(lock.waiters).toBe(1);

    // Meanwhile the second admin edits the same profile.
    const email = `${uniqueName("edit")}@example.com`;
    await callerFor(secondAdmin).users.update({ id: user.id, email, address: "Set by the second admin" });

    await lock.release();
    expect(await first).toBeInstanceOf(Error);
    const profile = await userDb.profile.findUniqueOrThrow({ where: { id: user.id } });
    expect(profile).toMatchObject({ email, address: "Set by the second admin" });
    expect((await callerFor(cast.admin).users.byId({ id: user.id })).role).toBe("client");

    // The same request again completes the first admin's change; the second admin's edit stays.
    await removeFailure();
    await callerFor(cast.admin).users.update({ id: user.id, name: "Renamed by the first admin", role: "admin" });
    expect(await callerFor(cast.admin).users.byId({ id: user.id })).toMatchObject({
      name: "Renamed by the first admin",
      role: "admin",
      email,
      address: "Set by the second admin",
    });
  });
});

// ASVS 5.0 V8.3.2: "Verify that changes to values on which authorization decisions are made are
// applied immediately." The role is kept in one place, the credentials in the auth database (with
// the session version it must move together with); every reader asks there.
describe("ASVS V8.3.2 — the role has one source: changed there, it is the role everywhere at once", () => {
  it("sign-in, the session, the tRPC admin check, socket tokens, the user pages and device assignment all see a role set in the auth database", async () => {
    const user = await createTestUser("client", "promoted");
    await authDb.credential.update({ where: { userId: user.id }, data: { role: "admin" } });

    const signedIn = await authenticate({ username: user.username, password: PASSWORD }, randomIp());
    expect(signedIn.role).toBe("admin");
    expect((await currentSessionUser(user.id, signedIn.sessionVersion))?.role).toBe("admin");
    const { token } = await issueToken(signedIn, "ems-api");
    const viewer = await bearerViewer(`Bearer ${token}`);
    expect(viewer.role).toBe("admin");
    await expect(callerFor(viewer).users.list()).resolves.toBeInstanceOf(Array);
    const socket = await issueToken(signedIn, "ems-socket");
    const verified = await verifySocketToken(socket.token, createPublicKey(socketTokenPrivateKey(env.SOCKET_TOKEN_PRIVATE_KEY)));
    expect(verified).toMatchObject({ ok: true, subject: { role: "admin" } });

    const admin = callerFor(cast.admin);
    expect((await admin.users.byId({ id: user.id })).role).toBe("admin");
    expect((await admin.users.list({ role: "admin" })).some((u) => u.id === user.id)).toBe(true);
    expect((await admin.users.list({ role: "client" })).some((u) => u.id === user.id)).toBe(false);
    // Devices go to clients only.
    await expect(admin.devices.create({ name: uniqueName("meter"), maxHourlyConsumption: "1.000", ownerId: user.id })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });

  it("an admin's role change through users.update is likewise seen everywhere, and ends the user's sessions", async () => {
    const user = await createTestUser("admin", "demoted");
    const session = await authenticate({ username: user.username, password: PASSWORD }, randomIp());
    await callerFor(cast.admin).users.update({ id: user.id, role: "client" });

    expect(await currentSessionUser(user.id, session.sessionVersion)).toBeNull();
    const again = await authenticate({ username: user.username, password: PASSWORD }, randomIp());
    expect(again.role).toBe("client");
    await expect(callerFor(await bearerViewer(`Bearer ${(await issueToken(again, "ems-api")).token}`)).users.list()).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect((await callerFor(cast.admin).users.byId({ id: user.id })).role).toBe("client");
    await expect(createTestDevice(cast.admin, user.id)).resolves.toMatchObject({ ownerId: user.id });
  });
});

// ASVS 5.0 V7.4.2: "Verify that the application terminates all active sessions when a user account
// is disabled or deleted [...]". Deletion removes the credentials first (with the end of the user's
// sessions, in one transaction), so whatever step fails after, nothing of the user signs in.
describe("ASVS V7.4.2 — deleting a user", () => {
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

  it("a deletion whose profile step fails already signs the user out everywhere; the same request again finishes it", async () => {
    const victim = await createTestUser("client", "halfdeleted");
    const device = await createTestDevice(cast.admin, victim.id);
    const { token } = await issueToken(victim, "ems-api");
    const removeFailure = await failWrites(userDb, { table: "profiles", operation: "DELETE", when: `OLD.id = ${quoted(victim.id)}` });

    await expect(callerFor(cast.admin).users.delete({ id: victim.id })).rejects.toThrow();
    expect(await signsIn(victim.username)).toBe(false);
    await expect(bearerViewer(`Bearer ${token}`)).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(callerFor(cast.admin).users.byId({ id: victim.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    // Nothing can be assigned to a user being deleted.
    await expect(createTestDevice(cast.admin, victim.id)).rejects.toMatchObject({ code: "NOT_FOUND" });

    await removeFailure();
    await expect(callerFor(cast.admin).users.delete({ id: victim.id })).resolves.toMatchObject({ unassignedDeviceIds: [device.id] });
    expect(await userDb.profile.findUnique({ where: { id: victim.id } })).toBeNull();
    expect((await deviceDb.device.findUniqueOrThrow({ where: { id: device.id } })).ownerId).toBeNull();
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
