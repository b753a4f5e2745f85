import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  DEVELOPMENT_SOCKET_TOKEN_PRIVATE_KEY,
  DEVELOPMENT_SOCKET_TOKEN_PUBLIC_KEY,
  signSocketToken,
  socketTokenPrivateKey,
  socketTokenPrivateKeySchema,
  socketTokenPublicKey,
  socketTokenPublicKeySchema,
  verifySocketToken,
} from "./tokens.ts";

const pair = generateKeyPairSync("ed25519");
const PRIVATE_PEM = pair.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
const PUBLIC_PEM = pair.publicKey.export({ format: "pem", type: "spki" }).toString();
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });

// ASVS 5.0 V13.3.1: "… Secrets must not be included in application source code or included in build
// artifacts." The development key pair is in the source: only NODE_ENV=development or test may use it,
// and any other process must be given its own pair (and is refused the development one).
describe("SOCKET_TOKEN_PRIVATE_KEY (web) / SOCKET_TOKEN_PUBLIC_KEY (chat)", () => {
  it("the development pair is a pair: what its private key signs, its public key verifies", async () => {
    const token = await signSocketToken({ id: "7f1f3a52-0d1e-4c61-9a35-2b7c1d0e9f11", username: "dev", role: "admin", sessionVersion: 1 }, socketTokenPrivateKey(DEVELOPMENT_SOCKET_TOKEN_PRIVATE_KEY));
    await expect(verifySocketToken(token, socketTokenPublicKey(DEVELOPMENT_SOCKET_TOKEN_PUBLIC_KEY))).resolves.toMatchObject({ ok: true });
  });

  it.each(["development", "test"])("NODE_ENV=%s falls back to the development pair when none is given", (nodeEnv) => {
    expect(socketTokenPrivateKeySchema(nodeEnv).parse(undefined)).toBe(DEVELOPMENT_SOCKET_TOKEN_PRIVATE_KEY);
    expect(socketTokenPublicKeySchema(nodeEnv).parse(undefined)).toBe(DEVELOPMENT_SOCKET_TOKEN_PUBLIC_KEY);
  });

  it.each([undefined, "", "staging", "production", "Development"])("NODE_ENV %j must be given a key, and is told how to make one", (nodeEnv) => {
    const privateIssue = socketTokenPrivateKeySchema(nodeEnv).safeParse(undefined).error?.issues[0]?.message;
    expect(privateIssue).toMatch(/^SOCKET_TOKEN_PRIVATE_KEY \(or SOCKET_TOKEN_PRIVATE_KEY_FILE\) is required: .*openssl genpkey -algorithm ed25519/);
    expect(privateIssue).toContain(`(here NODE_ENV is ${nodeEnv === undefined ? "unset" : JSON.stringify(nodeEnv)})`);
    expect(socketTokenPublicKeySchema(nodeEnv).safeParse(undefined).error?.issues[0]?.message).toMatch(/^SOCKET_TOKEN_PUBLIC_KEY \(or SOCKET_TOKEN_PUBLIC_KEY_FILE\) is required/);
  });

  it.each([undefined, "staging", "production"])("NODE_ENV %j is refused the public development pair even when it is given explicitly", (nodeEnv) => {
    expect(socketTokenPrivateKeySchema(nodeEnv).safeParse(DEVELOPMENT_SOCKET_TOKEN_PRIVATE_KEY).error?.issues[0]?.message).toMatch(/development key pair/);
    expect(socketTokenPublicKeySchema(nodeEnv).safeParse(DEVELOPMENT_SOCKET_TOKEN_PUBLIC_KEY).error?.issues[0]?.message).toMatch(/development key pair/);
  });

  it.each([undefined, "production", "development", "test"])("takes a generated pair as it is (NODE_ENV %j), also with \\n written out as in a .env file", (nodeEnv) => {
    expect(socketTokenPrivateKeySchema(nodeEnv).parse(PRIVATE_PEM)).toBe(PRIVATE_PEM);
    expect(socketTokenPublicKeySchema(nodeEnv).parse(PUBLIC_PEM.trim().replace(/\n/g, "\\n"))).toBe(PUBLIC_PEM);
  });

  it("chat is refused the private key (it could derive the public key from it, but must never hold what signs)", () => {
    expect(socketTokenPublicKeySchema("production").safeParse(PRIVATE_PEM).error?.issues[0]?.message).toMatch(/^SOCKET_TOKEN_PUBLIC_KEY is a private key/);
    expect(() => socketTokenPublicKey(PRIVATE_PEM)).toThrow(/private key/);
  });

  it("the web app is refused a public key, and both are refused other kinds of key and garbage", () => {
    expect(socketTokenPrivateKeySchema("production").safeParse(PUBLIC_PEM).error?.issues[0]?.message).toMatch(/^SOCKET_TOKEN_PRIVATE_KEY must be an Ed25519 private key/);
    const rsaPrivate = rsa.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const rsaPublic = rsa.publicKey.export({ format: "pem", type: "spki" }).toString();
    expect(socketTokenPrivateKeySchema("production").safeParse(rsaPrivate).error?.issues[0]?.message).toMatch(/must be an Ed25519 key, not rsa/);
    expect(socketTokenPublicKeySchema("production").safeParse(rsaPublic).error?.issues[0]?.message).toMatch(/must be an Ed25519 key, not rsa/);
    for (const garbage of ["", "not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"]) {
      expect(socketTokenPublicKeySchema("production").safeParse(garbage).success).toBe(false);
      expect(socketTokenPrivateKeySchema("production").safeParse(garbage).success).toBe(false);
    }
  });
});
