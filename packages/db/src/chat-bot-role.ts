import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import pg from "pg";
import type { DatabaseName } from "./databases.ts";

/**
 * The role chat's AI tools read the asking user's own data as: SELECT on the columns they show (devices
 * in the device database; hourly consumption and alerts in the monitoring database), read-only sessions.
 * The migrations `*_chat_bot_role.sql` create it and its grants; its password belongs to the deployment
 * (the stack's chat_bot_db_password secret), so the migrator sets it after migrating (setRolePassword).
 */
export const CHAT_BOT_ROLE = "ems_chat_bot";
export const CHAT_BOT_DATABASES: readonly DatabaseName[] = ["device", "monitoring"];

/** `databaseUrl`'s server and database, signed in as the bot's role (the password comes separately, if any). */
export function chatBotUrl(databaseUrl: string): string {
  const parsed = new URL(databaseUrl);
  parsed.username = CHAT_BOT_ROLE;
  parsed.password = "";
  return parsed.toString();
}

const SCRAM_ITERATIONS = 4096;

/**
 * The SCRAM-SHA-256 secret PostgreSQL stores for `password` (RFC 5803 format, as `psql \password`
 * sends it): the server keeps it as given, so the password itself never appears in a statement that
 * could be logged. Node's crypto has the primitives; pg does not export this.
 */
export function scramSha256Secret(password: string, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, SCRAM_ITERATIONS, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${SCRAM_ITERATIONS}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/** Lets `role` sign in with `password` on the server of `url` (a superuser's or CREATEROLE connection). */
export async function setRolePassword(url: string, role: string, password: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`ALTER ROLE ${client.escapeIdentifier(role)} WITH LOGIN PASSWORD ${client.escapeLiteral(scramSha256Secret(password))}`);
  } finally {
    await client.end();
  }
}
