import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEVELOPMENT_AUTH_SECRET } from "@ems/auth/tokens";

const workersRoot = fileURLToPath(new URL("../..", import.meta.url));
const REAL_SECRET = "chat-env-test-secret-0123456789abcdefghijklmnop";

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Node with tsx in a clean environment: PATH and HOME only (no inherited NODE_ENV, AUTH_SECRET or
 * AUTH_SECRET_FILE), plus `env`.
 */
function node(args: string[], env: Record<string, string | undefined>): Promise<Exit> {
  // eslint-disable-next-line no-restricted-properties -- the child needs PATH and HOME, nothing else of ours
  const base = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: "error" };
  const childEnv = Object.fromEntries(Object.entries({ ...base, ...env }).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", ...args], { cwd: workersRoot, env: childEnv, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr });
    });
  });
}

/** Loads src/chat/env.ts as the chat process does and says which secret it got. */
const loadChatEnv = (env: Record<string, string | undefined>) =>
  node(
    [
      "--input-type=module",
      "-e",
      `const { chatEnv } = await import("./src/chat/env.ts");
       process.stdout.write(chatEnv.AUTH_SECRET === ${JSON.stringify(DEVELOPMENT_AUTH_SECRET)} ? "development secret" : "given secret");`,
    ],
    env,
  );

// ASVS 5.0 V13.3.1: "… Secrets must not be included in application source code or included in build
// artifacts." The development secret is in the source: only NODE_ENV=development or test may use it.
describe("chat AUTH_SECRET: the development secret only by explicit opt-in (ASVS 5.0 V13.3.1)", () => {
  it.each([
    ["unset", undefined],
    ["staging", "staging"],
    ["production", "production"],
  ])("refuses to load without AUTH_SECRET when NODE_ENV is %s", async (_label, nodeEnv) => {
    const result = await loadChatEnv({ NODE_ENV: nodeEnv });
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("AUTH_SECRET (or AUTH_SECRET_FILE) is required");
  }, 60_000);

  it.each(["development", "test"])("uses the development secret when NODE_ENV=%s opts in", async (nodeEnv) => {
    expect(await loadChatEnv({ NODE_ENV: nodeEnv })).toMatchObject({ code: 0, stdout: "development secret" });
  }, 60_000);

  it.each([
    ["unset", undefined],
    ["staging", "staging"],
  ])("starts with the AUTH_SECRET it is given when NODE_ENV is %s", async (_label, nodeEnv) => {
    expect(await loadChatEnv({ NODE_ENV: nodeEnv, AUTH_SECRET: REAL_SECRET })).toMatchObject({ code: 0, stdout: "given secret" });
  }, 60_000);

  it("the real entry (src/chat.ts) started without NODE_ENV or AUTH_SECRET exits at once with the reason", async () => {
    const result = await node(["src/chat.ts"], { CHAT_HOST: "127.0.0.1", CHAT_PORT: "0" });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("AUTH_SECRET (or AUTH_SECRET_FILE) is required");
    expect(result.stderr).toContain("(here NODE_ENV is unset)");
  }, 60_000);
});
