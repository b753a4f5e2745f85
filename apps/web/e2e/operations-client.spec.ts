import amqp from "amqplib";
import { queueNames } from "@ems/contracts/queues";
import { Broker, consoleLogger } from "@ems/messaging";
import { e2eEnv } from "./support/env.ts";
import { publishReadings } from "./support/readings.ts";
import { expect, expectNoSeriousA11yViolations, newSession, screenshot, SEEDED_ADMIN, signIn, test } from "./support/fixtures.ts";

/**
 * The operations console's way to a client's consumption and its dead letters by reason, against the
 * whole running system: the admin finds the demo client by username and sees the same day total as
 * the client's own dashboard and, live, a reading the meter sends meanwhile; switches to the month and
 * to all devices (the address follows), opens
 * the demo meter's chart from the fleet table, and reads the dead letters by reason after a malformed
 * reading was dead-lettered by the balancer. At desktop and phone width, with axe.
 */
test.describe.configure({ mode: "serial", timeout: 120_000 });

/** Seeded by e2e/support/databases.ts (packages/db's seed). */
const DEMO_CLIENT = { username: "demo", password: "demo-password" };
const DEMO_DEVICE = { id: "5c2494a3-1140-4c7a-991a-a1a2561c6bc2", name: "Demo smart meter" };

/** A reading that is not JSON, as a broken meter might send: the balancer dead-letters it ("malformed JSON"). */
async function sendMalformedReading(queuePrefix: string): Promise<void> {
  const names = queueNames(queuePrefix);
  const broker = new Broker({ url: e2eEnv.RABBITMQ_URL, name: "e2e-broken-meter", log: consoleLogger("e2e-broken-meter", "warn") });
  await broker.start();
  try {
    await broker.sendToQueue(names.sensorData, "{not json", { persistent: true, contentType: "application/json" });
  } finally {
    await broker.close();
  }
  const connection = await amqp.connect(e2eEnv.RABBITMQ_URL);
  try {
    const channel = await connection.createChannel();
    await expect(async () => expect((await channel.checkQueue(names.deadLetter)).messageCount).toBeGreaterThan(0)).toPass({ timeout: 30_000 });
  } finally {
    await connection.close();
  }
}

// Before any page asks: the console counts the dead letters once and keeps the count for 30 s.
test.beforeAll(async ({ system }) => {
  await sendMalformedReading(system.queuePrefix);
});

