import { SEEDED_ADMIN, expect, signIn, test } from "./support/fixtures.ts";

/**
 * ASVS 5.0 V13.4.5: readiness tells everyone only `{status}`; the details (each database, the outbox
 * relay) go to an admin. The Bearer path is covered by the route tests (src/app/api/rest.test.ts); the
 * session-cookie path needs a real request context, so it is checked here against the running app.
 */
test("/api/health: {status} to anyone, the details to an admin's session cookie", async ({ page, playwright, baseURL }) => {
  const anonymous = await playwright.request.newContext({ baseURL });
  const response = await anonymous.get("/api/health");
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({ status: "ok" });
  await anonymous.dispose();

  await signIn(page, SEEDED_ADMIN.username, SEEDED_ADMIN.password, /\/admin\/users$/);
  const asAdmin = await page.request.get("/api/health");
  expect(asAdmin.status()).toBe(200);
  const details = (await asAdmin.json()) as Record<string, unknown>;
  expect(details).toMatchObject({ status: "ok", databases: { auth: "ok", user: "ok", device: "ok", monitoring: "ok" } });
  expect(details).toHaveProperty("outboxRelay");
});
