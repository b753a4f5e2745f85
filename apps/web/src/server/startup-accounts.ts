import "server-only";
import { ensureAdmin, ensureDemoData } from "@ems/db/bootstrap";
import { consoleLogger, type Logger } from "@ems/messaging";
import { env } from "~/env.ts";

/**
 * What a web server ensures when it starts: the deployment's first admin (ADMIN_USERNAME and
 * ADMIN_PASSWORD / ADMIN_PASSWORD_FILE, e.g. a Docker secret) and, with DEMO_DATA=1, the demo client
 * and device. Without these a fresh stack has no one who can sign in (self-registration makes
 * clients). The work is @ems/db/bootstrap's, shared with `npm run setup`: it creates what is missing,
 * never changes an existing account, and is safe when both replicas start at once.
 */
export interface StartupAccounts {
  admin: { username: string; password: string } | null;
  demoData: boolean;
}

export function startupAccountsFromEnv(): StartupAccounts {
  const { ADMIN_USERNAME, ADMIN_PASSWORD, DEMO_DATA } = env;
  // env.ts refuses one without the other.
  const admin = ADMIN_USERNAME !== undefined && ADMIN_PASSWORD !== undefined ? { username: ADMIN_USERNAME, password: ADMIN_PASSWORD } : null;
  return { admin, demoData: DEMO_DATA };
}

/** One attempt; throws when a database does not answer (what is done by then stays done). */
export async function ensureStartupAccounts(accounts: StartupAccounts, log: Logger): Promise<void> {
  if (accounts.admin) {
    const admin = await ensureAdmin(accounts.admin);
    if (admin.role === "admin") log.info(admin.line);
    else log.warn(`${admin.line}; set ADMIN_USERNAME to another name to get an admin`);
  }
  if (accounts.demoData) {
    for (const line of (await ensureDemoData()).lines) log.info(line);
  }
}

export interface RetryOptions {
  log?: Logger;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Attempts until one succeeds, waiting 1 s, 2 s, 4 s … (at most 30 s) in between; never throws. A
 * database being down at start must not stop the server: existing accounts sign in with only the auth
 * database, and the admin's account, once the user database is back, is completed by a later attempt
 * (its credentials are enabled only after its profile is written).
 */
export async function ensureStartupAccountsWithRetry(accounts: StartupAccounts, options: RetryOptions = {}): Promise<void> {
  if (!accounts.admin && !accounts.demoData) return;
  const log = options.log ?? consoleLogger("web-startup", env.LOG_LEVEL);
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  let delayMs = options.initialDelayMs ?? 1_000;
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureStartupAccounts(accounts, log);
      return;
    } catch (error) {
      // The message of a database error, never the password (it is hashed before any query).
      const reason = error instanceof Error ? error.message.split("\n").at(-1)?.trim() : String(error);
      log.warn(`start-up accounts not ensured yet (attempt ${attempt}): ${reason}; retrying in ${Math.round(delayMs / 1000)} s`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, maxDelayMs);
    }
  }
}
