import { execFile, type ExecFileException } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEVELOPMENT_AUTH_SECRET } from "@ems/auth/tokens";

const webRoot = fileURLToPath(new URL("..", import.meta.url));
const REAL_SECRET = "web-env-test-secret-0123456789abcdefghijklmnopq";

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
    process.stdout.write(env.AUTH_SECRET === ${JSON.stringify(DEVELOPMENT_AUTH_SECRET)} ? "development secret" : "given secret");`;
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

  it.each(["development", "test"])("uses the development secret when NODE_ENV=%s opts in", async (nodeEnv) => {
    expect(await loadWebEnv({ NODE_ENV: nodeEnv })).toMatchObject({ code: 0, stdout: "development secret" });
  }, 60_000);

  it.each([
    ["unset", undefined],
    ["staging", "staging"],
  ])("starts with the AUTH_SECRET it is given when NODE_ENV is %s", async (_label, nodeEnv) => {
    expect(await loadWebEnv({ NODE_ENV: nodeEnv, AUTH_SECRET: REAL_SECRET })).toMatchObject({ code: 0, stdout: "given secret" });
  }, 60_000);
});
