/* eslint-disable no-restricted-properties -- the one module that reads the web process's environment */
import "server-only";
import { createEnv } from "@t3-oss/env-nextjs";
import { z } from "zod";
import { authSecretSchema, socketTokenPrivateKeySchema } from "@ems/auth/tokens";
import { withSecretFiles } from "@ems/config/secrets";
import { fleetEnvSchema } from "@ems/contracts/fleet";
import { passwordSchema, usernameSchema } from "~/lib/schemas.ts";

/**
 * The web process's settings, parsed once with zod. The five *_DATABASE_URL variables belong to
 * @ems/db's own env (packages/db/src/env.ts) and are parsed there.
 *
 * One secret per purpose. AUTH_SECRET signs next-auth session cookies and REST Bearer tokens; only
 * this process holds it. SOCKET_TOKEN_PRIVATE_KEY (Ed25519, PEM) signs the Socket.IO handshake tokens;
 * the chat process is given only its public key (SOCKET_TOKEN_PUBLIC_KEY), so it can check them but
 * mint none. Only under NODE_ENV=development or test (next dev, `npm run dev`, Vitest) do a fixed
 * development secret and key pair stand in, so that `npm run dev` works without configuration.
 * AUTH_SECRET_FILE and SOCKET_TOKEN_PRIVATE_KEY_FILE (Docker secrets) work too. Server code only: the
 * browser learns the chat URL from `chat.socketToken`.
 *
 * ADMIN_USERNAME + ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE) give a deployment its first admin, created
 * at start unless the username exists (server/startup-accounts.ts); DEMO_DATA=1 adds the demo client
 * and device.
 */
const isProduction = process.env.NODE_ENV === "production";
// `next build` runs with NODE_ENV=production but has no secrets; it sets this to defer the check to start-up.
const skipValidation = process.env.SKIP_ENV_VALIDATION === "1";

const source = withSecretFiles(process.env, ["AUTH_SECRET", "SOCKET_TOKEN_PRIVATE_KEY", "ADMIN_PASSWORD", "RABBITMQ_URL"]);

// A deployment's admin password guards everything, so production asks for more than the users' minimum.
const adminPasswordSchema = isProduction
  ? z.string().min(12, { error: "ADMIN_PASSWORD must be at least 12 characters in production" }).max(200)
  : passwordSchema;

export const env = createEnv({
  server: {
    // Required unless NODE_ENV is "development" (next dev) or "test" (Vitest): only then may the public
    // development secret stand in. Unset, "staging", "production": the server refuses to start without it.
    AUTH_SECRET: authSecretSchema(process.env.NODE_ENV),
    /**
     * Ed25519 private key (PEM, PKCS #8) signing the Socket.IO handshake tokens; its public key goes to
     * chat. Same rule as AUTH_SECRET: required unless NODE_ENV is "development" or "test" (then the public
     * development pair stands in), and the development pair is refused to any other process.
     */
    SOCKET_TOKEN_PRIVATE_KEY: socketTokenPrivateKeySchema(process.env.NODE_ENV),
    /** The public URL of the app (next-auth reads it for callbacks and redirects). */
    NEXTAUTH_URL: z.url().optional(),
    /** The same URL under next-auth v5's name (the stack sets both); NEXTAUTH_URL wins when both are set. */
    AUTH_URL: z.url().optional(),
    /** Lifetime of a browser session (next-auth JWT), in seconds. */
    SESSION_MAX_AGE_SECONDS: z.coerce.number().int().min(60).max(30 * 24 * 3600).default(8 * 3600),
    RABBITMQ_URL: z.url().default("amqp://guest:guest@127.0.0.1:5672"),
    /** Prefix of every queue name; empty in production, unique per test run. */
    QUEUE_PREFIX: z.string().regex(/^[a-z0-9._-]*$/).default(""),
    /** "off" disables the outbox relay in this process (e.g. tests that run their own). */
    OUTBOX_RELAY: z.enum(["on", "off"]).default("on"),
    OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(500),
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
    /** The first admin, ensured at every start (an existing account is left as it is). Both or neither. */
    ADMIN_USERNAME: usernameSchema.optional(),
    ADMIN_PASSWORD: adminPasswordSchema.optional(),
    /** "1": the demo client (demo / demo-password) and its device are ensured at start. */
    /** On SIGTERM, how long to keep serving (readiness 503) before stopping: the gateway's refresh time. */
    SHUTDOWN_DRAIN_SECONDS: z.coerce.number().int().min(0).max(120).default(0),
    DEMO_DATA: z.stringbool({ truthy: ["1"], falsy: ["0"], error: 'DEMO_DATA must be "1" or "0"' }).default(false),
    ...fleetEnvSchema,
  },
  client: {
    /** Where the browser opens the Socket.IO connection; empty means same origin (behind Traefik). */
    NEXT_PUBLIC_CHAT_URL: z.union([z.url(), z.literal("")]).default("http://localhost:4000"),
  },
  runtimeEnv: {
    AUTH_SECRET: source.AUTH_SECRET,
    SOCKET_TOKEN_PRIVATE_KEY: source.SOCKET_TOKEN_PRIVATE_KEY,
    NEXTAUTH_URL: source.NEXTAUTH_URL,
    AUTH_URL: source.AUTH_URL || undefined,
    SESSION_MAX_AGE_SECONDS: source.SESSION_MAX_AGE_SECONDS,
    RABBITMQ_URL: source.RABBITMQ_URL,
    QUEUE_PREFIX: source.QUEUE_PREFIX,
    OUTBOX_RELAY: source.OUTBOX_RELAY,
    OUTBOX_POLL_INTERVAL_MS: source.OUTBOX_POLL_INTERVAL_MS,
    LOG_LEVEL: source.LOG_LEVEL,
    // Empty counts as unset here: a stack file's `${ADMIN_USERNAME:-}` must not stop the server.
    ADMIN_USERNAME: source.ADMIN_USERNAME || undefined,
    ADMIN_PASSWORD: source.ADMIN_PASSWORD || undefined,
    DEMO_DATA: source.DEMO_DATA || undefined,
    SHUTDOWN_DRAIN_SECONDS: source.SHUTDOWN_DRAIN_SECONDS,
    FLEET_SILENT_AFTER_MINUTES: source.FLEET_SILENT_AFTER_MINUTES,
    // Spelled out so that Next.js inlines it at build time.
    NEXT_PUBLIC_CHAT_URL: process.env.NEXT_PUBLIC_CHAT_URL,
  },
  // One without the other is a typo in the stack file, not "no admin": refuse to start.
  createFinalSchema: (shape) =>
    z.object(shape).superRefine((values, context) => {
      if ((values.ADMIN_USERNAME === undefined) !== (values.ADMIN_PASSWORD === undefined)) {
        context.addIssue({ code: "custom", path: ["ADMIN_PASSWORD"], message: "ADMIN_USERNAME and ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE) must be set together" });
      }
    }),
  skipValidation,
  emptyStringAsUndefined: false,
});
