import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";
import { withSecretFiles } from "@ems/config/secrets";
import { ROLE_PASSWORD_PATTERN } from "./chat-bot-role.ts";
import { DATABASES, DATABASE_URL_VARIABLES, defaultDatabaseUrl, type DatabaseName } from "./databases.ts";

const url = (name: DatabaseName) => z.url().default(defaultDatabaseUrl(name));

/** Database settings, parsed once per process. `*_FILE` variables (Docker secrets) are honoured. */
export const dbEnv = createEnv({
  server: {
    AUTH_DATABASE_URL: url("auth"),
    USER_DATABASE_URL: url("user"),
    DEVICE_DATABASE_URL: url("device"),
    MONITORING_DATABASE_URL: url("monitoring"),
    CHAT_DATABASE_URL: url("chat"),
    /** Optional passwords kept out of the URLs, e.g. AUTH_DATABASE_PASSWORD_FILE=/run/secrets/auth_db_password. */
    AUTH_DATABASE_PASSWORD: z.string().optional(),
    USER_DATABASE_PASSWORD: z.string().optional(),
    DEVICE_DATABASE_PASSWORD: z.string().optional(),
    MONITORING_DATABASE_PASSWORD: z.string().optional(),
    CHAT_DATABASE_PASSWORD: z.string().optional(),
    /**
     * The password of chat's read-only bot role (chat-bot-role.ts): the migrator of the device and
     * monitoring databases sets it, chat signs in with it. Unset: the role has none (development's
     * trusted local connections need none).
     */
    CHAT_BOT_DATABASE_PASSWORD: z.string().regex(ROLE_PASSWORD_PATTERN, "CHAT_BOT_DATABASE_PASSWORD must be printable ASCII without spaces").optional(),
    /** Connections per Prisma client pool in this process. */
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
    /** How long the start-up migrator waits for a database that is not reachable yet (0: no waiting). */
    MIGRATE_WAIT_SECONDS: z.coerce.number().int().min(0).max(3600).default(120),
  },
  runtimeEnv: withSecretFiles(
    // eslint-disable-next-line no-restricted-properties -- the one place the database env is read
    process.env,
    [...DATABASES.map((name) => DATABASE_URL_VARIABLES[name].replace("_URL", "_PASSWORD")), "CHAT_BOT_DATABASE_PASSWORD"],
  ),
  emptyStringAsUndefined: true,
});

/** Each database's connection URL, with its password filled in when given separately. */
export const databaseUrls = Object.fromEntries(
  DATABASES.map((name) => {
    const variable = DATABASE_URL_VARIABLES[name];
    const parsed = new URL(dbEnv[variable]);
    const password = dbEnv[variable.replace("_URL", "_PASSWORD") as `${Uppercase<DatabaseName>}_DATABASE_PASSWORD`];
    if (password) parsed.password = password;
    return [name, parsed.toString()];
  }),
) as Record<DatabaseName, string>;
