import type { Page } from "@playwright/test";
import pg from "pg";
import { expect, expectNoSeriousA11yViolations, newSession, screenshot, SEEDED_ADMIN, signIn, test } from "./support/fixtures.ts";
import { publishReadingAndAwaitStored, publishReadings } from "./support/readings.ts";

/**
 * The alarm lifecycle against the whole running system: the demo meter has gone silent (its last
 * reading dated back in the monitoring database, its "device silent" alarm stored as monitoring's sweep
 * stores it: no reading can produce that state sooner); the admin finds the active alarm on the
 * operations console, filters by state and acknowledges it; the client sees it, still active, in their
 * history. Then the meter reports again: monitoring clears the alarm and both are told live.
 */
test.describe.configure({ mode: "serial", timeout: 150_000 });

/** Seeded by e2e/support/databases.ts (packages/db's seed). */
const DEMO_CLIENT = { username: "demo", password: "demo-password" };
const DEMO_DEVICE = { id: "5c2494a3-1140-4c7a-991a-a1a2561c6bc2", name: "Demo smart meter" };
const SILENT_FOR_MINUTES = 47;
const PHONE = { width: 390, height: 844 };

let admin: Page;
let client: Page;

test.afterAll(async () => {
  await admin?.context().close();
  await client?.context().close();
});

/**
 * Makes the demo meter silent since `SILENT_FOR_MINUTES` ago and stores its active silence alarm. Its
 * last reading first (a 0 kWh reading: counted like any other, it changes no total other specs check),
 * then, in one transaction, that hour dated back and the alarm inserted: any alarm left active by an
 * earlier spec is cleared first, so the sweep (which clears an alarm only for a newer reading, and raises
 * one only where none is active) leaves this one alone.
 */
async function silenceDemoMeter(monitoringDatabaseUrl: string, queuePrefix: string): Promise<void> {
  const monitoring = new pg.Client({ connectionString: monitoringDatabaseUrl });
  await monitoring.connect();
  try {
    const timestamp = Date.now() - 60_000;
    await publishReadingAndAwaitStored(monitoring, queuePrefix, { deviceId: DEMO_DEVICE.id, timestamp, kwh: 0 });
    const lastReadingAt = new Date(Date.now() - SILENT_FOR_MINUTES * 60_000);
    await monitoring.query("BEGIN");
    await monitoring.query("UPDATE hourly_consumption SET updated_at = LEAST(updated_at, $2) WHERE device_id = $1", [DEMO_DEVICE.id, lastReadingAt]);
    await monitoring.query("UPDATE alerts SET cleared_at = now() WHERE device_id = $1 AND kind = 'device_silent' AND cleared_at IS NULL", [DEMO_DEVICE.id]);
    await monitoring.query(
      "INSERT INTO alerts (device_id, owner_id, kind, last_reading_at) SELECT device_id, owner_id, 'device_silent', $2 FROM devices WHERE device_id = $1",
      [DEMO_DEVICE.id, lastReadingAt],
    );
    await monitoring.query("COMMIT");
  } finally {
    await monitoring.end();
  }
}

/** The summary of the alarm while active; the silence has lasted a minute or two longer by the time a page shows it. */
const SILENT_NOW = new RegExp(`Silent since \\d\\d:\\d\\d \\(no reading for (${SILENT_FOR_MINUTES}|${SILENT_FOR_MINUTES + 1}|${SILENT_FOR_MINUTES + 2}) min\\)`);

test("the admin finds the silent meter's active alarm, filters by state and acknowledges it", async ({ browser, baseURL, system }, testInfo) => {
  await silenceDemoMeter(system.monitoringDatabaseUrl, system.queuePrefix);

  admin = await newSession(browser, baseURL ?? "");
  await signIn(admin, SEEDED_ADMIN.username, SEEDED_ADMIN.password, /\/admin\/users$/);
  await admin.getByRole("link", { name: "Operations" }).click();
  await admin.waitForURL(/\/admin\/operations$/);
  await expect(admin.getByRole("region", { name: "Fleet" }).getByRole("row", { name: new RegExp(DEMO_DEVICE.name) })).toContainText("Silent");

  const alerts = admin.getByRole("region", { name: "Alerts across clients" });
  await alerts.getByLabel("Kind").selectOption("device_silent");
  await alerts.getByLabel("State", { exact: true }).selectOption("active");
  const row = alerts.getByRole("row", { name: new RegExp(DEMO_DEVICE.name) });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(SILENT_NOW);
  await expect(row).toContainText(DEMO_CLIENT.username);
  await expect(row).toContainText("Active since");
  await screenshot(admin, testInfo, "50-admin-silence-alarm");
  await expectNoSeriousA11yViolations(admin, "the operations console with a silence alarm");

  // Cleared ones only: not this one (an earlier spec's cleared alarm of the meter may be there).
  await alerts.getByLabel("State", { exact: true }).selectOption("cleared");
  await expect(alerts.getByRole("row", { name: /Silent since/ })).toHaveCount(0);
  await alerts.getByLabel("State", { exact: true }).selectOption("active");

  await row.getByRole("button", { name: new RegExp(`^Acknowledge the silence alarm of ${DEMO_DEVICE.name} since`) }).click();
  // Out of "Not acknowledged"; acknowledged, it is still active: only a reading clears it.
  await expect(row).toHaveCount(0);
  await alerts.getByLabel("Acknowledgement").selectOption("acknowledged");
  await expect(row).toContainText("Active since");
  await expect(row.getByRole("button", { name: /^Acknowledge/ })).toHaveCount(0);
});