test("an admin finds the demo client, sees their chart as they do, live, and opens a device's chart from the fleet", async ({ browser, baseURL, system }, testInfo) => {
  // The client's own day total, to compare with what the admin is shown.
  const client = await newSession(browser, baseURL ?? "");
  await signIn(client, DEMO_CLIENT.username, DEMO_CLIENT.password, /\/dashboard$/);
  await expect(client.getByTestId("day-total")).toContainText("Total on");
  const clientsTotal = (await client.getByTestId("day-total").textContent()) ?? "";
  await client.context().close();

  const admin = await newSession(browser, baseURL ?? "");
  await signIn(admin, SEEDED_ADMIN.username, SEEDED_ADMIN.password, /\/admin\/users$/);
  await admin.getByRole("link", { name: "Operations" }).click();
  await admin.waitForURL(/\/admin\/operations$/);

  const clients = admin.getByRole("region", { name: "Clients' consumption" });
  await clients.getByLabel("Find a client").fill("dem");
  await expect(clients.getByRole("status")).toContainText(/match/);
  await clients.getByRole("link", { name: /^demo/ }).click();
  await admin.waitForURL(/\/admin\/clients\/[0-9a-f-]{36}$/);
  const demoPage = admin.url();
  await expect(admin.getByRole("heading", { name: "Consumption of demo", level: 1 })).toBeVisible();
  await expect(admin.getByRole("list", { name: "Devices of demo" }).getByRole("button", { name: new RegExp(DEMO_DEVICE.name) })).toHaveAttribute("aria-pressed", "true");
  await expect(admin.getByRole("heading", { name: `Consumption of ${DEMO_DEVICE.name}`, level: 2 })).toBeVisible();
  await expect(admin.getByTestId("day-total")).toHaveText(clientsTotal);
  await expect(admin.getByTestId("consumption-chart")).toBeVisible();
  await screenshot(admin, testInfo, "42-admin-client-chart");
  await expectNoSeriousA11yViolations(admin, "a client's consumption in the console");

  // Live, as on the client's own dashboard: a reading the meter sends now shows without a reload.
  const kwhIn = (text: string | null) => Number(/:\s*([\d.,]+)\s*kWh/.exec(text ?? "")?.[1]?.replaceAll(",", "") ?? NaN);
  const before = kwhIn(clientsTotal);
  await publishReadings(system.queuePrefix, [{ deviceId: DEMO_DEVICE.id, timestamp: Date.now(), kwh: 0.5 }]);
  await expect(async () => expect(kwhIn(await admin.getByTestId("day-total").textContent())).toBeCloseTo(before + 0.5, 3)).toPass({ timeout: 30_000 });

  // The client's other views: a month, all devices together; the address keeps the device chosen.
  await admin.getByRole("button", { name: "Month", exact: true }).click();
  await expect(admin.getByTestId("period-comparison")).toContainText("Previous month");
  await admin.getByRole("button", { name: /All devices of demo/ }).click();
  await expect(admin.getByRole("heading", { name: "Consumption of all devices of demo" })).toBeVisible();
  await expect(admin.getByTestId("period-total")).toContainText("Total for");
  await expect(admin).toHaveURL(`${demoPage}?device=all`);

  // From the fleet table straight to the owner's chart of that device.
  await admin.getByRole("link", { name: "Back to Operations" }).click();
  const fleet = admin.getByRole("region", { name: "Fleet" });
  await fleet.getByRole("row", { name: new RegExp(DEMO_DEVICE.name) }).getByRole("link", { name: `Chart of ${DEMO_DEVICE.name}` }).click();
  await expect(admin).toHaveURL(`${demoPage}?device=${DEMO_DEVICE.id}`);
  await expect(admin.getByRole("heading", { name: `Consumption of ${DEMO_DEVICE.name}`, level: 2 })).toBeVisible();
  await expect(admin.getByRole("button", { name: new RegExp(DEMO_DEVICE.name) })).toHaveAttribute("aria-pressed", "true");
  await admin.context().close();

  const phone = await newSession(browser, baseURL ?? "", { viewport: { width: 390, height: 844 } });
  await signIn(phone, SEEDED_ADMIN.username, SEEDED_ADMIN.password, /\/admin\/users$/);
  await phone.goto(`${demoPage}?device=${DEMO_DEVICE.id}`);
  await expect(phone.getByRole("heading", { name: `Consumption of ${DEMO_DEVICE.name}`, level: 2 })).toBeVisible();
  await expect(phone.getByTestId("day-total")).toContainText("Total on");
  expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await screenshot(phone, testInfo, "43-admin-client-chart-phone");
  await expectNoSeriousA11yViolations(phone, "a client's consumption at phone width");
  await phone.context().close();
});

test("the data plane shows the dead letters by reason, at desktop and phone width", async ({ browser, baseURL, system }, testInfo) => {
  const deadLetterQueue = queueNames(system.queuePrefix).deadLetter;

  for (const viewport of [undefined, { width: 390, height: 844 }]) {
    const admin = await newSession(browser, baseURL ?? "", viewport ? { viewport } : {});
    await signIn(admin, SEEDED_ADMIN.username, SEEDED_ADMIN.password, /\/admin\/users$/);
    await admin.goto("/admin/operations");
    const reasons = admin.getByRole("region", { name: "Dead letters by reason", exact: true });
    await expect(reasons.getByRole("row", { name: /malformed JSON/ })).toBeVisible();
    await expect(reasons).toContainText(`in ${deadLetterQueue}`);
    await expect(reasons.getByRole("row", { name: /malformed JSON/ })).toContainText(system.queuePrefix + "sensor.data.queue");
    await reasons.scrollIntoViewIfNeeded();
    if (viewport) {
      expect(await admin.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
    }
    await screenshot(admin, testInfo, viewport ? "45-admin-dead-letters-phone" : "44-admin-dead-letters");
    await expectNoSeriousA11yViolations(admin, `the dead letters by reason${viewport ? " at phone width" : ""}`);
    await admin.context().close();
  }
});
