import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";
import { DEMO_CLIENT, DEMO_DEVICE_ID, ensureAdmin, ensureDemoData } from "./bootstrap.ts";

/** Development defaults are documented in the README; set real values anywhere else. */
const seedEnv = createEnv({
  server: {
    SEED_ADMIN_USERNAME: z.string().default("admin"),
    SEED_ADMIN_PASSWORD: z.string().min(8).default("admin-password"),
    SEED_CLIENT_USERNAME: z.string().default(DEMO_CLIENT.username),
    SEED_CLIENT_PASSWORD: z.string().min(8).default(DEMO_CLIENT.password),
    SEED_DEVICE_ID: z.uuid().default(DEMO_DEVICE_ID),
  },
  // eslint-disable-next-line no-restricted-properties -- the seed's own settings
  runtimeEnv: process.env,
  emptyStringAsUndefined: true,
});

/**
 * `npm run setup`'s development data: an admin, the demo client and its device. The same functions
 * (./bootstrap.ts) create the first admin and the demo data when the web server starts.
 */
export async function seed(): Promise<string[]> {
  const admin = await ensureAdmin({ username: seedEnv.SEED_ADMIN_USERNAME, password: seedEnv.SEED_ADMIN_PASSWORD });
  const demo = await ensureDemoData({
    client: { username: seedEnv.SEED_CLIENT_USERNAME, password: seedEnv.SEED_CLIENT_PASSWORD },
    deviceId: seedEnv.SEED_DEVICE_ID,
  });
  return [admin.line, ...demo.lines];
}
