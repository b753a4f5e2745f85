import { TRPCError } from "@trpc/server";
import { authDb } from "@ems/db/auth";
import { beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../api/root.ts";
import { authOptions } from "../auth.ts";
import { createTestUser, PASSWORD } from "../../../test/fixtures.ts";
import { jsonOf, randomClientIp, randomIp, rest } from "../../../test/rest.ts";
import type { Viewer } from "../viewer.ts";
import { THROTTLE_POLICY } from "./login-throttle.ts";

/**
 * OWASP ASVS 5.0, 6.3.1: "Verify that controls to prevent attacks such as credential stuffing and
 * password brute force are implemented according to the application's security documentation."
 * The documented controls (apps/web/README.md, "Throttling"): per username 5 failures in 15 min lock
 * it for 5 min; per client IP 30 failures in 15 min lock it for 15 min; a locked key is refused
 * before any password is checked. Both sign-in paths are covered: REST (429 + Retry-After) and
 * next-auth's Credentials provider, which turns every refusal into a 401 carrying the message.
 */

/**
 * A credentials sign-in the way next-auth v4 runs it (core/routes/callback.js): `authorize(body,
 * {query, body, headers, method})`; a throw or null becomes a 401 whose error is the thrown message,
 * a user becomes a session. Headers arrive as a plain object (`Object.fromEntries(headers())`).
 */
type Authorize = (credentials: Record<string, string>, request: { query: object; body: object; headers: Record<string, string>; method: string }) => Promise<unknown>;
const authorize = (authOptions.providers[0] as unknown as { options: { authorize: Authorize } }).options.authorize;

async function nextAuthSignIn(username: string, password: string, headers: Record<string, string>): Promise<{ status: 200 | 401; error?: string }> {
  const body = { username, password, csrfToken: "checked-by-next-auth-before-authorize", json: "true" };
  try {
    const user = await authorize(body, { query: {}, body, headers, method: "POST" });
    return user ? { status: 200 } : { status: 401, error: "CredentialsSignin" };
  } catch (error) {
    return { status: 401, error: (error as Error).message };
  }
}

/** The per-username limit's worth of wrong passwords (each must still be a plain 401). */
async function failUntilLocked(signIn: (password: string) => Promise<{ status: number }>): Promise<void> {
  for (let i = 0; i < THROTTLE_POLICY.user.maxFailures; i++) expect((await signIn("not-the-password")).status).toBe(401);
}

describe("ASVS V6.3.1 — brute-force throttling over REST (POST /api/auth/login)", () => {
  it("per username: after 5 failures (from different addresses) the account answers 429 + Retry-After, even to the right password", async () => {
    const victim = await createTestUser("client", "victim");
    await failUntilLocked((password) => rest.login({ username: victim.username, password }, randomClientIp()));

    const locked = await rest.login({ username: victim.username, password: PASSWORD }, randomClientIp());
    expect(locked.status).toBe(429);
    expect(await jsonOf(locked)).toEqual({ error: { code: "TOO_MANY_REQUESTS", message: expect.stringMatching(/try again in \d+ s/) as string } });
    const retryAfter = Number(locked.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(THROTTLE_POLICY.user.lockSeconds);
    // The username is matched case-insensitively, like the sign-in itself.
    expect((await rest.login({ username: victim.username.toUpperCase(), password: PASSWORD }, randomClientIp())).status).toBe(429);
  });

  it("per IP: 30 failures for any usernames lock the address for everyone; another address still signs in", async () => {
    const user = await createTestUser("client", "ipuser");
    const ip = randomClientIp();
    for (let i = 0; i < THROTTLE_POLICY.ip.maxFailures; i++) {
      expect((await rest.login({ username: `nobody-${i}`, password: "x-x-x-x-x" }, ip)).status).toBe(401);
    }
    const locked = await rest.login({ username: user.username, password: PASSWORD }, ip);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(THROTTLE_POLICY.user.lockSeconds);
    expect(Number(locked.headers.get("retry-after"))).toBeLessThanOrEqual(THROTTLE_POLICY.ip.lockSeconds);
    expect((await rest.login({ username: user.username, password: PASSWORD }, randomClientIp())).status).toBe(200);
  });

  it("a locked key is refused before the password is checked: no more failures are counted while locked", async () => {
    const victim = await createTestUser("client", "counted");
    await failUntilLocked((password) => rest.login({ username: victim.username, password }, randomClientIp()));
    const before = await authDb.loginThrottle.findUniqueOrThrow({ where: { key: `user:${victim.username}` } });
    for (let i = 0; i < 3; i++) expect((await rest.login({ username: victim.username, password: "guess" }, randomClientIp())).status).toBe(429);
    const after = await authDb.loginThrottle.findUniqueOrThrow({ where: { key: `user:${victim.username}` } });
    expect(after.failures).toBe(before.failures);
    expect(after.lockedUntil).toEqual(before.lockedUntil);
  });

  it("a successful sign-in clears the username's failures (a user who mistypes now and then is never locked)", async () => {
    const user = await createTestUser("client", "forgetful");
    for (let i = 0; i < THROTTLE_POLICY.user.maxFailures - 1; i++) await rest.login({ username: user.username, password: "nope-nope" }, randomClientIp());
    expect((await rest.login({ username: user.username, password: PASSWORD }, randomClientIp())).status).toBe(200);
    expect((await rest.login({ username: user.username, password: "nope-nope" }, randomClientIp())).status).toBe(401);
    expect((await rest.login({ username: user.username, password: PASSWORD }, randomClientIp())).status).toBe(200);
  });
});

describe("ASVS V6.3.1 — brute-force throttling through next-auth's Credentials sign-in", () => {
  it("per username: once locked, the right password is refused (401 with the throttle message, no session)", async () => {
    const victim = await createTestUser("client", "navictim");
    expect(await nextAuthSignIn(victim.username, PASSWORD, randomClientIp())).toEqual({ status: 200 });
    await failUntilLocked((password) => nextAuthSignIn(victim.username, password, randomClientIp()));
    const refused = await nextAuthSignIn(victim.username, PASSWORD, randomClientIp());
    expect(refused).toEqual({ status: 401, error: expect.stringMatching(/^Too many failed attempts; try again in \d+ s$/) as string });
  });

  it("the lock is shared with REST: failures through next-auth lock REST sign-in too, and the other way round", async () => {
    const viaNextAuth = await createTestUser("client", "shared1");
    await failUntilLocked((password) => nextAuthSignIn(viaNextAuth.username, password, randomClientIp()));
    expect((await rest.login({ username: viaNextAuth.username, password: PASSWORD }, randomClientIp())).status).toBe(429);

    const viaRest = await createTestUser("client", "shared2");
    await failUntilLocked((password) => rest.login({ username: viaRest.username, password }, randomClientIp()));
    expect((await nextAuthSignIn(viaRest.username, PASSWORD, randomClientIp())).error).toMatch(/Too many failed attempts/);
  });

  it("per IP: the address next-auth reports (X-Real-Ip) is locked after 30 failures", async () => {
    const user = await createTestUser("client", "naip");
    const ip = randomClientIp();
    for (let i = 0; i < THROTTLE_POLICY.ip.maxFailures; i++) {
      expect((await nextAuthSignIn(`nobody-${i}`, "x-x-x-x-x", ip)).status).toBe(401);
    }
    expect((await nextAuthSignIn(user.username, PASSWORD, ip)).error).toMatch(/Too many failed attempts/);
    expect(await nextAuthSignIn(user.username, PASSWORD, randomClientIp())).toEqual({ status: 200 });
  });
});

describe("ASVS V6.3.8 — failed sign-ins do not reveal which usernames exist", () => {
  // 6.3.8: "Verify that valid users cannot be deduced from failed authentication challenges, such as
  // by basing on error messages, HTTP response codes, or different response times."
  let known: Viewer;
  beforeAll(async () => {
    known = await createTestUser("client", "known");
  });

  it("a wrong password and an unknown username get the same status and message, over REST and next-auth", async () => {
    const ip = randomClientIp();
    const wrongPassword = await rest.login({ username: known.username, password: "wrong-password" }, ip);
    const unknownUser = await rest.login({ username: "nobody-here", password: "wrong-password" }, ip);
    expect(wrongPassword.status).toBe(401);
    expect(unknownUser.status).toBe(401);
    expect(await unknownUser.json()).toEqual(await wrongPassword.json());
    expect(await nextAuthSignIn("nobody-here", "wrong-password", ip)).toEqual(await nextAuthSignIn(known.username, "wrong-password", ip));
  });
});

describe("ASVS V6.3.1 — the current password asked for by a password change is throttled like a sign-in", () => {
  it("5 wrong current passwords lock the account: the right one is then refused (TOO_MANY_REQUESTS), and so is sign-in", async () => {
    const user = await createTestUser("client", "changer");
    const api = createCaller({ viewer: user, clientIp: randomIp() });
    const change = async (currentPassword: string) =>
      api.auth.changePassword({ currentPassword, newPassword: "a-new-password-1" }).then(
        () => ({ status: 200 }),
        (error: unknown) => ({ status: error instanceof TRPCError && error.code === "UNAUTHORIZED" ? 401 : 500 }),
      );
    await failUntilLocked(change);
    await expect(api.auth.changePassword({ currentPassword: PASSWORD, newPassword: "a-new-password-1" })).rejects.toMatchObject({ code: "TOO_MANY_REQUESTS" });
    expect((await rest.login({ username: user.username, password: PASSWORD }, randomClientIp())).status).toBe(429);
  });

  it("a right current password clears the count, like a successful sign-in", async () => {
    const user = await createTestUser("client", "changer2");
    const api = createCaller({ viewer: user, clientIp: randomIp() });
    for (let i = 0; i < THROTTLE_POLICY.user.maxFailures - 1; i++) {
      await expect(api.auth.changePassword({ currentPassword: "wrong-one", newPassword: "a-new-password-2" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    }
    await api.auth.changePassword({ currentPassword: PASSWORD, newPassword: "a-new-password-2" });
    expect(await authDb.loginThrottle.findUnique({ where: { key: `user:${user.username}` } })).toBeNull();
  });
});
