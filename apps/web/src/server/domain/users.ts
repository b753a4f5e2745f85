import "server-only";
import { hashPassword, verifyPassword } from "@ems/auth/passwords";
import { authDb, type Role } from "@ems/db/auth";
import { deviceDb } from "@ems/db/device";
import { outboxEventFor } from "@ems/db/device-outbox";
import { userDb, type Profile } from "@ems/db/user";
import type { CreateUserInput, UpdateUserInput } from "~/lib/schemas.ts";
import { badRequest, conflict, isRecordNotFound, isUniqueViolation, notFound } from "../errors.ts";
import { recordSessionsEnded, sessionsEndedRecorded } from "../outbox/sessions-ended.ts";
import { assertAdmin, assertSelfOrAdmin, type Viewer } from "../viewer.ts";

/**
 * A user spans three databases under one id: credentials (username, password hash, session version
 * and the role — the one place it is kept) in auth, the profile (name, email, address) in user, and
 * the devices they own in device. There is no transaction across databases, so every operation is
 * ordered so that a failure at any step leaves nothing that signs in and nothing to write back:
 * - creation writes the credentials disabled, then the profile, and enables the credentials last; the
 *   same request again completes a half-made account (it knows the password), one left longer than
 *   PENDING_ACCOUNT_TTL_MS is cleared by the next creation of its username, and a profile left without
 *   credentials by a clean-up that stopped half-way is cleared by the next creation it is in the way of;
 * - an update writes the profile, then role and password; it never undoes a step (that would write
 *   back over an edit someone made in between), and the same request again completes it;
 * - deletion removes the credentials first (the user's sessions end with them), then the profile, then
 *   unassigns the devices; the same request again finishes it.
 * An account is a user with enabled credentials: nothing else is listed, shown or given devices.
 */

/** How long a half-made account holds its username against another request (any request takes far less). */
export const PENDING_ACCOUNT_TTL_MS = 15 * 60_000;

