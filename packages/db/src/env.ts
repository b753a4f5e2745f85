import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";
import { defaultDatabaseUrl } from "./databases.ts";

const url = (name: Parameters<typeof defaultDatabaseUrl>[0]) => z.url().default(defaultDatabaseUrl(name));

/** Database URLs, parsed once per process. */
export const dbEnv = createEnv({
  server: {
    AUTH_DATABASE_URL: url("auth"),
    USER_DATABASE_URL: url("user"),
    DEVICE_DATABASE_URL: url("device"),
    MONITORING_DATABASE_URL: url("monitoring"),
    CHAT_DATABASE_URL: url("chat"),
    /** Connections per Prisma client pool in this process. */
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  },
  // eslint-disable-next-line no-restricted-properties -- the one place the database env is read
  runtimeEnv: process.env,
  emptyStringAsUndefined: true,
});
