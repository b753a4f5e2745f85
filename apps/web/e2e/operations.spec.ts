import pg from "pg";
import { expect, expectNoSeriousA11yViolations, newSession, screenshot, SEEDED_ADMIN, signIn, test } from "./support/fixtures.ts";
import { publishReadingAndAwaitStored } from "./support/readings.ts";

/**
 * The admin's operations console against the whole running system: the seeded admin opens Operations
 * from the navigation, finds the demo meter among the silent devices, and sees both partition queues
 * with their consumers (the run's monitoring replicas). A device becomes silent only after
 * FLEET_SILENT_AFTER_MINUTES (30) without a reading, so once a reading of it was counted, its hours are
 * dated back in the monitoring database: no reading can produce that state sooner.
 */
test.describe.configure({ mode: "serial", timeout: 120_000 });

/** Seeded by e2e/support/databases.ts (packages/db's seed). */
const DEMO_DEVICE = { id: "5c2494a3-1140-4c7a-991a-a1a2561c6bc2", name: "Demo smart meter" };

test("the admin finds a silent device and the partitions, at desktop and phone width", async ({ browser, baseURL, system }, testInfo) => {
  const monitoring = new pg.Client({ connectionString: system.monitoringDatabaseUrl });
  await monitoring.connect();
  try {
    // A 0 kWh reading: counted like any other, it changes no total the consumption specs check. Its hour
    // is dated back only once this very reading is stored: counted afterwards, it would date it forward.
    const timestamp = Date.now() - 60_000;
    await publishReadingAndAwaitStored(monitoring, system.queuePrefix, { deviceId: DEMO_DEVICE.id, timestamp, kwh: 0 });
    await monitoring.query("UPDATE hourly_consumption SET updated_at = now() - interval '2 hours' WHERE device_id = $1", [DEMO_DEVICE.id]);
  } finally {
    await monitoring.end();
  }

  const admin = await newSession(browser, baseURL ?? "");
  await signIn(admin, SEEDED_ADMIN.username, SEEDED_ADMIN.password, /\/admin\/users$/);
  await admin.getByRole("link", { name: "Operations" }).click();
  await admin.waitForURL(/\/admin\/operations$/);
  await expect(admin.getByRole("heading", { name: "Operations", level: 1 })).toBeVisible();

  const fleet = admin.getByRole("region", { name: "Fleet" });
  await fleet.getByLabel("Show").selectOption("silent");
  const silentRow = fleet.getByRole("row", { name: new RegExp(DEMO_DEVICE.name) });
  await expect(silentRow).toContainText("Silent");
  await expect(silentRow).toContainText("demo");

  const dataPlane = admin.getByRole("region", { name: "Data plane" });
  for (const index of [0, 1]) {
    const row = dataPlane.getByRole("row", { name: new RegExp(`${system.queuePrefix.replaceAll(".", "\\.")}sensor\\.queue\\.${index}`) });
    await expect(row).toBeVisible();
    // Consumers, depth, then the replica holding the partition's lock.
    await expect(row.getByRole("cell").first()).not.toHaveText("0");
    await expect(row).toContainText("pid");
  }
  await expect(dataPlane).not.toContainText("Broker unreachable");
  await screenshot(admin, testInfo, "40-admin-operations");
  await expectNoSeriousA11yViolations(admin, "the operations console");
  await admin.context().close();

  const phone = await newSession(browser, baseURL ?? "", { viewport: { width: 390, height: 844 } });
  await signIn(phone, SEEDED_ADMIN.username, SEEDED_ADMIN.password, /\/admin\/users$/);
  await phone.goto("/admin/operations");
  await expect(phone.getByRole("region", { name: "Fleet" }).getByRole("row", { name: new RegExp(DEMO_DEVICE.name) })).toBeVisible();
  // Tables scroll sideways inside their frame; the page itself fits the screen.
  expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await screenshot(phone, testInfo, "41-admin-operations-phone");
  await expectNoSeriousA11yViolations(phone, "the operations console at phone width");
  await phone.context().close();
});
