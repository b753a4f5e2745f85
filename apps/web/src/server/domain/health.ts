import "server-only";
import { authDb } from "@ems/db/auth";
import { deviceDb } from "@ems/db/device";
import { monitoringDb } from "@ems/db/monitoring";
import { userDb } from "@ems/db/user";
import { isAdmin, type Viewer } from "../viewer.ts";

const TIMEOUT_MS = 2_000;

export type DatabaseState = "ok" | "unreachable";
export type DatabaseStates = Record<"auth" | "user" | "device" | "monitoring", DatabaseState>;

/**
 * `work`'s result, or `fallback` when it fails or has not settled within `ms` (it is not cancelled,
 * only no longer waited for): a health check must answer in bounded time whatever it depends on.
 */
export async function within<T>(work: () => Promise<T>, fallback: T, ms = TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([work(), timeout]);
  } catch {
    return fallback;
  } finally {
    clearTimeout(timer);
  }
}

function ping(query: () => Promise<unknown>): Promise<DatabaseState> {
  return within(() => query().then(() => "ok" as const), "unreachable");
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

/** What GET /api/health reports: readiness's status, or "draining" once SIGTERM arrived. */
export type HealthStatus = Readiness["status"] | "draining";

/**
 * GET /api/health's body. Everyone gets only `{status}` (the gateway needs just the status code);
 * the per-database states and the outbox relay's state (which may carry its last error) are
 * operational detail for an admin only — ASVS 5.0 V13.4.5: a monitoring endpoint exposes no more than
 * intended (the status its probes need) to unauthenticated or unprivileged callers.
 */
export function healthBody<Details extends object>(
  status: HealthStatus,
  details: Details,
  viewer: Viewer | null,
): { status: HealthStatus } | ({ status: HealthStatus } & Details) {
  return viewer && isAdmin(viewer) ? { status, ...details } : { status };
}
