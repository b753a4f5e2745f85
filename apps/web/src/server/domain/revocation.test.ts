import { createHmac } from "node:crypto";
import type { JWT } from "next-auth/jwt";
import { TOKEN_ISSUER } from "@ems/auth/tokens";
import { beforeAll, describe, expect, it } from "vitest";
import { env } from "~/env.ts";
import { GET as trpcGet } from "~/app/api/trpc/[trpc]/route.ts";
import { authOptions } from "../auth.ts";
import type { Viewer } from "../viewer.ts";
import { callerFor, createTestUser, PASSWORD } from "../../../test/fixtures.ts";
import { jsonOf, randomClientIp, randomIp, rest } from "../../../test/rest.ts";
import { authenticate } from "./auth.ts";

/**
 * REST Bearer tokens (and the socket tokens the web app issues) are bound to the user's session version,
 * like next-auth sessions: signing out, a password change, a role change and a deletion move it on (or
 * remove the user), and a token issued before is refused with 401 at once — not an hour later when it
 * would have expired.
 *
 * ASVS 5.0 V7.4.1: "Verify that logout and expiration terminate the user's session, such that the back
 * button or a downstream relying party cannot resume an authenticated session [...]".
 * ASVS 5.0 V7.4.2: "Verify that the application terminates all active sessions when a user account is
 * disabled or deleted [...]" — this project also ends them when the password or the role changes
 * (apps/web/README.md, "Authentication and sessions").
 * ASVS 5.0 V9.2.1 / V8.2.1: a self-contained token is honoured only while what it stands for still holds.
 */

let admin: Viewer;
beforeAll(async () => {
  admin = await createTestUser("admin", "revoker");
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A Bearer token as an API client gets it: POST /api/auth/login. */
async function loginToken(username: string, password = PASSWORD): Promise<string> {
  const response = await rest.login({ username, password }, randomClientIp());
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

/** REST (the user's own devices) and tRPC over HTTP (their profile, or an admin procedure) with the token. */
async function statuses(token: string, userId: string, procedure = "auth.profile"): Promise<{ rest: number; trpc: number }> {
  const restResponse = await rest.devicesOfUser(userId, bearer(token));
  const trpcResponse = await trpcGet(new Request(`http://ems.test/api/trpc/${procedure}`, { headers: bearer(token) }));
  return { rest: restResponse.status, trpc: trpcResponse.status };
}

async function expectRevoked(token: string, userId: string, procedure?: string): Promise<void> {
  expect(await statuses(token, userId, procedure)).toEqual({ rest: 401, trpc: 401 });
  const body = (await jsonOf(await rest.devicesOfUser(userId, bearer(token)))) as { error: { code: string; message: string } };
  expect(body.error.code).toBe("UNAUTHORIZED");
}

/** next-auth's jwt callback and sign-out event, called as next-auth calls them (see ../auth.test.ts). */
const jwt = authOptions.callbacks!.jwt! as (params: { token: JWT; user?: unknown }) => Promise<JWT>;
const signOut = authOptions.events!.signOut! as (message: { token: JWT }) => Promise<void>;

async function browserSession(username: string): Promise<JWT> {
  const user = await authenticate({ username, password: PASSWORD }, randomIp());
  return jwt({ token: {}, user: { id: user.id, username: user.username, role: user.role, sessionVersion: user.sessionVersion } });
}

describe("ASVS V7.4.1 — signing out ends the user's API tokens too", () => {
  it("a Bearer token issued before the user signed out (in a browser) is refused with 401, over REST and tRPC", async () => {
    const user = await createTestUser("client", "apiout");
    const token = await loginToken(user.username);
    expect(await statuses(token, user.id)).toEqual({ rest: 200, trpc: 200 });

    await signOut({ token: await browserSession(user.username) });

    await expectRevoked(token, user.id);
    expect(await jsonOf(await rest.devicesOfUser(user.id, bearer(token)))).toMatchObject({ error: { message: expect.stringMatching(/revoked/) as string } });
    // Signing in again gives a token that works.
    expect(await statuses(await loginToken(user.username), user.id)).toEqual({ rest: 200, trpc: 200 });
  });
});

describe("ASVS V7.4.2 — a password change, a role change and a deletion end the user's API tokens", () => {
  it("the user changes their own password: the Bearer token from before is refused", async () => {
    const user = await createTestUser("client", "apipw");
    const token = await loginToken(user.username);
    expect(await statuses(token, user.id)).toEqual({ rest: 200, trpc: 200 });

    await callerFor(user).auth.changePassword({ currentPassword: PASSWORD, newPassword: "a-brand-new-password" });

    await expectRevoked(token, user.id);
    expect(await statuses(await loginToken(user.username, "a-brand-new-password"), user.id)).toEqual({ rest: 200, trpc: 200 });
  });

  it("an admin sets a new password for the user: the Bearer token from before is refused", async () => {
    const user = await createTestUser("client", "apireset");
    const token = await loginToken(user.username);
    await callerFor(admin).users.update({ id: user.id, password: "set-by-the-admin" });
    await expectRevoked(token, user.id);
  });

  it("a demoted admin's Bearer token is refused (401: revoked, not merely 403), on admin procedures too", async () => {
    const demoted = await createTestUser("admin", "apidemo");
    const token = await loginToken(demoted.username);
    expect(await statuses(token, demoted.id, "users.list")).toEqual({ rest: 200, trpc: 200 });

    await callerFor(admin).users.update({ id: demoted.id, role: "client" });

    await expectRevoked(token, demoted.id, "users.list");
    await expectRevoked(token, demoted.id);
    // Signed in again, they are the client they now are.
    expect(await statuses(await loginToken(demoted.username), demoted.id, "users.list")).toEqual({ rest: 200, trpc: 403 });
  });

  it("a deleted user's Bearer token is refused", async () => {
    const user = await createTestUser("client", "apidel");
    const token = await loginToken(user.username);
    await callerFor(admin).users.delete({ id: user.id });
    await expectRevoked(token, user.id);
  });
});

describe("ASVS V9.2.1 — a token must say which session version it belongs to", () => {
  it("a correctly MAC'd Bearer token without a session version, or with another one, is refused", async () => {
    const user = await createTestUser("client", "apisv");
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: user.id, username: user.username, role: "client", iss: TOKEN_ISSUER, aud: "ems-api", iat: now, exp: now + 600 };
    const mac = (payload: object) => {
      const input = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(payload)}`;
      return `${input}.${createHmac("sha256", env.AUTH_SECRET).update(input).digest("base64url")}`;
    };
    expect((await statuses(mac({ ...claims, sv: 1 }), user.id)).rest).toBe(200); // the control
    await expectRevoked(mac(claims), user.id);
    await expectRevoked(mac({ ...claims, sv: 2 }), user.id);
  });
});

describe("socket tokens are issued only to a current session, bound to its version", () => {
  it("a session whose version is behind (signed out elsewhere, password changed) gets no socket token", async () => {
    const user = await createTestUser("client", "sockiss");
    const session = { ...user, sessionVersion: 1 };
    await expect(callerFor(session).chat.socketToken()).resolves.toMatchObject({ token: expect.any(String) as string });
    await callerFor(admin).users.update({ id: user.id, password: "set-by-the-admin" });
    await expect(callerFor(session).chat.socketToken()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const current = { ...user, sessionVersion: 2 };
    const { token } = await callerFor(current).chat.socketToken();
    expect(JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString())).toMatchObject({ sub: user.id, sv: 2, aud: "ems-socket" });
  });
});

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}