export interface UserDto {
  id: string;
  username: string;
  name: string;
  email: string | null;
  address: string | null;
  role: Role;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserWithDeviceCount extends UserDto {
  deviceCount: number;
}

function toDto(profile: Profile, role: Role): UserDto {
  const { id, username, name, email, address, createdAt, updatedAt } = profile;
  return { id, username, name, email, address, role, createdAt, updatedAt };
}

/** A unique-key clash on the profile: tell the caller which value is taken. */
async function describeProfileConflict(email: string | null | undefined, error: unknown): Promise<Error> {
  if (!isUniqueViolation(error)) return error instanceof Error ? error : new Error(String(error));
  if (email && (await userDb.profile.findUnique({ where: { email } }))) return conflict("That email address is already in use");
  return conflict("That username is already taken");
}

/** The role of an account (enabled credentials), or null when there is none. */
async function accountRole(userId: string): Promise<Role | null> {
  const credential = await authDb.credential.findUnique({ where: { userId, enabled: true }, select: { role: true } });
  return credential?.role ?? null;
}

/**
 * Removes a half-made account as far as the databases answer. The disabled credentials go first:
 * once they are gone nothing can enable them, so the profile can follow. Credentials found enabled
 * meanwhile (the same request, running twice at once, completed the account) keep their profile. A
 * profile left behind belongs to no credentials and is cleared by the next creation it is in the way of.
 */
async function discardHalfMadeAccount(userId: string): Promise<void> {
  const { count } = await authDb.credential.deleteMany({ where: { userId, enabled: false } });
  if (count === 0 && (await authDb.credential.findUnique({ where: { userId }, select: { userId: true } }))) return;
  await userDb.profile.deleteMany({ where: { id: userId } });
}

/**
 * Deletes the profiles with this username or email that belong to no credentials (left by a clean-up
 * or a deletion that stopped half-way: a creation writes its credentials before its profile, so a
 * profile being created always has them). True when there were any.
 */
async function clearOrphanProfiles(userId: string, username: string, email: string | null): Promise<boolean> {
  const clashing = await userDb.profile.findMany({
    where: { id: { not: userId }, OR: [{ username }, ...(email ? [{ email }] : [])] },
    select: { id: true },
  });
  if (clashing.length === 0) return false;
  const owned = await authDb.credential.findMany({ where: { userId: { in: clashing.map((p) => p.id) } }, select: { userId: true } });
  const orphans = clashing.map((p) => p.id).filter((id) => !owned.some((o) => o.userId === id));
  if (orphans.length === 0) return false;
  await userDb.profile.deleteMany({ where: { id: { in: orphans } } });
  return true;
}

/**
 * The disabled credentials this creation completes: new ones, or the half-made account of an earlier
 * attempt of the same request (the password matches), or new ones after clearing a stale half-made
 * account of someone else. An enabled account, or someone else's recent half-made one, is a CONFLICT.
 */
async function reserveCredentials(input: CreateUserInput, passwordHash: string): Promise<{ userId: string }> {
  // A second round only when the row found was removed or changed in between.
  for (let round = 0; round < 2; round++) {
    try {
      return await authDb.credential.create({
        data: { username: input.username, passwordHash, role: input.role, enabled: false },
        select: { userId: true },
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    const existing = await authDb.credential.findUnique({ where: { username: input.username } });
    if (!existing) continue;
    if (existing.enabled) break;
    if (await verifyPassword(existing.passwordHash, input.password)) {
      const { count } = await authDb.credential.updateMany({ where: { userId: existing.userId, enabled: false }, data: { role: input.role } });
      if (count === 1) return existing;
    } else if (existing.createdAt.getTime() < Date.now() - PENDING_ACCOUNT_TTL_MS) {
      await discardHalfMadeAccount(existing.userId);
    } else {
      break;
    }
  }
  throw conflict("That username is already taken");
}

/** Writes (or, for the same request again, rewrites) the profile, clearing orphan profiles in its way once. */
async function writeProfile(userId: string, input: CreateUserInput): Promise<Profile> {
  const fields = { name: input.name, email: input.email ?? null, address: input.address ?? null };
  const write = () => userDb.profile.upsert({ where: { id: userId }, create: { id: userId, username: input.username, ...fields }, update: fields });
  try {
    return await write();
  } catch (error) {
    if (!isUniqueViolation(error) || !(await clearOrphanProfiles(userId, input.username, fields.email))) throw error;
    return write();
  }
}

/** The last step of a creation: from here on the account signs in. Returns its role. */
async function enableCredentials(userId: string): Promise<Role> {
  const [enabled] = await authDb.credential.updateManyAndReturn({ where: { userId, enabled: false }, data: { enabled: true }, select: { role: true } });
  if (enabled) return enabled.role;
  // Already enabled: the same request, running twice at once, completed the account first.
  const role = await accountRole(userId);
  if (role) return role;
  // Cleared meanwhile: as stale (the request took longer than PENDING_ACCOUNT_TTL_MS) or by a deletion.
  throw conflict("The account could not be completed; try again");
}

/**
 * Creates an account: used by self-registration (role client) and by admins. The credentials are
 * enabled only once the profile is written. On a failure the half-made account is removed as far as
 * the databases answer; what stays cannot sign in, and the same request again completes it.
 */
export async function createAccount(input: CreateUserInput): Promise<UserDto> {
  const passwordHash = await hashPassword(input.password);
  const { userId } = await reserveCredentials(input, passwordHash);
  try {
    const profile = await writeProfile(userId, input);
    return toDto(profile, await enableCredentials(userId));
  } catch (error) {
    // Best effort: whatever stays is disabled, and the request repeated (or a later one) clears it.
    await discardHalfMadeAccount(userId).catch(() => undefined);
    throw await describeProfileConflict(input.email, error);
  }
}

export async function createUser(viewer: Viewer, input: CreateUserInput): Promise<UserDto> {
  assertAdmin(viewer);
  return createAccount(input);
}

/** Admin: every account (or those of one role) with its device count, by username. */
export async function listUsers(viewer: Viewer, filter: { role?: Role } = {}): Promise<UserWithDeviceCount[]> {
  assertAdmin(viewer);
  const credentials = await authDb.credential.findMany({ where: { enabled: true, role: filter.role }, select: { userId: true, role: true } });
  const roles = new Map(credentials.map((c) => [c.userId, c.role]));
  const profiles = await userDb.profile.findMany({ where: { id: { in: [...roles.keys()] } }, orderBy: { username: "asc" } });
  const counts = await deviceDb.device.groupBy({
    by: ["ownerId"],
    where: { ownerId: { in: profiles.map((p) => p.id) } },
    _count: { _all: true },
  });
  const countByOwner = new Map(counts.map((c) => [c.ownerId, c._count._all]));
  return profiles.flatMap((p) => {
    const role = roles.get(p.id);
    return role ? [{ ...toDto(p, role), deviceCount: countByOwner.get(p.id) ?? 0 }] : [];
  });
}

/** The user themself or an admin. */
export async function getUser(viewer: Viewer, userId: string): Promise<UserDto> {
  assertSelfOrAdmin(viewer, userId);
  const [role, profile] = await Promise.all([accountRole(userId), userDb.profile.findUnique({ where: { id: userId } })]);
  if (!role || !profile) throw notFound("No such user");
  return toDto(profile, role);
}

/**
 * Throws NOT_FOUND unless the account exists (enabled credentials: its profile was written before
 * them), BAD_REQUEST when it has not the given role. Callers check permission first.
 */
export async function assertUserExists(userId: string, role?: Role): Promise<void> {
  const actual = await accountRole(userId);
  if (!actual) throw notFound("No such user");
  if (role && actual !== role) throw badRequest(`That user is not a ${role}`);
}

/**
 * Admin: changes profile fields, role and/or password. The profile is written first: its unique
 * email is the conflict a caller can cause, and it is found before anything else changes. Role and
 * password follow in the auth database, with a new session version (the user is signed out
 * everywhere) and its announcement in one transaction. Nothing is undone: if the second step fails,
 * the first stands and the same request again completes the update, so an edit someone else made in
 * between is never written over.
 */
export async function updateUser(viewer: Viewer, input: UpdateUserInput): Promise<UserDto> {
  assertAdmin(viewer);
  if (input.id === viewer.id && input.role !== undefined && input.role !== viewer.role) {
    throw badRequest("You cannot change your own role");
  }
  let role = await accountRole(input.id);
  if (!role) throw notFound("No such user");
  const { name, email, address } = input;
  let profile: Profile | null;
  try {
    profile =
      name === undefined && email === undefined && address === undefined
        ? await userDb.profile.findUnique({ where: { id: input.id } })
        : await userDb.profile.update({ where: { id: input.id }, data: { name, email, address } });
  } catch (error) {
    if (isRecordNotFound(error)) throw notFound("No such user");
    throw await describeProfileConflict(email, error);
  }
  if (!profile) throw notFound("No such user");
  if (input.role !== undefined || input.password !== undefined) role = await changeRoleOrPassword(input.id, input.role, input.password);
  return toDto(profile, role);
}

/** A new role and/or password, with a new session version and its sessions.ended in one transaction. */
async function changeRoleOrPassword(userId: string, role: Role | undefined, password: string | undefined): Promise<Role> {
  const passwordHash = password === undefined ? undefined : await hashPassword(password);
  const { current, ended } = await authDb.$transaction(async (tx) => {
    const before = await tx.credential.findUnique({ where: { userId, enabled: true }, select: { role: true } });
    if (!before) throw notFound("No such user");
    const roleChanged = role !== undefined && role !== before.role;
    if (!roleChanged && passwordHash === undefined) return { current: before.role, ended: false };
    const credentials = await tx.credential.update({ where: { userId }, data: { role, passwordHash, sessionVersion: { increment: 1 } } });
    await recordSessionsEnded(tx, userId, roleChanged ? "role-changed" : "password-changed", credentials.sessionVersion);
    return { current: credentials.role, ended: true };
  });
  if (ended) sessionsEndedRecorded();
  return current;
}

/**
 * Admin: deletes a user everywhere. Order: credentials (no more sign-ins; sessions carrying the
 * user are rejected), then the profile, then the user's devices are unassigned, each with its sync
 * event. Idempotent: a user found in any of the three databases is (still) deletable, and the same
 * request again finishes a deletion that stopped half-way.
 */
export async function deleteUser(viewer: Viewer, userId: string): Promise<{ id: string; unassignedDeviceIds: string[] }> {
  assertAdmin(viewer);
  if (userId === viewer.id) throw badRequest("You cannot delete your own account");
  const [credential, profile, ownedDevice] = await Promise.all([
    authDb.credential.findUnique({ where: { userId }, select: { userId: true } }),
    userDb.profile.findUnique({ where: { id: userId }, select: { id: true } }),
    deviceDb.device.findFirst({ where: { ownerId: userId }, select: { id: true } }),
  ]);
  if (!credential && !profile && !ownedDevice) throw notFound("No such user");
  // The deletion and its announcement to chat (the auth outbox) commit together; a rerun that finds
  // the credentials already gone has nothing more to announce.
  const announced = await authDb.$transaction(async (tx) => {
    const { count } = await tx.credential.deleteMany({ where: { userId } });
    if (count > 0) await recordSessionsEnded(tx, userId, "deleted");
    return count > 0;
  });
  if (announced) sessionsEndedRecorded();
  await userDb.profile.deleteMany({ where: { id: userId } });
  const unassignedDeviceIds = await unassignAllDevicesOf(userId);
  return { id: userId, unassignedDeviceIds };
}

/** Unassigns every device of a user in one device-database transaction, with one sync event each. */
async function unassignAllDevicesOf(userId: string): Promise<string[]> {
  return deviceDb.$transaction(async (tx) => {
    const owned = await tx.device.findMany({ where: { ownerId: userId }, select: { id: true }, orderBy: { id: "asc" } });
    const unassigned: string[] = [];
    for (const { id } of owned) {
      // The owner condition skips a device another admin reassigned since the read above.
      const [device] = await tx.device.updateManyAndReturn({
        where: { id, ownerId: userId },
        data: { ownerId: null, version: { increment: 1 } },
      });
      if (!device) continue;
      await tx.outboxEvent.create({ data: outboxEventFor(device, "device.unassigned") });
      unassigned.push(id);
    }
    return unassigned;
  });
}
