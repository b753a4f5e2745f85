import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEVELOPMENT_SOCKET_TOKEN_PUBLIC_KEY } from "@ems/auth/tokens";

const workersRoot = fileURLToPath(new URL("../..", import.meta.url));
const pair = generateKeyPairSync("ed25519");
const PUBLIC_PEM = pair.publicKey.export({ format: "pem", type: "spki" }).toString();
const PRIVATE_PEM = pair.privateKey.export({ format: "pem", type: "pkcs8" }).toString();

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Node with tsx in a clean environment: PATH and HOME only (no inherited NODE_ENV or keys), plus `env`.
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

/** Loads src/chat/env.ts as the chat process does and says which public key it got. */
const loadChatEnv = (env: Record<string, string | undefined>) =>
  node(
    [
      "--input-type=module",
      "-e",
      `const { chatEnv } = await import("./src/chat/env.ts");
       process.stdout.write(chatEnv.SOCKET_TOKEN_PUBLIC_KEY === ${JSON.stringify(DEVELOPMENT_SOCKET_TOKEN_PUBLIC_KEY)} ? "development key" : "given key");
       process.stdout.write("AUTH_SECRET" in chatEnv ? " + AUTH_SECRET" : "");`,
    ],
    env,
  );

// ASVS 5.0 V13.3.1: "… Secrets must not be included in application source code or included in build
// artifacts." The development key pair is in the source: only NODE_ENV=development or test may use it.
// V13.3.2 / one secret per purpose: chat is given the socket tokens' public key and nothing that signs.
describe("chat SOCKET_TOKEN_PUBLIC_KEY: the development key only by explicit opt-in (ASVS 5.0 V13.3.1)", () => {
  it.each([
    ["unset", undefined],
    ["staging", "staging"],
    ["production", "production"],
  ])("refuses to load without SOCKET_TOKEN_PUBLIC_KEY when NODE_ENV is %s", async (_label, nodeEnv) => {
    const result = await loadChatEnv({ NODE_ENV: nodeEnv });
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("SOCKET_TOKEN_PUBLIC_KEY (or SOCKET_TOKEN_PUBLIC_KEY_FILE) is required");
  }, 60_000);

  it.each(["development", "test"])("uses the development key when NODE_ENV=%s opts in", async (nodeEnv) => {
    expect(await loadChatEnv({ NODE_ENV: nodeEnv })).toMatchObject({ code: 0, stdout: "development key" });
  }, 60_000);

  it.each([
    ["unset", undefined],
    ["staging", "staging"],
    ["production", "production"],
  ])("starts with the public key it is given when NODE_ENV is %s, and holds no AUTH_SECRET even when one is set", async (_label, nodeEnv) => {
    expect(await loadChatEnv({ NODE_ENV: nodeEnv, SOCKET_TOKEN_PUBLIC_KEY: PUBLIC_PEM, AUTH_SECRET: "a-secret-chat-must-not-keep-0123456789" })).toMatchObject({
      code: 0,
      stdout: "given key",
    });
  }, 60_000);

  it("refuses the private key (chat must never hold what signs) and, outside development, the development key", async () => {
    const privateKey = await loadChatEnv({ NODE_ENV: "production", SOCKET_TOKEN_PUBLIC_KEY: PRIVATE_PEM });
    expect(privateKey.code).not.toBe(0);
    expect(privateKey.stderr).toContain("SOCKET_TOKEN_PUBLIC_KEY is a private key");
    const development = await loadChatEnv({ NODE_ENV: "production", SOCKET_TOKEN_PUBLIC_KEY: DEVELOPMENT_SOCKET_TOKEN_PUBLIC_KEY });
    expect(development.code).not.toBe(0);
    expect(development.stderr).toContain("development key pair");
  }, 60_000);

  it("the real entry (src/chat.ts) started without NODE_ENV or SOCKET_TOKEN_PUBLIC_KEY exits at once with the reason", async () => {
    const result = await node(["src/chat.ts"], { CHAT_HOST: "127.0.0.1", CHAT_PORT: "0" });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("SOCKET_TOKEN_PUBLIC_KEY (or SOCKET_TOKEN_PUBLIC_KEY_FILE) is required");
    expect(result.stderr).toContain("(here NODE_ENV is unset)");
  }, 60_000);
});

describe("chat's bot database URLs", () => {
  /** Loads src/chat/env.ts and prints the bot's URLs as the chat server would get them. */
  const loadBotUrls = (env: Record<string, string | undefined>) =>
    node(
      [
        "--input-type=module",
        "-e",
        `const { chatEnv, chatConfigFromEnv } = await import("./src/chat/env.ts");
         process.stdout.write(JSON.stringify(chatConfigFromEnv(chatEnv).ai.userData ?? null));`,
      ],
      { NODE_ENV: "test", ...env },
    );

  it("take CHAT_BOT_DATABASE_PASSWORD_FILE's password (the stack's secret) unless a URL has its own", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "chat-bot-"));
    await writeFile(path.join(dir, "password"), "s3cret/+=\n");
    const result = await loadBotUrls({
      CHAT_BOT_DEVICE_DATABASE_URL: "postgresql://ems_chat_bot@device-db:5432/ems_device",
      CHAT_BOT_MONITORING_DATABASE_URL: "postgresql://ems_chat_bot:own@monitoring-db:5432/ems_monitoring",
      CHAT_BOT_DATABASE_PASSWORD_FILE: path.join(dir, "password"),
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      deviceUrl: "postgresql://ems_chat_bot:s3cret%2F+%3D@device-db:5432/ems_device",
      monitoringUrl: "postgresql://ems_chat_bot:own@monitoring-db:5432/ems_monitoring",
    });
  }, 60_000);

  it("are both given or neither", async () => {
    expect(await loadBotUrls({})).toMatchObject({ code: 0, stdout: "null" });
    const half = await loadBotUrls({ CHAT_BOT_DEVICE_DATABASE_URL: "postgresql://ems_chat_bot@device-db:5432/ems_device" });
    expect(half.code).not.toBe(0);
    expect(half.stderr).toContain("go together");
  }, 60_000);
});
