import "server-only";
import { authDb } from "@ems/db/auth";
import { deviceDb } from "@ems/db/device";
import { monitoringDb } from "@ems/db/monitoring";
import { userDb } from "@ems/db/user";

const TIMEOUT_MS = 2_000;

type DatabaseState = "ok" | "unreachable";

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
export async function checkDatabases(): Promise<Record<"auth" | "user" | "device" | "monitoring", DatabaseState>> {
  const [auth, user, device, monitoring] = await Promise.all([
    ping(() => authDb.$queryRaw`SELECT 1`),
    ping(() => userDb.$queryRaw`SELECT 1`),
    ping(() => deviceDb.$queryRaw`SELECT 1`),
    ping(() => monitoringDb.$queryRaw`SELECT 1`),
  ]);
  return { auth, user, device, monitoring };
}
