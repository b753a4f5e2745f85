import { execFile, type ExecFileException } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEVELOPMENT_AUTH_SECRET, DEVELOPMENT_SOCKET_TOKEN_PRIVATE_KEY } from "@ems/auth/tokens";

const webRoot = fileURLToPath(new URL("..", import.meta.url));
const REAL_SECRET = "web-env-test-secret-0123456789abcdefghijklmnopq";
const pair = generateKeyPairSync("ed25519");
const REAL_PRIVATE_KEY = pair.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
const REAL_PUBLIC_KEY = pair.publicKey.export({ format: "pem", type: "spki" }).toString();

/**
 * Loads src/env.ts the way the server does (react-server conditions, so `server-only` loads) in a clean
 * environment: PATH and HOME only (no inherited NODE_ENV, AUTH_SECRET or AUTH_SECRET_FILE), plus `env`.
 * Says which secret it got, or fails as the server's start-up would.
 */
function loadWebEnv(env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // eslint-disable-next-line no-restricted-properties -- the child needs PATH and HOME, nothing else of ours
  const base = { PATH: process.env.PATH, HOME: process.env.HOME };
  const childEnv = Object.fromEntries(Object.entries({ ...base, ...env }).filter((entry): entry is [string, string] => entry[1] !== undefined)) as NodeJS.ProcessEnv;
  const script = `const { env } = await import("./src/env.ts");
    process.stdout.write(env.AUTH_SECRET === ${JSON.stringify(DEVELOPMENT_AUTH_SECRET)} ? "development secret" : "given secret");
    process.stdout.write(env.SOCKET_TOKEN_PRIVATE_KEY === ${JSON.stringify(DEVELOPMENT_SOCKET_TOKEN_PRIVATE_KEY)} ? ", development key" : ", given key");`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--conditions=react-server", "--import", "tsx", "--input-type=module", "-e", script],
      { cwd: webRoot, env: childEnv, timeout: 60_000 },
      (error: ExecFileException | null, stdout: string, stderr: string) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

// ASVS 5.0 V13.3.1: "… Secrets must not be included in application source code or included in build
// artifacts." The development secret is in the source: only NODE_ENV=development (next dev) or test
// (Vitest) may use it; `next start` and any other process must be given AUTH_SECRET.
describe("web AUTH_SECRET: the development secret only by explicit opt-in (ASVS 5.0 V13.3.1)", () => {
  it.each([
    ["unset", undefined],
    ["staging", "staging"],
    ["production", "production"],
  ])("refuses to start without AUTH_SECRET when NODE_ENV is %s", async (_label, nodeEnv) => {
    const result = await loadWebEnv({ NODE_ENV: nodeEnv });
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("AUTH_SECRET (or AUTH_SECRET_FILE) is required");
  }, 60_000);

  it.each(["development", "test"])("uses the development secret and socket key pair when NODE_ENV=%s opts in", async (nodeEnv) => {
    expect(await loadWebEnv({ NODE_ENV: nodeEnv })).toMatchObject({ code: 0, stdout: "development secret, development key" });
  }, 60_000);

  it.each([
    ["unset", undefined],
    ["staging", "staging"],
  ])("starts with the AUTH_SECRET and SOCKET_TOKEN_PRIVATE_KEY it is given when NODE_ENV is %s", async (_label, nodeEnv) => {
    expect(await loadWebEnv({ NODE_ENV: nodeEnv, AUTH_SECRET: REAL_SECRET, SOCKET_TOKEN_PRIVATE_KEY: REAL_PRIVATE_KEY })).toMatchObject({
      code: 0,
      stdout: "given secret, given key",
    });
  }, 60_000);
});

// One secret per purpose: the socket tokens are signed with an Ed25519 key of their own, which the web app
// alone holds; the development pair is public, so only development and test may use it.
describe("web SOCKET_TOKEN_PRIVATE_KEY: required outside development, never the development pair (ASVS 5.0 V13.3.1)", () => {
  it.each([
    ["unset", undefined],
    ["production", "production"],
  ])("refuses to start without it when NODE_ENV is %s, saying how to make one", async (_label, nodeEnv) => {
    const result = await loadWebEnv({ NODE_ENV: nodeEnv, AUTH_SECRET: REAL_SECRET });
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("SOCKET_TOKEN_PRIVATE_KEY (or SOCKET_TOKEN_PRIVATE_KEY_FILE) is required");
    expect(result.stderr).toContain("openssl genpkey -algorithm ed25519");
  }, 60_000);

  it("refuses the development pair, and a public key, in production", async () => {
    for (const [key, reason] of [
      [DEVELOPMENT_SOCKET_TOKEN_PRIVATE_KEY, "development key pair"],
      [REAL_PUBLIC_KEY, "must be an Ed25519 private key"],
    ] as const) {
      const result = await loadWebEnv({ NODE_ENV: "production", AUTH_SECRET: REAL_SECRET, SOCKET_TOKEN_PRIVATE_KEY: key });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(reason);
    }
  }, 60_000);
});
