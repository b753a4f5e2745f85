import { generateKeyPairSync } from "node:crypto";
import { defineConfig, devices } from "@playwright/test";
import { SYSTEM_CHAT_URL } from "./support/ports.ts";

/**
 * End-to-end tests against a production build: `next build` then `next start`, driven by Debian's
 * Chromium (/usr/bin/chromium; install with `apt-get install -y chromium`). Playwright's own browser
 * download is never used (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1).
 */
const port = 3100;
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: ".",
  testMatch: "**/*.spec.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "../test-results",
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"] } }],
  webServer: {
    command: `npm run build && npx next start -p ${port} -H 127.0.0.1`,
    cwd: "..",
    url: baseURL,
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: "pipe",
    env: {
      NEXT_TELEMETRY_DISABLED: "1",
      NEXTAUTH_URL: baseURL,
      // next start runs in production mode, which requires a real secret; this one is for the test only.
      AUTH_SECRET: "e2e-only-secret-0123456789abcdefghijklmnopqrstuvwxyz",
      // Likewise the socket tokens' signing key (a throw-away Ed25519 key made for this run).
      SOCKET_TOKEN_PRIVATE_KEY: generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
      OUTBOX_RELAY: "off",
      // The browser's Socket.IO address is built into the app: ems-flows.spec.ts runs its chat server there.
      NEXT_PUBLIC_CHAT_URL: SYSTEM_CHAT_URL,
    },
  },
});
