import { createHmac, generateKeyPairSync, type KeyObject } from "node:crypto";
import { SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { signApiToken, signSocketToken, verifyApiToken, verifySocketToken, type TokenSubject } from "./tokens.ts";

const SECRET = "a-test-secret-that-is-long-enough-for-hs256";
const alice: TokenSubject = { id: "7f1f3a52-0d1e-4c61-9a35-2b7c1d0e9f11", username: "alice", role: "client", sessionVersion: 3 };
const key = new TextEncoder().encode(SECRET);
const pair = generateKeyPairSync("ed25519");
const otherPair = generateKeyPairSync("ed25519");

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const claimsOf = (audience: string, overrides: Record<string, unknown> = {}) => {
  const now = Math.floor(Date.now() / 1000);
  return { sub: alice.id, username: "alice", role: "client", sv: 3, iss: "ems", aud: audience, iat: now, exp: now + 600, ...overrides };
};
function hmacToken(header: Record<string, unknown>, claims: Record<string, unknown>, secret: string | Buffer): string {
  const input = `${base64url(header)}.${base64url(claims)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

describe("API tokens (ems-api, HS256 with AUTH_SECRET)", () => {
  it("round-trip the subject and its session version", async () => {
    const token = await signApiToken(alice, SECRET);
    await expect(verifyApiToken(token, SECRET)).resolves.toEqual({ ok: true, subject: alice });
    expect(decode(token)).toMatchObject({ sv: 3, aud: "ems-api", iss: "ems" });
  });

  it("report an expired token as expired", async () => {
    await expect(verifyApiToken(await signApiToken(alice, SECRET, -10), SECRET)).resolves.toEqual({ ok: false, reason: "expired" });
  });

  it("reject another secret, an edited payload, alg none and another algorithm", async () => {
    const token = await signApiToken(alice, SECRET);
    await expect(verifyApiToken(token, `${SECRET}-other`)).resolves.toMatchObject({ ok: false });

    const [header, , signature] = token.split(".");
    const escalated = Buffer.from(JSON.stringify({ ...decode(token), role: "admin" })).toString("base64url");
    await expect(verifyApiToken(`${header}.${escalated}.${signature}`, SECRET)).resolves.toMatchObject({ ok: false });
    const newerVersion = Buffer.from(JSON.stringify({ ...decode(token), sv: 4 })).toString("base64url");
    await expect(verifyApiToken(`${header}.${newerVersion}.${signature}`, SECRET)).resolves.toMatchObject({ ok: false });

    const unsecured = new UnsecuredJWT({ username: "alice", role: "admin", sv: 3 }).setSubject(alice.id).setIssuer("ems").setAudience("ems-api").setExpirationTime("1h").encode();
    await expect(verifyApiToken(unsecured, SECRET)).resolves.toMatchObject({ ok: false });

    const hs512 = await new SignJWT({ username: "alice", role: "client", sv: 3 })
      .setProtectedHeader({ alg: "HS512" })
      .setSubject(alice.id)
      .setIssuer("ems")
      .setAudience("ems-api")
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(key);
    await expect(verifyApiToken(hs512, SECRET)).resolves.toMatchObject({ ok: false });
  });

  it("reject a well-signed token without an expiry", async () => {
    const forever = await new SignJWT({ username: "alice", role: "client", sv: 3 })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(alice.id)
      .setIssuer("ems")
      .setAudience("ems-api")
      .setIssuedAt()
      .sign(key);
    await expect(verifyApiToken(forever, SECRET)).resolves.toEqual({ ok: false, reason: "invalid" });
  });

  it("reject a well-signed token whose claims are not an EMS subject, or that carries no session version", async () => {
    for (const claims of [claimsOf("ems-api", { role: "superuser" }), claimsOf("ems-api", { sv: undefined }), claimsOf("ems-api", { sv: 0 }), claimsOf("ems-api", { sv: "3" })]) {
      const token = hmacToken({ alg: "HS256", typ: "JWT" }, claims, SECRET);
      await expect(verifyApiToken(token, SECRET)).resolves.toEqual({ ok: false, reason: "invalid" });
    }
    // The control: the same hand-made token with good claims passes.
    await expect(verifyApiToken(hmacToken({ alg: "HS256", typ: "JWT" }, claimsOf("ems-api"), SECRET), SECRET)).resolves.toMatchObject({ ok: true });
  });
});

// ASVS 5.0 V9.1.2: "only algorithms on an allowlist can be used to create and verify self-contained
// tokens, for a given context"; V9.1.3: "key material that is used to validate self-contained tokens is
// from trusted pre-configured sources for the token issuer". The socket token's allow-list is Ed25519
// alone, and the chat process holds only the public key: nothing it holds can make a token anyone accepts.
describe("socket tokens (ems-socket, Ed25519: the web app signs, chat verifies with the public key)", () => {
  it("round-trip the subject and its session version with the public key alone", async () => {
    const token = await signSocketToken(alice, pair.privateKey);
    expect(JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString())).toEqual({ alg: "Ed25519", typ: "JWT" });
    await expect(verifySocketToken(token, pair.publicKey)).resolves.toEqual({ ok: true, subject: alice });
  });

  it("cannot be signed with the public key", async () => {
    await expect(signSocketToken(alice, pair.publicKey)).rejects.toThrow(/private key/);
  });

  it("V9.1.1 — reject a token signed with another key pair, and an edited payload", async () => {
    await expect(verifySocketToken(await signSocketToken(alice, otherPair.privateKey), pair.publicKey)).resolves.toEqual({ ok: false, reason: "invalid" });
    const token = await signSocketToken(alice, pair.privateKey);
    const [header, , signature] = token.split(".");
    const escalated = Buffer.from(JSON.stringify({ ...decode(token), role: "admin" })).toString("base64url");
    await expect(verifySocketToken(`${header}.${escalated}.${signature}`, pair.publicKey)).resolves.toEqual({ ok: false, reason: "invalid" });
  });

  it("V9.1.2 — reject HS256 tokens: MAC'd with AUTH_SECRET (what socket tokens used to be), or with the public key's bytes (algorithm confusion)", async () => {
    const withSecret = hmacToken({ alg: "HS256", typ: "JWT" }, claimsOf("ems-socket", { role: "admin" }), SECRET);
    await expect(verifySocketToken(withSecret, pair.publicKey)).resolves.toEqual({ ok: false, reason: "invalid" });
    for (const publicBytes of [pair.publicKey.export({ format: "pem", type: "spki" }), pair.publicKey.export({ format: "der", type: "spki" })]) {
      const confused = hmacToken({ alg: "HS256", typ: "JWT" }, claimsOf("ems-socket", { role: "admin" }), publicBytes);
      await expect(verifySocketToken(confused, pair.publicKey)).resolves.toEqual({ ok: false, reason: "invalid" });
    }
    const unsecured = `${base64url({ alg: "none" })}.${base64url(claimsOf("ems-socket", { role: "admin" }))}.`;
    await expect(verifySocketToken(unsecured, pair.publicKey)).resolves.toEqual({ ok: false, reason: "invalid" });
  });

  it("V9.1.2 — reject another asymmetric algorithm (ES256), even from a key the verifier might be handed", async () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const es256 = await new SignJWT({ username: "alice", role: "admin", sv: 3 })
      .setProtectedHeader({ alg: "ES256" })
      .setSubject(alice.id)
      .setIssuer("ems")
      .setAudience("ems-socket")
      .setIssuedAt()
      .setExpirationTime("1m")
      .sign(ec.privateKey);
    await expect(verifySocketToken(es256, ec.publicKey)).resolves.toEqual({ ok: false, reason: "invalid" });
  });

  it("V9.2.1 / V9.2.2 — report an expired one as expired; refuse the API audience, and the reverse", async () => {
    await expect(verifySocketToken(await signSocketToken(alice, pair.privateKey, -10), pair.publicKey)).resolves.toEqual({ ok: false, reason: "expired" });
    const apiLike = await edToken(pair.privateKey, claimsOf("ems-api"));
    await expect(verifySocketToken(apiLike, pair.publicKey)).resolves.toEqual({ ok: false, reason: "invalid" });
    await expect(verifyApiToken(await signSocketToken(alice, pair.privateKey), SECRET)).resolves.toEqual({ ok: false, reason: "invalid" });
    await expect(verifySocketToken(await signApiToken(alice, SECRET), pair.publicKey)).resolves.toEqual({ ok: false, reason: "invalid" });
  });

  it("reject one without a session version", async () => {
    await expect(verifySocketToken(await edToken(pair.privateKey, claimsOf("ems-socket", { sv: undefined })), pair.publicKey)).resolves.toEqual({ ok: false, reason: "invalid" });
    await expect(verifySocketToken(await edToken(pair.privateKey, claimsOf("ems-socket")), pair.publicKey)).resolves.toMatchObject({ ok: true });
  });
});

function edToken(privateKey: KeyObject, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "Ed25519", typ: "JWT" }).sign(privateKey);
}

function decode(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as Record<string, unknown>;
}
