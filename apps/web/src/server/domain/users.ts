import "server-only";
import { hashPassword } from "@ems/auth/passwords";
import { authDb } from "@ems/db/auth";
import { deviceDb } from "@ems/db/device";
import { outboxEventFor } from "@ems/db/device-outbox";
import { userDb, type Profile } from "@ems/db/user";
import type { CreateUserInput, UpdateUserInput } from "~/lib/schemas.ts";
import { badRequest, conflict, isUniqueViolation, notFound } from "../errors.ts";
import { recordSessionsEnded, sessionsEndedRecorded } from "../outbox/sessions-ended.ts";
import { assertAdmin, assertSelfOrAdmin, type Viewer } from "../viewer.ts";

/**
 * Users live in two databases: credentials (username, password hash, role, session version) in
 * auth, the profile (name, email, address, role) in user, under the same id. Devices referencing a
 * user live in the device database. There is no transaction across databases, so each operation
 * orders its writes so that a failure leaves nothing half-made: creation undoes the credentials if
 * the profile cannot be written; deletion removes the credentials first (the user can no longer sign
 * in) and is idempotent, so running it again finishes a deletion that stopped half-way.
 */

export interface UserDto {
  id: string;
  username: string;
  name: string;
  email: string | null;
  address: string | null;
  role: Profile["role"];
  createdAt: Date;
  updatedAt: Date;
}

export interface UserWithDeviceCount extends UserDto {
  deviceCount: number;
}

function toDto(profile: Profile): UserDto {
  const { id, username, name, email, address, role, createdAt, updatedAt } = profile;
  return { id, username, name, email, address, role, createdAt, updatedAt };
}

/** A unique-key clash on the profile: tell the caller which value is taken. */
async function describeProfileConflict(email: string | null | undefined, error: unknown): Promise<Error> {
  if (!isUniqueViolation(error)) return error instanceof Error ? error : new Error(String(error));
  if (email && (await userDb.profile.findUnique({ where: { email } }))) return conflict("That email address is already in use");
  return conflict("That username is already taken");
}

/**
 * Creates credentials and profile under one id. Used by self-registration (role client) and by
 * admins. If the profile cannot be written, the credentials are deleted again.
 */
export async function createAccount(input: CreateUserInput): Promise<UserDto> {
  const passwordHash = await hashPassword(input.password);
  let credential;
  try {
    credential = await authDb.credential.create({ data: { username: input.username, passwordHash, role: input.role } });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict("That username is already taken");
    throw error;
  }
  try {
    const profile = await userDb.profile.create({
      data: {
        id: credential.userId,
        username: input.username,
        name: input.name,
        email: input.email ?? null,
        address: input.address ?? null,
        role: input.role,
      },
    });
    return toDto(profile);
  } catch (error) {
    await authDb.credential.delete({ where: { userId: credential.userId } });
    throw await describeProfileConflict(input.email, error);
  }
}

export async function createUser(viewer: Viewer, input: CreateUserInput): Promise<UserDto> {
  assertAdmin(viewer);
  return createAccount(input);
}

export async function listUsers(viewer: Viewer, filter: { role?: Profile["role"] } = {}): Promise<UserWithDeviceCount[]> {
  assertAdmin(viewer);
  const profiles = await userDb.profile.findMany({ where: { role: filter.role }, orderBy: { username: "asc" } });
  const counts = await deviceDb.device.groupBy({
    by: ["ownerId"],
    where: { ownerId: { in: profiles.map((p) => p.id) } },
    _count: { _all: true },
  });
  const countByOwner = new Map(counts.map((c) => [c.ownerId, c._count._all]));
  return profiles.map((p) => ({ ...toDto(p), deviceCount: countByOwner.get(p.id) ?? 0 }));
}

/** The user themself or an admin. */
export async function getUser(viewer: Viewer, userId: string): Promise<UserDto> {
  assertSelfOrAdmin(viewer, userId);
  const profile = await userDb.profile.findUnique({ where: { id: userId } });
  if (!profile) throw notFound("No such user");
  return toDto(profile);
}

/** Throws NOT_FOUND unless a profile with this id exists (callers check permission first). */
export async function assertUserExists(userId: string, role?: Profile["role"]): Promise<void> {
  const profile = await userDb.profile.findUnique({ where: { id: userId }, select: { role: true } });
  if (!profile) throw notFound("No such user");
  if (role && profile.role !== role) throw badRequest(`That user is not a ${role}`);
}

/**
 * Admin: changes profile fields, role and/or password. The profile is written first (it holds the
 * unique email); if the credentials update then fails, the profile is put back. A new role or
 * password bumps the session version, which signs the user out everywhere.
 */
export async function updateUser(viewer: Viewer, input: UpdateUserInput): Promise<UserDto> {
  assertAdmin(viewer);
  const before = await userDb.profile.findUnique({ where: { id: input.id } });
  if (!before) throw notFound("No such user");
  if (input.id === viewer.id && input.role !== undefined && input.role !== viewer.role) {
    throw badRequest("You cannot change your own role");
  }
  let after: Profile;
  try {
    after = await userDb.profile.update({
      where: { id: input.id },
      data: { name: input.name, email: input.email, address: input.address, role: input.role },
    });
  } catch (error) {
    throw await describeProfileConflict(input.email, error);
  }
  const roleChanged = input.role !== undefined && input.role !== before.role;
  if (roleChanged || input.password !== undefined) {
    try {
      const passwordHash = input.password === undefined ? undefined : await hashPassword(input.password);
      // The new session version and its announcement to chat (the auth outbox) commit together.
      await authDb.$transaction(async (tx) => {
        const credentials = await tx.credential.update({
          where: { userId: input.id },
          data: { role: input.role, passwordHash, sessionVersion: { increment: 1 } },
        });
        await recordSessionsEnded(tx, input.id, roleChanged ? "role-changed" : "password-changed", credentials.sessionVersion);
      });
    } catch (error) {
      const { name, email, address, role } = before;
      await userDb.profile.update({ where: { id: input.id }, data: { name, email, address, role } });
      throw error;
    }
    sessionsEndedRecorded();
  }
  return toDto(after);
}

/**
 * Admin: deletes a user everywhere. Order: credentials (no more sign-ins; sessions carrying the
 * user are rejected), then the profile, then the user's devices are unassigned, each with its sync
 * event. Idempotent: a user found in either database is (still) deletable.
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