test("the client sees the acknowledged, still active alarm in their history, without the red modal", async ({ browser, baseURL }, testInfo) => {
  client = await newSession(browser, baseURL ?? "");
  await signIn(client, DEMO_CLIENT.username, DEMO_CLIENT.password, /\/dashboard$/);
  const history = client.getByRole("list", { name: "Alerts" });
  const item = history.getByRole("listitem").filter({ hasText: `${DEMO_DEVICE.name}: Silent since` });
  await expect(item).toContainText(SILENT_NOW);
  await expect(item).toContainText("Active");
  await expect(item).toContainText("Acknowledged");
  await expect(client.getByRole("alertdialog")).toHaveCount(0);
  await screenshot(client, testInfo, "51-dashboard-silence-alarm");
  await expectNoSeriousA11yViolations(client, "the dashboard with a silence alarm");
});

test("at phone width the alerts fit the screen and both pages stay accessible", async ({ browser, baseURL }, testInfo) => {
  const phoneAdmin = await newSession(browser, baseURL ?? "", { viewport: PHONE });
  await signIn(phoneAdmin, SEEDED_ADMIN.username, SEEDED_ADMIN.password, /\/admin\/users$/);
  await phoneAdmin.goto("/admin/operations");
  const alerts = phoneAdmin.getByRole("region", { name: "Alerts across clients" });
  await alerts.getByLabel("Kind").selectOption("device_silent");
  await alerts.getByLabel("Acknowledgement").selectOption("all");
  await expect(alerts.getByRole("row", { name: new RegExp(DEMO_DEVICE.name) }).filter({ hasText: "Silent since" })).toHaveCount(1);
  // The panel fits the screen (the console as a whole is operations.spec.ts's); its table scrolls inside its frame.
  expect(await alerts.evaluate((panel) => panel.getBoundingClientRect().right)).toBeLessThanOrEqual(PHONE.width);
  for (const filter of await alerts.getByRole("combobox").all()) expect(await filter.evaluate((select) => select.getBoundingClientRect().right)).toBeLessThanOrEqual(PHONE.width);
  await screenshot(phoneAdmin, testInfo, "52-admin-silence-alarm-phone");
  await expectNoSeriousA11yViolations(phoneAdmin, "the operations console at phone width");
  await phoneAdmin.context().close();

  const phoneClient = await newSession(browser, baseURL ?? "", { viewport: PHONE });
  await signIn(phoneClient, DEMO_CLIENT.username, DEMO_CLIENT.password, /\/dashboard$/);
  await expect(phoneClient.getByRole("list", { name: "Alerts" })).toContainText(`${DEMO_DEVICE.name}: Silent since`);
  expect(await phoneClient.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
  await screenshot(phoneClient, testInfo, "53-dashboard-silence-alarm-phone");
  await expectNoSeriousA11yViolations(phoneClient, "the dashboard at phone width");
  await phoneClient.context().close();
});

test("the meter reports again: monitoring clears the alarm and the client and the admin are told live", async ({ system }) => {
  for (const page of [client, admin]) await expect(page.getByRole("status").filter({ hasText: "Real-time connection: Live" }).first()).toBeVisible();
  await client.evaluate(() => ((window as { sameDocument?: boolean }).sameDocument = true));
  await publishReadings(system.queuePrefix, [{ deviceId: DEMO_DEVICE.id, timestamp: Date.now(), kwh: 0 }]);

  // Monitoring's sweep (every 30 s) clears it; chat pushes "alarm:silence" to the owner and the admins.
  const reportingAgain = `Meter ${DEMO_DEVICE.name} is reporting again`;
  // Both at once: a toast goes away after a few seconds.
  await Promise.all([client, admin].map((page) => expect(page.getByRole("status").filter({ hasText: reportingAgain })).toBeVisible({ timeout: 75_000 })));
  // The history refreshed without a reload: the alarm now reads as a silence that ended.
  const history = client.getByRole("list", { name: "Alerts" });
  await expect(history.getByRole("listitem").filter({ hasText: `${DEMO_DEVICE.name}: Silent since` })).toHaveCount(0);
  await expect(history.getByRole("listitem").filter({ hasText: `${DEMO_DEVICE.name}: Silent` }).first()).toContainText("Cleared");
  expect(await client.evaluate(() => (window as { sameDocument?: boolean }).sameDocument)).toBe(true);
  await expect(client.getByRole("alertdialog")).toHaveCount(0);
  // On the console, the acknowledged alarm has left the active ones.
  await expect(admin.getByRole("region", { name: "Alerts across clients" }).getByRole("row", { name: /Silent since/ })).toHaveCount(0);
});
