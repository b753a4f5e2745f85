import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import { signApiToken, signSocketToken, socketTokenPrivateKey, TOKEN_ISSUER, type TokenSubject } from "@ems/auth/tokens";
import { beforeAll, describe, expect, it } from "vitest";
import { env } from "~/env.ts";
import { GET as trpcGet } from "~/app/api/trpc/[trpc]/route.ts";
import { callerFor, createCast, createTestUser, type Cast } from "../../../test/fixtures.ts";
import { jsonOf, rest } from "../../../test/rest.ts";

/**
 * OWASP ASVS 5.0, V9 Self-contained Tokens, for the REST Bearer token (HS256 JWT, audience
 * "ems-api", from POST /api/auth/login), which tRPC accepts too:
 *  - 9.1.1 "Verify that self-contained tokens are validated using their digital signature or MAC to
 *    protect against tampering before accepting the token's contents."
 *  - 9.1.2 "Verify that only algorithms on an allowlist can be used to create and verify
 *    self-contained tokens, for a given context. [...] must not include the 'None' algorithm."
 *  - 9.1.3 "Verify that key material that is used to validate self-contained tokens is from trusted
 *    pre-configured sources for the token issuer [...] 'jku', 'x5u', and 'jwk' must be validated."
 *  - 9.2.1 "Verify that, if a validity time span is present in the token data, the token and its
 *    content are accepted only if the verification time is within this validity time span. For
 *    example, for JWTs, the claims 'nbf' and 'exp' must be verified."
 *  - 9.2.2 / 9.2.3: the token must be of the right type and meant for this service (audience).
 * Every refusal must be a 401 with the JSON error body, never data and never a 500.
 */

let cast: Cast;
beforeAll(async () => {
  cast = await createCast();
});

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Client A's claims as signApiToken writes them (a new account's session version is 1), with overrides. */
function claimsOfA(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = nowSeconds();
  return { username: cast.clientA.username, role: "client", sv: 1, sub: cast.clientA.id, iss: TOKEN_ISSUER, aud: "ems-api", iat: now, exp: now + 3600, ...overrides };
}

/** A JWT MAC'd by hand: any header and claims, with the real secret unless told otherwise. */
function hmacToken(header: Record<string, unknown>, claims: Record<string, unknown>, hash = "sha256", secret = env.AUTH_SECRET): string {
  const signingInput = `${base64url(header)}.${base64url(claims)}`;
  return `${signingInput}.${createHmac(hash, secret).update(signingInput).digest("base64url")}`;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A fixture user as a token subject: new accounts start at session version 1. */
const subjectOf = (viewer: { id: string; username: string; role: TokenSubject["role"] }): TokenSubject => ({ ...viewer, sessionVersion: 1 });

/** Client A's own devices: 200 with a good token, so a 401 below is the token's fault alone. */
const readDevicesOfA = (token: string) => rest.devicesOfUser(cast.clientA.id, bearer(token));

async function expectUnauthorized(response: Response): Promise<string> {
  expect(response.status).toBe(401);
  const body = (await jsonOf(response)) as { error: { code: string; message: string } };
  expect(body).toEqual({ error: { code: "UNAUTHORIZED", message: expect.any(String) as string } });
  return body.error.message;
}

/** The same token through tRPC over HTTP (createTRPCContext reads the Bearer header). */
async function trpcProfileStatus(token: string): Promise<number> {
  return (await trpcGet(new Request("http://ems.test/api/trpc/auth.profile", { headers: bearer(token) }))).status;
}

describe("the hand-made tokens below are well-formed", () => {
  it("a hand-MAC'd HS256 token with client A's claims opens A's devices (the control for every 401 below)", async () => {
    const token = hmacToken({ alg: "HS256", typ: "JWT" }, claimsOfA());
    expect((await readDevicesOfA(token)).status).toBe(200);
    expect(await trpcProfileStatus(token)).toBe(200);
  });
});

describe("ASVS V9.1.1 — the MAC is checked before any claim is used", () => {
  it("a payload edited to role admin (signature kept) is refused, over REST and tRPC", async () => {
    const [header, , signature] = (await signApiToken(subjectOf(cast.clientA), env.AUTH_SECRET)).split(".");
    const escalated = `${header}.${base64url(claimsOfA({ role: "admin" }))}.${signature}`;
    await expectUnauthorized(await rest.devicesOfUser(cast.clientB.id, bearer(escalated)));
    expect(await trpcProfileStatus(escalated)).toBe(401);
    expect((await trpcGet(new Request("http://ems.test/api/trpc/users.list", { headers: bearer(escalated) }))).status).toBe(401);
  });

  it("a payload edited to another user's id (signature kept) is refused", async () => {
    const [header, , signature] = (await signApiToken(subjectOf(cast.clientA), env.AUTH_SECRET)).split(".");
    const impersonating = `${header}.${base64url(claimsOfA({ sub: cast.clientB.id, username: cast.clientB.username }))}.${signature}`;
    await expectUnauthorized(await rest.devicesOfUser(cast.clientB.id, bearer(impersonating)));
  });

  it.each([
    ["no Authorization header", {}],
    ["another scheme", { authorization: "Basic ZGVtbzpkZW1v" }],
    ["a Bearer value that is not a JWT", bearer("not.a.jwt")],
    ["two tokens", { authorization: "Bearer a.b.c d.e.f" }],
  ])("%s is refused", async (_label, headers: Record<string, string>) => {
    await expectUnauthorized(await rest.devicesOfUser(cast.clientA.id, headers));
  });

  it.each([
    ["a MAC with another secret", () => hmacToken({ alg: "HS256", typ: "JWT" }, claimsOfA(), "sha256", "another-secret-of-at-least-32-characters")],
    ["a corrupted MAC", () => `${hmacToken({ alg: "HS256", typ: "JWT" }, claimsOfA()).slice(0, -4)}AAAA`],
    ["no MAC at all", () => `${hmacToken({ alg: "HS256", typ: "JWT" }, claimsOfA()).split(".").slice(0, 2).join(".")}.`],
  ])("%s is refused", async (_label, token) => {
    await expectUnauthorized(await readDevicesOfA(token()));
  });
});

describe("ASVS V9.1.2 — only HS256 is accepted (no 'none', no other algorithm with the same secret)", () => {
  it.each(["none", "None", "NONE"])("alg %s (unsigned) is refused", async (alg) => {
    const unsigned = `${base64url({ alg, typ: "JWT" })}.${base64url(claimsOfA({ role: "admin" }))}.`;
    await expectUnauthorized(await readDevicesOfA(unsigned));
    expect(await trpcProfileStatus(unsigned)).toBe(401);
  });

  it.each([
    ["HS384", "sha384"],
    ["HS512", "sha512"],
  ])("%s with the right secret is refused", async (alg, hash) => {
    await expectUnauthorized(await readDevicesOfA(hmacToken({ alg, typ: "JWT" }, claimsOfA(), hash)));
  });

  it("RS256 in the header with an HMAC made from the secret (algorithm confusion) is refused", async () => {
    await expectUnauthorized(await readDevicesOfA(hmacToken({ alg: "RS256", typ: "JWT" }, claimsOfA())));
  });
});

describe("ASVS V9.1.3 — the key never comes from the token", () => {
  it("an RS256 token signed with the attacker's own key, embedded as a 'jwk' header, is refused", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const header = { alg: "RS256", typ: "JWT", jwk: publicKey.export({ format: "jwk" }) };
    const signingInput = `${base64url(header)}.${base64url(claimsOfA({ role: "admin" }))}`;
    const token = `${signingInput}.${sign("sha256", Buffer.from(signingInput), privateKey).toString("base64url")}`;
    await expectUnauthorized(await readDevicesOfA(token));
  });
});

