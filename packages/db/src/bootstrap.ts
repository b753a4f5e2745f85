import { hashPassword } from "@ems/auth/passwords";
import { authDb, type Credential, type Role } from "./auth.ts";
import { deviceDb } from "./device.ts";
import { outboxEventFor } from "./device-outbox.ts";
import { userDb } from "./user.ts";

/**
 * The accounts and data an EMS starts with, shared by `npm run setup` (the development users) and the
 * web server's start (the first admin from a Docker secret; the demo data when DEMO_DATA=1).
 *
 * Every function creates what is missing and never changes what exists: an operator who changed the
 * admin's password keeps it. They are safe when several processes run them at once (two web replicas
 * start together): losing a unique-key race means the other process created the row, which is fine.
 * An account is created as the web app creates one (apps/web/src/server/domain/users.ts): credentials
 * disabled (auth database), then the profile (user database), then the credentials are enabled; only
 * enabled credentials sign in. With the user database down nothing signs in yet, and running the
 * function again adds the profile and enables the credentials.
 */

/** The demo client and device `npm run setup` and DEMO_DATA=1 create (the simulator feeds this device). */
export const DEMO_CLIENT = { username: "demo", password: "demo-password", name: "Demo Client" } as const;
/** The contract's example device id, so the simulator has a known device to feed. */
export const DEMO_DEVICE_ID = "5c2494a3-1140-4c7a-991a-a1a2561c6bc2";

export interface AccountSpec {
  username: string;
  password: string;
  role: Role;
  name: string;
}

export interface EnsuredAccount {
  id: string;
  username: string;
  /** The stored role (auth database): another than the one asked for when the username was already taken by such a user. */
  role: Role;
  /** created: by this call; completed: the credentials existed, this call added the missing profile (and enabled them). */
  outcome: "created" | "completed" | "present";
  /** For the log; never contains the password. */
  line: string;
}

export interface EnsuredDemoData {
  client: EnsuredAccount;
  device: { id: string; outcome: "created" | "present" };
  lines: string[];
}

/** Prisma's unique-constraint violation: another process inserted the same key first. */
function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "P2002";
}

async function findOrCreateCredential(spec: AccountSpec): Promise<{ credential: Credential; created: boolean }> {
  const existing = await authDb.credential.findUnique({ where: { username: spec.username } });
  if (existing) return { credential: existing, created: false };
  const passwordHash = await hashPassword(spec.password);
  try {
    const credential = await authDb.credential.create({ data: { username: spec.username, passwordHash, role: spec.role, enabled: false } });
    return { credential, created: true };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return { credential: await authDb.credential.findUniqueOrThrow({ where: { username: spec.username } }), created: false };
  }
}

/** Adds the profile of these credentials unless present; true when this call wrote it. */
async function ensureProfile(credential: Credential, name: string): Promise<boolean> {
  const byId = { where: { id: credential.userId }, select: { id: true } } as const;
  if (await userDb.profile.findUnique(byId)) return false;
  try {
    await userDb.profile.create({ data: { id: credential.userId, username: credential.username, name } });
    return true;
  } catch (error) {
    if (isUniqueViolation(error) && (await userDb.profile.findUnique(byId))) return false;
    throw error;
  }
}

function describeAccount(spec: AccountSpec, account: Omit<EnsuredAccount, "line">): string {
  if (account.role !== spec.role) {
    return `${account.role} "${account.username}" already present, not a${spec.role === "admin" ? "n" : ""} ${spec.role}: left unchanged`;
  }
  if (account.outcome === "created") return `${spec.role} "${account.username}" created`;
  if (account.outcome === "completed") return `${spec.role} "${account.username}" already present (its missing profile was added)`;
  return `${spec.role} "${account.username}" already present`;
}

/**
 * Creates the account (disabled credentials, profile, enabled credentials, under one id) unless its
 * username exists. An existing account keeps its password and role; one whose creation stopped
 * half-way is completed (missing profile added, credentials enabled).
 */
export async function ensureAccount(spec: AccountSpec): Promise<EnsuredAccount> {
  const { credential, created } = await findOrCreateCredential(spec);
  const profileCreated = await ensureProfile(credential, spec.name);
  // Last, and only now that the profile exists: from here on the account signs in.
  await authDb.credential.updateMany({ where: { userId: credential.userId, enabled: false }, data: { enabled: true } });
  const account = {
    id: credential.userId,
    username: credential.username,
    role: credential.role,
    outcome: created ? "created" : profileCreated ? "completed" : "present",
  } as const;
  return { ...account, line: describeAccount(spec, account) };
}

/** The first administrator (e.g. from ADMIN_USERNAME / ADMIN_PASSWORD). */
export function ensureAdmin(admin: { username: string; password: string; name?: string }): Promise<EnsuredAccount> {
  return ensureAccount({ username: admin.username, password: admin.password, role: "admin", name: admin.name ?? "Administrator" });
}

/**
 * The demo client and its smart meter. The device is created with its `device.created` outbox event
 * in one transaction, so the outbox relay tells monitoring about it like about any other device.
 */
export async function ensureDemoData(
  options: { client?: { username: string; password: string }; deviceId?: string } = {},
): Promise<EnsuredDemoData> {
  const clientSpec = { ...DEMO_CLIENT, ...options.client };
  const deviceId = options.deviceId ?? DEMO_DEVICE_ID;
  const client = await ensureAccount({ ...clientSpec, role: "client" });
  // Devices belong to clients only; a demo username taken by an admin leaves the device unassigned.
  const ownerId = client.role === "client" ? client.id : null;

  let created = false;
  if (!(await deviceDb.device.findUnique({ where: { id: deviceId }, select: { id: true } }))) {
    try {
      await deviceDb.$transaction(async (tx) => {
        const device = await tx.device.create({
          data: {
            id: deviceId,
            name: "Demo smart meter",
            description: "Seeded for the demo client",
            address: "1 Demo Street",
            maxHourlyConsumption: "1.5",
            ownerId,
          },
        });
        await tx.outboxEvent.create({ data: outboxEventFor(device, "device.created") });
      });
      created = true;
    } catch (error) {
      // The other replica created it (with its outbox event) first; ours was rolled back.
      if (!isUniqueViolation(error)) throw error;
    }
  }
  const deviceLine = created
    ? `device ${deviceId} created${ownerId ? ` for "${client.username}"` : " without an owner"}`
    : `device ${deviceId} already present`;
  return { client, device: { id: deviceId, outcome: created ? "created" : "present" }, lines: [client.line, deviceLine] };
}
