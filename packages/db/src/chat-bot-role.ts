import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import type pg from "pg";
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

/** What a role's password may hold: printable ASCII, which SASLprep (RFC 4013, as pg's client applies it) leaves as is. */
export const ROLE_PASSWORD_PATTERN = /^[\x21-\x7e]+$/;

/**
 * The SCRAM-SHA-256 secret PostgreSQL stores for `password` (RFC 5803 format, as `psql \password`
 * sends it): the server keeps it as given, so the password itself never appears in a statement that
 * could be logged. Node's crypto has the primitives; pg does not export this. ASCII passwords only
 * (ROLE_PASSWORD_PATTERN): others would need SASLprep first.
 */
export function scramSha256Secret(password: string, salt: Buffer = randomBytes(16)): string {
  if (!ROLE_PASSWORD_PATTERN.test(password)) throw new Error("a role password must be printable ASCII without spaces");
  const salted = pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${SCRAM_ITERATIONS}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/**
 * Lets `role` sign in with `password` on the server of `client` (a superuser's connection: it reads
 * pg_authid), unless it already can: every replica's migrator runs this at start, and two changes of
 * one role at the same moment fail ("tuple concurrently updated"), so the migrator calls it under its
 * migration lock and it writes only when the password changed. Returns whether it wrote.
 */
export async function setRolePassword(client: pg.ClientBase, role: string, password: string): Promise<boolean> {
  const { rows } = await client.query<{ secret: string | null; login: boolean }>(
    "SELECT rolpassword AS secret, rolcanlogin AS login FROM pg_authid WHERE rolname = $1",
    [role],
  );
  const stored = rows[0];
  const salt = /^SCRAM-SHA-256\$\d+:([^$]+)\$/.exec(stored?.secret ?? "")?.[1];
  if (stored?.login && salt !== undefined && stored.secret === scramSha256Secret(password, Buffer.from(salt, "base64"))) return false;
  await client.query(`ALTER ROLE ${client.escapeIdentifier(role)} WITH LOGIN PASSWORD ${client.escapeLiteral(scramSha256Secret(password))}`);
  return true;
}
