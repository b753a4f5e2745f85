import { SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { signToken, verifyToken, type TokenSubject } from "./tokens.ts";

const SECRET = "a-test-secret-that-is-long-enough-for-hs256";
const alice: TokenSubject = { id: "7f1f3a52-0d1e-4c61-9a35-2b7c1d0e9f11", username: "alice", role: "client" };
const key = new TextEncoder().encode(SECRET);

describe("signToken / verifyToken", () => {
  it("round-trips the subject for the token's own audience", async () => {
    const token = await signToken(alice, "ems-api", SECRET);
    await expect(verifyToken(token, "ems-api", SECRET)).resolves.toEqual({ ok: true, subject: alice });
  });

  it("does not accept a socket token as an API token, or the reverse", async () => {
    await expect(verifyToken(await signToken(alice, "ems-socket", SECRET), "ems-api", SECRET)).resolves.toEqual({ ok: false, reason: "invalid" });
    await expect(verifyToken(await signToken(alice, "ems-api", SECRET), "ems-socket", SECRET)).resolves.toEqual({ ok: false, reason: "invalid" });
  });

  it("reports an expired token as expired", async () => {
    const token = await signToken(alice, "ems-socket", SECRET, -10);
    await expect(verifyToken(token, "ems-socket", SECRET)).resolves.toEqual({ ok: false, reason: "expired" });
  });

  it("rejects another secret, an edited payload, alg none and another algorithm", async () => {
    const token = await signToken(alice, "ems-api", SECRET);
    await expect(verifyToken(token, "ems-api", `${SECRET}-other`)).resolves.toMatchObject({ ok: false });

    const [header, , signature] = token.split(".");
    const escalated = Buffer.from(JSON.stringify({ ...decode(token), role: "admin" })).toString("base64url");
    await expect(verifyToken(`${header}.${escalated}.${signature}`, "ems-api", SECRET)).resolves.toMatchObject({ ok: false });

    const unsecured = new UnsecuredJWT({ username: "alice", role: "admin" }).setSubject(alice.id).setIssuer("ems").setAudience("ems-api").setExpirationTime("1h").encode();
    await expect(verifyToken(unsecured, "ems-api", SECRET)).resolves.toMatchObject({ ok: false });

    const hs512 = await new SignJWT({ username: "alice", role: "client" })
      .setProtectedHeader({ alg: "HS512" })
      .setSubject(alice.id)
      .setIssuer("ems")
      .setAudience("ems-api")
      .setExpirationTime("1h")
      .sign(key);
    await expect(verifyToken(hs512, "ems-api", SECRET)).resolves.toMatchObject({ ok: false });
  });

  it("rejects a well-signed token without an expiry", async () => {
    const forever = await new SignJWT({ username: "alice", role: "client" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(alice.id)
      .setIssuer("ems")
      .setAudience("ems-api")
      .setIssuedAt()
      .sign(key);
    await expect(verifyToken(forever, "ems-api", SECRET)).resolves.toEqual({ ok: false, reason: "invalid" });
  });

  it("rejects a well-signed token whose claims are not an EMS subject", async () => {
    const token = await new SignJWT({ username: "alice", role: "superuser" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(alice.id)
      .setIssuer("ems")
      .setAudience("ems-api")
      .setExpirationTime("1h")
      .sign(key);
    await expect(verifyToken(token, "ems-api", SECRET)).resolves.toEqual({ ok: false, reason: "invalid" });
  });
});

function decode(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as Record<string, unknown>;
}
