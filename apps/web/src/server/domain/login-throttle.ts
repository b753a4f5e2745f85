import "server-only";
import { authDb } from "@ems/db/auth";
import { tooManyRequests } from "../errors.ts";

/**
 * Failed-sign-in throttling in the auth database's login_throttle table, so every web replica sees
 * the same counts. Two keys per attempt: the username (slows guessing one account's password) and
 * the client IP (slows trying many accounts from one place). A key that reaches its limit within the
 * window is locked; while locked, attempts are refused with 429 before any password is checked.
 */
export const THROTTLE_POLICY = {
  user: { maxFailures: 5, windowSeconds: 15 * 60, lockSeconds: 5 * 60 },
  ip: { maxFailures: 30, windowSeconds: 15 * 60, lockSeconds: 15 * 60 },
} as const;

type ThrottleKind = keyof typeof THROTTLE_POLICY;

export interface ThrottleKey {
  kind: ThrottleKind;
  key: string;
}

export function throttleKeys(username: string, clientIp: string): ThrottleKey[] {
  return [
    { kind: "user", key: `user:${username}` },
    { kind: "ip", key: `ip:${clientIp}` },
  ];
}

/** Throws TOO_MANY_REQUESTS (with the seconds to wait) if any key is locked now. */
export async function assertNotThrottled(keys: ThrottleKey[]): Promise<void> {
  const rows = await authDb.$queryRaw<{ retry_after: number | null }[]>`
    SELECT ceil(extract(epoch FROM max(locked_until) - now()))::int AS retry_after
      FROM login_throttle
     WHERE key = ANY(${keys.map((k) => k.key)}) AND locked_until > now()`;
  const retryAfter = rows[0]?.retry_after;
  if (retryAfter !== null && retryAfter !== undefined) throw tooManyRequests(Math.max(1, retryAfter));
}

/**
 * Counts one failure against each key: a key whose window has passed starts again at 1; reaching
 * the limit locks it for the policy's lock time.
 */
export async function recordLoginFailure(keys: ThrottleKey[]): Promise<void> {
  for (const { kind, key } of keys) {
    const { maxFailures, windowSeconds, lockSeconds } = THROTTLE_POLICY[kind];
    await authDb.$executeRaw`
      INSERT INTO login_throttle AS t (key, failures, window_start, locked_until)
      VALUES (${key}, 1, now(), CASE WHEN 1 >= ${maxFailures} THEN now() + make_interval(secs => ${lockSeconds}) END)
      ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN t.window_start < now() - make_interval(secs => ${windowSeconds}) THEN 1 ELSE t.failures + 1 END,
        window_start = CASE WHEN t.window_start < now() - make_interval(secs => ${windowSeconds}) THEN now() ELSE t.window_start END,
        locked_until = CASE
          WHEN (CASE WHEN t.window_start < now() - make_interval(secs => ${windowSeconds}) THEN 1 ELSE t.failures + 1 END) >= ${maxFailures}
            THEN now() + make_interval(secs => ${lockSeconds})
          ELSE t.locked_until END`;
  }
}

/** A successful sign-in clears the username's count (the IP's count only decays with its window). */
export async function clearLoginFailures(username: string): Promise<void> {
  await authDb.loginThrottle.deleteMany({ where: { key: `user:${username}` } });
}
