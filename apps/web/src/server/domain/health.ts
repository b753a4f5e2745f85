import "server-only";
import { authDb } from "@ems/db/auth";
import { deviceDb } from "@ems/db/device";
import { monitoringDb } from "@ems/db/monitoring";
import { userDb } from "@ems/db/user";

const TIMEOUT_MS = 2_000;

export type DatabaseState = "ok" | "unreachable";
export type DatabaseStates = Record<"auth" | "user" | "device" | "monitoring", DatabaseState>;

async function ping(query: () => Promise<unknown>): Promise<DatabaseState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DatabaseState>((resolve) => {
    timer = setTimeout(() => resolve("unreachable"), TIMEOUT_MS);
  });
  try {
    return await Promise.race([query().then(() => "ok" as const), timeout]);
  } catch {
    return "unreachable";
  } finally {
    clearTimeout(timer);
  }
}

/** `SELECT 1` on each database the web app uses (chat's belongs to the chat process), with a short timeout. */
export async function checkDatabases(): Promise<DatabaseStates> {
  const [auth, user, device, monitoring] = await Promise.all([
    ping(() => authDb.$queryRaw`SELECT 1`),
    ping(() => userDb.$queryRaw`SELECT 1`),
    ping(() => deviceDb.$queryRaw`SELECT 1`),
    ping(() => monitoringDb.$queryRaw`SELECT 1`),
  ]);
  return { auth, user, device, monitoring };
}

export interface Readiness {
  /** ok: every database answers; degraded: auth answers, another does not; unavailable: auth does not. */
  status: "ok" | "degraded" | "unavailable";
  databases: DatabaseStates;
}

/**
 * Whether this replica should get traffic. It is ready while the auth database answers, because then
 * sign-in works; a user, device or monitoring outage only breaks the pages that need that database,
 * and taking the replica out of the gateway for it would take sign-in down too.
 */
export async function checkReadiness(): Promise<Readiness> {
  const databases = await checkDatabases();
  if (databases.auth !== "ok") return { status: "unavailable", databases };
  return { status: Object.values(databases).every((state) => state === "ok") ? "ok" : "degraded", databases };
}
