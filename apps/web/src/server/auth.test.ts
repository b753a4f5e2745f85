import type { JWT } from "next-auth/jwt";
import { describe, expect, it } from "vitest";
import { callerFor, createCast, createTestUser, PASSWORD } from "../../test/fixtures.ts";
import { authOptions } from "./auth.ts";
import { authenticate } from "./domain/auth.ts";

/** next-auth's callbacks, called the way next-auth calls them on sign-in and on every session read. */
const jwt = authOptions.callbacks!.jwt! as (params: { token: JWT; user?: unknown }) => Promise<JWT>;
const session = authOptions.callbacks!.session! as unknown as (params: { session: { expires: string }; token: JWT }) => Promise<{ user: unknown }>;

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

  it("is revoked when the user is deleted or their role changes", async () => {
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
