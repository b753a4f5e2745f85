import type { Response } from "@playwright/test";
import { watchCsp } from "./support/csp.ts";
import { e2eEnv } from "./support/env.ts";
import { SEEDED_ADMIN, expect, newSession, signIn, test } from "./support/fixtures.ts";

/**
 * ASVS 5.0 V3.4.3: the pages run under a nonce-based Content-Security-Policy (src/proxy.ts) and
 * nothing the app does trips it: no violation is reported on the sign-in page, the client dashboard
 * (chat included) or the admin console, client-side navigations included, and the chat socket still
 * connects. Against the whole running system (the same worker fixture as ems-flows.spec.ts).
 */
test.describe.configure({ mode: "serial", timeout: 120_000 });

const DEMO_CLIENT = { username: "demo", password: "demo-password" };

declare global {
  interface Window {
    __cspProbe?: number;
  }
}

/** The directives of a page response's policy, checked for what every page must have; returns its nonce. */
async function expectNoncePolicy(response: Response | null): Promise<string> {
  expect(response?.status()).toBe(200);
  const policy = response?.headers()["content-security-policy"] ?? "";
  const directives = new Map(policy.split(";").map((part) => [part.trim().split(/\s+/)[0], part.trim().split(/\s+/).slice(1)]));
  const scriptSrc = directives.get("script-src") ?? [];
  const nonce = /^'nonce-([A-Za-z0-9+/=]+)'$/.exec(scriptSrc.find((source) => source.startsWith("'nonce-")) ?? "")?.[1] ?? "";
  expect(nonce, policy).not.toBe("");
  expect(scriptSrc).toContain("'strict-dynamic'");
  expect(scriptSrc).not.toContain("'unsafe-inline'");
  // `next dev` (E2E_SYSTEM_MODE=dev) needs eval for React's debugging aids; a production build never.
  if (e2eEnv.E2E_SYSTEM_MODE === "dev") expect(scriptSrc).toContain("'unsafe-eval'");
  else expect(scriptSrc).not.toContain("'unsafe-eval'");
  for (const [name, value] of [
    ["default-src", "'self'"],
    ["object-src", "'none'"],
    ["base-uri", "'none'"],
    ["form-action", "'self'"],
    ["frame-ancestors", "'none'"],
  ] as const) {
    expect(directives.get(name), name).toEqual([value]);
  }
  // Plain http here: no HSTS (it is only sent when the public origin is https).
  expect(response?.headers()["strict-transport-security"]).toBeUndefined();
  // Every script of the server-rendered page carries this response's nonce (Next.js put it there).
  const html = (await response?.text()) ?? "";
  const scripts = html.match(/<script\b[^>]*>/g) ?? [];
  expect(scripts.length).toBeGreaterThan(0);
  for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
  return nonce;
}

test("the sign-in page runs under a nonce CSP, a new nonce per response, and signs in", async ({ browser, baseURL }) => {
  const page = await newSession(browser, baseURL ?? "");
  const csp = await watchCsp(page);
  const first = await expectNoncePolicy(await page.goto("/signin"));
  const second = await expectNoncePolicy(await page.reload());
  expect(second).not.toBe(first);
  // The form is driven by React: an error shown inline proves the page's scripts ran.
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByLabel("Username")).toHaveAccessibleDescription(/username is required/i);
  expect(await csp.violations()).toEqual([]);
  await page.context().close();
});

test("the policy is enforced: injected inline code does not run, and the browser reports it", async ({ browser, baseURL }) => {
  const page = await newSession(browser, baseURL ?? "");
  const csp = await watchCsp(page);
  await page.goto("/signin");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled();
  await page.evaluate(() => {
    document.body.insertAdjacentHTML("beforeend", '<img alt="" src="/csp-probe-missing.png" onerror="window.__cspProbe = 1">');
  });
  await expect.poll(() => csp.violations()).toEqual(expect.arrayContaining([expect.stringMatching(/^script-src-attr blocked inline/)]));
  expect(await page.evaluate(() => window.__cspProbe)).toBeUndefined();
  await page.context().close();
});

test("the client dashboard and its chat: no CSP violation, the socket connects, the bot answers", async ({ browser, baseURL }) => {
  const page = await newSession(browser, baseURL ?? "");
  const csp = await watchCsp(page);
  await signIn(page, DEMO_CLIENT.username, DEMO_CLIENT.password, /\/dashboard$/);
  await expectNoncePolicy(await page.reload());
  await expect(page.getByRole("status").filter({ hasText: "Real-time connection: Live" }).first()).toBeVisible();
  await expect(page.getByTestId("day-total")).toBeVisible();

  const chat = page.getByRole("region", { name: "Support chat" });
  await page.getByRole("button", { name: /Support chat/ }).click();
  await expect(chat.getByRole("status").filter({ hasText: "Real-time connection: Live" })).toBeVisible();
  const box = chat.getByLabel("Message to the bot");
  await box.fill("How do I read the chart?");
  await box.press("Enter");
  await expect(chat.locator('li[data-source="rule"]').last()).toBeVisible();
  expect(await csp.violations()).toEqual([]);
  await page.context().close();
});

test("the admin console: users, devices and the chat inbox, navigated in the app, with no CSP violation", async ({ browser, baseURL }) => {
  const page = await newSession(browser, baseURL ?? "");
  const csp = await watchCsp(page);
  await signIn(page, SEEDED_ADMIN.username, SEEDED_ADMIN.password, /\/admin\/users$/);
  await expectNoncePolicy(await page.reload());
  await expect(page.getByRole("table", { name: "Users" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Real-time connection: Live" }).first()).toBeVisible();

  // Client-side navigations load further scripts: 'strict-dynamic' lets the nonced ones load them.
  await page.getByRole("link", { name: "Devices" }).click();
  await expect(page.getByRole("table", { name: "Devices" })).toBeVisible();
  await page.getByRole("link", { name: /Chat inbox/ }).click();
  await expect(page).toHaveURL(/\/admin\/chat$/);
  await expect(page.getByRole("status").filter({ hasText: "Real-time connection: Live" }).first()).toBeVisible();
  expect(await csp.violations()).toEqual([]);

  // And each page loaded directly.
  for (const path of ["/admin/devices", "/admin/chat", "/admin/users"]) {
    await expectNoncePolicy(await page.goto(path));
    await expect(page.getByRole("status").filter({ hasText: "Real-time connection: Live" }).first()).toBeVisible();
    expect(await csp.violations(), path).toEqual([]);
  }
  await page.context().close();
});

test("pages that are not found and API answers carry a policy too", async ({ page, request }) => {
  const notFound = await page.goto("/no-such-page");
  expect(notFound?.status()).toBe(404);
  expect(notFound?.headers()["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
  const api = await request.get("/api/health/live");
  expect(api.headers()["content-security-policy"]).toBe("default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  expect(api.headers()["x-content-type-options"]).toBe("nosniff");
});
