import type { JWT } from "next-auth/jwt";
import { describe, expect, it } from "vitest";
import { callerFor, createCast, createTestUser, PASSWORD } from "../../test/fixtures.ts";
import { authOptions } from "./auth.ts";
import { authenticate } from "./domain/auth.ts";

/** next-auth's callbacks, called the way next-auth calls them on sign-in and on every session read. */
const jwt = authOptions.callbacks!.jwt! as (params: { token: JWT; user?: unknown }) => Promise<JWT>;
const session = authOptions.callbacks!.session! as unknown as (params: { session: { expires: string }; token: JWT }) => Promise<{ user: unknown }>;
/** next-auth's sign-out (core/routes/signout.js) decodes the cookie and calls this before clearing it. */
const signOut = authOptions.events!.signOut! as (message: { token: JWT }) => Promise<void>;

async function signIn(username: string): Promise<JWT> {
  const user = await authenticate({ username, password: PASSWORD }, "10.40.0.1");
  return jwt({ token: {}, user: { id: user.id, username: user.username, role: user.role, sessionVersion: user.sessionVersion } });
}

describe("next-auth session", () => {
  it("carries id, username, role and session version", async () => {
    const user = await createTestUser("client", "nasess");
    const token = await signIn(user.username);
    expect(token).toMatchObject({ sub: user.id, username: user.username, role: "client", sessionVersion: 1 });
    const refreshed = await jwt({ token });
    expect(await session({ session: { expires: new Date(Date.now() + 60_000).toISOString() }, token: refreshed })).toMatchObject({ user });
  });

  // ASVS 7.4.2: "Verify that the application terminates all active sessions when a user account is
  // disabled or deleted."
  it("ASVS V7.4.2 — is revoked when the user is deleted or their role changes", async () => {
    const { admin } = await createCast();
    const deleted = await createTestUser("client", "nadel");
    const deletedToken = await signIn(deleted.username);
    await callerFor(admin).users.delete({ id: deleted.id });
    await expect(jwt({ token: deletedToken })).rejects.toThrow(/deleted/);

    const promoted = await createTestUser("client", "naprom");
    const promotedToken = await signIn(promoted.username);
    await callerFor(admin).users.update({ id: promoted.id, role: "admin" });
    await expect(jwt({ token: promotedToken })).rejects.toThrow(/role changed/);
  });

  it("expires: sessions are JWTs with a maximum age", () => {
    expect(authOptions.session?.strategy).toBe("jwt");
    expect(authOptions.session?.maxAge).toBeGreaterThan(0);
    expect(authOptions.session?.maxAge).toBeLessThanOrEqual(30 * 24 * 3600);
  });
});

describe("ASVS V7.4.1 — sign-out ends the session on the server, not only in the browser", () => {
  // 7.4.1: "Verify that logout and expiration terminate the user's session, such that the back button
  // or a downstream relying party cannot resume an authenticated session."
  it("a copy of the cookie taken before sign-out no longer opens a session (and the user's other sessions end too)", async () => {
    const user = await createTestUser("client", "naout");
    const thisBrowser = await signIn(user.username);
    const otherBrowser = await signIn(user.username);
    const stolenCopy = { ...thisBrowser };
    await signOut({ token: thisBrowser });
    await expect(jwt({ token: stolenCopy })).rejects.toThrow(/signed out/);
    await expect(jwt({ token: otherBrowser })).rejects.toThrow(/signed out/);
    // Signing in again works and is not undone by replaying the old cookie's sign-out.
    const fresh = await signIn(user.username);
    await signOut({ token: stolenCopy });
    await expect(jwt({ token: fresh })).resolves.toMatchObject({ sub: user.id });
  });
});