describe("ASVS V9.2.1 — the validity period (exp, nbf) is enforced", () => {
  it("an expired token is refused with a message saying so", async () => {
    const expired = await signApiToken(subjectOf(cast.clientA), env.AUTH_SECRET, -10);
    expect(await expectUnauthorized(await readDevicesOfA(expired))).toMatch(/expired/);
    expect(await trpcProfileStatus(expired)).toBe(401);
  });

  it("a correctly MAC'd token whose exp has passed, or whose nbf is still ahead, is refused", async () => {
    const now = nowSeconds();
    await expectUnauthorized(await readDevicesOfA(hmacToken({ alg: "HS256" }, claimsOfA({ iat: now - 7200, exp: now - 3600 }))));
    await expectUnauthorized(await readDevicesOfA(hmacToken({ alg: "HS256" }, claimsOfA({ nbf: now + 600 }))));
  });
});

describe("ASVS V9.2.2 + V9.2.3 — only API tokens issued by EMS for this API are accepted", () => {
  it.each([
    ["a Socket.IO handshake token (audience ems-socket)", () => signSocketToken(subjectOf(cast.clientA), socketTokenPrivateKey(env.SOCKET_TOKEN_PRIVATE_KEY))],
    ["a token without an audience", () => Promise.resolve(hmacToken({ alg: "HS256" }, claimsOfA({ aud: undefined })))],
    ["a token for another audience", () => Promise.resolve(hmacToken({ alg: "HS256" }, claimsOfA({ aud: "another-service" })))],
    ["a token from another issuer", () => Promise.resolve(hmacToken({ alg: "HS256" }, claimsOfA({ iss: "someone-else" })))],
    ["a token whose subject is not a user id", () => Promise.resolve(hmacToken({ alg: "HS256" }, claimsOfA({ sub: "admin" })))],
  ])("%s is refused", async (_label, token) => {
    await expectUnauthorized(await readDevicesOfA(await token()));
  });
});

describe("ASVS V8.3.1 + V7.4.2 — the token names a user; what that user may do comes from the database", () => {
  it("a validly signed token claiming admin for a client gets a client's rights", async () => {
    const claimingAdmin: TokenSubject = { ...subjectOf(cast.clientA), role: "admin" };
    const token = await signApiToken(claimingAdmin, env.AUTH_SECRET);
    expect((await rest.devicesOfUser(cast.clientB.id, bearer(token))).status).toBe(403);
    expect((await trpcGet(new Request("http://ems.test/api/trpc/users.list", { headers: bearer(token) }))).status).toBe(403);
  });

  it("a deleted user's token stops working at once", async () => {
    const user = await createTestUser("client", "gone");
    const token = await signApiToken(subjectOf(user), env.AUTH_SECRET);
    expect((await rest.devicesOfUser(user.id, bearer(token))).status).toBe(200);
    await callerFor(cast.admin).users.delete({ id: user.id });
    expect(await expectUnauthorized(await rest.devicesOfUser(user.id, bearer(token)))).toMatch(/no longer exists/);
    expect(await trpcProfileStatus(token)).toBe(401);
  });
});
