import { mkdir } from "node:fs/promises";
import path from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { test as base, expect as baseExpect, type Browser, type Page, type TestInfo } from "@playwright/test";
import { e2eEnv } from "./env.ts";
import { SYSTEM_CHAT_PORT, SYSTEM_WEB_PORT } from "./ports.ts";
import { startSystem, type RunningSystem } from "./system.ts";

/** Shared by the web app and the chat process of the test system; a test-only value. */
export const E2E_AUTH_SECRET = "e2e-only-secret-0123456789abcdefghijklmnopqrstuvwxyz";
export const SEEDED_ADMIN = { username: "admin", password: "admin-password" };

/**
 * `system`: the whole EMS (web from the production build that the config's webServer made, chat,
 * balancer, two monitoring replicas) with fresh databases and queues, once per worker.
 * `baseURL` points every page at it.
 */
export const test = base.extend<object, { system: RunningSystem }>({
  system: [
    // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
    async ({}, use, workerInfo) => {
      const system = await startSystem({
        mode: e2eEnv.E2E_SYSTEM_MODE,
        // Next's development server serves its scripts to "localhost" only.
        host: e2eEnv.E2E_SYSTEM_MODE === "dev" ? "localhost" : "127.0.0.1",
        webPort: SYSTEM_WEB_PORT,
        chatPort: SYSTEM_CHAT_PORT,
        logFile: path.join(workerInfo.project.outputDir, "system.log"),
        authSecret: E2E_AUTH_SECRET,
      });
      await use(system);
      await system.stop();
    },
    { scope: "worker", timeout: 120_000 },
  ],
  baseURL: async ({ system }, use) => {
    await use(system.baseURL);
  },
});

/** Readings, alerts and chat messages cross several processes and the broker: allow them time on a busy machine. */
export const expect = baseExpect.configure({ timeout: 15_000 });

/** A separate browser session (own cookies), e.g. a second user side by side. */
export async function newSession(browser: Browser, baseURL: string, options: { viewport?: { width: number; height: number } } = {}): Promise<Page> {
  const context = await browser.newContext({ baseURL, timezoneId: "Europe/Bucharest", locale: "en-GB", ...options });
  return context.newPage();
}

/** Signs in through the form and waits for the role's landing page. */
export async function signIn(page: Page, username: string, password: string, landing: RegExp): Promise<void> {
  await page.goto("/signin");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(landing);
}

/** A full-page screenshot kept in test-results/screenshots and attached to the report. */
export async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const file = path.join(testInfo.project.outputDir, "screenshots", `${name}.png`);
  await mkdir(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(name, { path: file, contentType: "image/png" });
}

/** axe-core (WCAG 2.1 A/AA rules) finds nothing serious or critical on the page as it is now. */
export async function expectNoSeriousA11yViolations(page: Page, where: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const serious = results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`);
  expect(serious, `accessibility violations on ${where}`).toEqual([]);
}
