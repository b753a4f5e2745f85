/* eslint-disable no-restricted-properties -- the one module that reads the chat process's environment */
import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";
import { socketTokenPublicKey, socketTokenPublicKeySchema } from "@ems/auth/tokens";
import { withSecretFiles } from "@ems/config/secrets";
import { databaseUrls, dbEnv } from "@ems/db/env";
import { sharedEnvSchema } from "../shared/env.ts";
import type { UserDataUrls } from "./bot/user-data.ts";
import type { ChatServerConfig } from "./config.ts";

const commaList = z
  .string()
  .transform((value) => value.split(",").map((item) => item.trim()).filter(Boolean))
  .pipe(z.array(z.url({ error: "CHAT_ALLOWED_ORIGINS must be a comma-separated list of origins" })).min(1));

/**
 * The chat process's settings, parsed once at start-up; SOCKET_TOKEN_PUBLIC_KEY_FILE, XAI_API_KEY_FILE and
 * RABBITMQ_URL_FILE (Docker secrets) work too. The chat database's URL belongs to @ems/db's env. Chat
 * holds no AUTH_SECRET: it verifies socket tokens with the web app's public key and can sign nothing.
 */
export const chatEnv = createEnv({
  server: {
    ...sharedEnvSchema,
    CHAT_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    CHAT_HOST: z.string().min(1).default("0.0.0.0"),
    /**
     * The Ed25519 public key (PEM) of the web app's SOCKET_TOKEN_PRIVATE_KEY: verifies the short-lived
     * "ems-socket" handshake tokens the web app signs. A private key is refused. Required unless NODE_ENV
     * is "development" or "test" (`npm run dev` sets it): only then does the public development key stand in.
     */
    SOCKET_TOKEN_PUBLIC_KEY: socketTokenPublicKeySchema(process.env.NODE_ENV),
    /** Browser origins allowed to open a socket (the web app's public URL(s)). */
    CHAT_ALLOWED_ORIGINS: commaList.default(["http://localhost:3000"]),
    /** xAI key for Grok; without it every unmatched bot question gets the fallback reply. */
    XAI_API_KEY: z.string().min(1).optional(),
    XAI_BASE_URL: z.url().default("https://api.x.ai/v1"),
    XAI_MODEL: z.string().min(1).default("grok-3-mini"),
    AI_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    /** AI answers per user per minute (per chat process); beyond it the fallback reply is sent. */
    AI_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1000).default(10),
    /**
     * Read-only connections (the role ems_chat_bot, which may only SELECT what the tools read, see README
     * "Bot mode") for the AI's tools on the asking user's own devices, consumption and alerts; both or
     * neither. CHAT_BOT_DATABASE_PASSWORD(_FILE) (@ems/db's env) fills in a password they lack.
     */
    CHAT_BOT_DEVICE_DATABASE_URL: z.url().optional(),
    CHAT_BOT_MONITORING_DATABASE_URL: z.url().optional(),
    /** Messages one client may send per minute (per chat process): flood protection. */
    CHAT_SEND_RATE_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(30),
    /**
     * Per-socket event budget (token bucket): every client → server event costs points (typing 1,
     * send/reply 2, history/read 5, inbox/open 10); over budget it is refused with rate_limited before
     * any database work. Burst size, points regained per second, and refused events per minute after
     * which the socket is disconnected.
     */
    CHAT_SOCKET_BUDGET: z.coerce.number().int().min(10).max(100_000).default(60),
    CHAT_SOCKET_BUDGET_REFILL_PER_SECOND: z.coerce.number().min(0.1).max(10_000).default(2),
    CHAT_SOCKET_REFUSALS_BEFORE_DISCONNECT: z.coerce.number().int().min(1).max(100_000).default(50),
    /** Concurrent sockets per user per chat process; the next handshake gets connect error too_many_sockets. */
    CHAT_MAX_SOCKETS_PER_USER: z.coerce.number().int().min(1).max(1000).default(10),
    /** How many RabbitMQ notifications a chat process handles at once. */
    CHAT_NOTIFICATIONS_PREFETCH: z.coerce.number().int().min(1).max(1000).default(50),
  },
  runtimeEnv: withSecretFiles(process.env, [
    "SOCKET_TOKEN_PUBLIC_KEY",
    "XAI_API_KEY",
    "RABBITMQ_URL",
    "CHAT_BOT_DEVICE_DATABASE_URL",
    "CHAT_BOT_MONITORING_DATABASE_URL",
  ]),
  emptyStringAsUndefined: true,
});

export function chatConfigFromEnv(env: typeof chatEnv): ChatServerConfig {
  return {
    port: env.CHAT_PORT,
    host: env.CHAT_HOST,
    socketTokenPublicKey: socketTokenPublicKey(env.SOCKET_TOKEN_PUBLIC_KEY),
    allowedOrigins: env.CHAT_ALLOWED_ORIGINS,
    // The Socket.IO Postgres adapter uses the chat database (CHAT_DATABASE_URL, parsed by @ems/db).
    adapterDatabaseUrl: databaseUrls.chat,
    ai: {
      apiKey: env.XAI_API_KEY,
      baseUrl: env.XAI_BASE_URL,
      model: env.XAI_MODEL,
      timeoutMs: env.AI_TIMEOUT_MS,
      ratePerMinute: env.AI_RATE_LIMIT_PER_MINUTE,
      userData: botDataUrls(env),
    },
    sendRatePerMinute: env.CHAT_SEND_RATE_PER_MINUTE,
    socketBudget: {
      capacity: env.CHAT_SOCKET_BUDGET,
      refillPerSecond: env.CHAT_SOCKET_BUDGET_REFILL_PER_SECOND,
      refusalsBeforeDisconnect: env.CHAT_SOCKET_REFUSALS_BEFORE_DISCONNECT,
    },
    maxSocketsPerUser: env.CHAT_MAX_SOCKETS_PER_USER,
    rabbitmq: {
      url: env.RABBITMQ_URL,
      queuePrefix: env.QUEUE_PREFIX,
      partitionCount: env.PARTITION_COUNT,
      prefetch: env.CHAT_NOTIFICATIONS_PREFETCH,
    },
    logLevel: env.LOG_LEVEL,
  };
}

function botDataUrls(env: typeof chatEnv): UserDataUrls | undefined {
  const { CHAT_BOT_DEVICE_DATABASE_URL: deviceUrl, CHAT_BOT_MONITORING_DATABASE_URL: monitoringUrl } = env;
  if (deviceUrl === undefined && monitoringUrl === undefined) return undefined;
  if (deviceUrl === undefined || monitoringUrl === undefined) {
    throw new Error("CHAT_BOT_DEVICE_DATABASE_URL and CHAT_BOT_MONITORING_DATABASE_URL go together: set both or neither");
  }
  return { deviceUrl: withBotPassword(deviceUrl), monitoringUrl: withBotPassword(monitoringUrl) };
}

/** The URL with CHAT_BOT_DATABASE_PASSWORD filled in, unless it carries a password of its own. */
function withBotPassword(url: string): string {
  const password = dbEnv.CHAT_BOT_DATABASE_PASSWORD;
  const parsed = new URL(url);
  if (!password || parsed.password) return url;
  parsed.password = password;
  return parsed.toString();
}
