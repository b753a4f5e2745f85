import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";
import { hashPassword } from "@ems/auth/passwords";
import { authDb } from "./auth.ts";
import { deviceDb } from "./device.ts";
import { outboxEventFor } from "./device-outbox.ts";
import { userDb, type Role } from "./user.ts";

/** Development defaults are documented in the README; set real values anywhere else. */
const seedEnv = createEnv({
  server: {
    SEED_ADMIN_USERNAME: z.string().default("admin"),
    SEED_ADMIN_PASSWORD: z.string().min(8).default("admin-password"),
    SEED_CLIENT_USERNAME: z.string().default("demo"),
    SEED_CLIENT_PASSWORD: z.string().min(8).default("demo-password"),
    /** The demo device's id: the contract's example id, so the simulator has a known device to feed. */
    SEED_DEVICE_ID: z.uuid().default("5c2494a3-1140-4c7a-991a-a1a2561c6bc2"),
  },
  // eslint-disable-next-line no-restricted-properties -- the seed's own settings
  runtimeEnv: process.env,
  emptyStringAsUndefined: true,
});

interface SeedUser {
  username: string;
  password: string;
  role: Role;
  name: string;
}

/** Creates the user in auth and user databases unless present; returns its id and a log line. */
async function ensureUser(user: SeedUser): Promise<{ id: string; line: string }> {
  let credential = await authDb.credential.findUnique({ where: { username: user.username } });
  const created = credential === null;
  credential ??= await authDb.credential.create({
    data: { username: user.username, passwordHash: await hashPassword(user.password), role: user.role },
  });
  await userDb.profile.upsert({
    where: { id: credential.userId },
    create: { id: credential.userId, username: user.username, name: user.name, role: user.role },
    update: {},
  });
  return { id: credential.userId, line: `${user.role} "${user.username}" ${created ? "created" : "already present"}` };
}

export async function seed(): Promise<string[]> {
  const admin = await ensureUser({ username: seedEnv.SEED_ADMIN_USERNAME, password: seedEnv.SEED_ADMIN_PASSWORD, role: "admin", name: "Administrator" });
  const client = await ensureUser({ username: seedEnv.SEED_CLIENT_USERNAME, password: seedEnv.SEED_CLIENT_PASSWORD, role: "client", name: "Demo Client" });
  const log = [admin.line, client.line];

  const existing = await deviceDb.device.findUnique({ where: { id: seedEnv.SEED_DEVICE_ID } });
  if (existing) {
    log.push(`device ${existing.id} already present`);
  } else {
    await deviceDb.$transaction(async (tx) => {
      const device = await tx.device.create({
        data: {
          id: seedEnv.SEED_DEVICE_ID,
          name: "Demo smart meter",
          description: "Seeded for the demo client",
          address: "1 Demo Street",
          maxHourlyConsumption: "1.5",
          ownerId: client.id,
        },
      });
      await tx.outboxEvent.create({ data: outboxEventFor(device, "device.created") });
    });
    log.push(`device ${seedEnv.SEED_DEVICE_ID} created for "${seedEnv.SEED_CLIENT_USERNAME}"`);
  }
  return log;
}
