import { readFile } from "node:fs/promises";
import type { Page } from "@playwright/test";
import { watchCsp, type CspWatch } from "./support/csp.ts";
import { publishReadings, type Reading } from "./support/readings.ts";
import { expect, expectNoSeriousA11yViolations, newSession, screenshot, signIn, test } from "./support/fixtures.ts";

/**
 * Consumption over periods against the whole running system: the seeded demo client switches its
 * chart from a day to a month and a year, compares with the period before, drills down from a
 * month's bar to its days and from a day's bar to its hours, and exports what is shown as CSV.
 * Readings are published to RabbitMQ like a meter's, for today and yesterday (monitoring keeps 30
 * days of readings, so nothing older can be sent).
 */
test.describe.configure({ mode: "serial", timeout: 120_000 });

/** Seeded by e2e/support/databases.ts (packages/db's seed): the demo client and its device. */
const DEMO_CLIENT = { username: "demo", password: "demo-password" };
const DEMO_DEVICE = { id: "5c2494a3-1140-4c7a-991a-a1a2561c6bc2", name: "Demo smart meter" };
/** newSession's browser zone: dates and hours are checked on its clock. */
const ZONE = "Europe/Bucharest";
const MINUTE_MS = 60_000;

const localDate = (ms: number) => new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit" }).format(ms);
const localHour = (ms: number) => new Intl.DateTimeFormat("en-GB", { timeZone: ZONE, hour: "2-digit", hourCycle: "h23" }).format(ms);
/** "+03:00": the zone's offset at an instant, as the CSV writes it. */
const localOffset = (ms: number) =>
  new Intl.DateTimeFormat("en-GB", { timeZone: ZONE, timeZoneName: "longOffset" }).formatToParts(ms).find((part) => part.type === "timeZoneName")?.value.replace("GMT", "") || "+00:00";
const monthName = (date: string) => new Date(`${date}T12:00:00Z`).toLocaleDateString("en-GB", { month: "long", year: "numeric", timeZone: "UTC" });

let page: Page;
let csp: CspWatch;
let today: Reading;
let yesterday: Reading;

test.afterAll(async () => {
  await page?.context().close();
});

test("the demo client's readings of today and yesterday reach the day view, with the day before beside it", async ({ browser, baseURL, system }, testInfo) => {
  // Today's reading must fall on today's local date: just after midnight, wait a little.
  if (localDate(Date.now() - 2 * MINUTE_MS) !== localDate(Date.now())) await new Promise((resolve) => setTimeout(resolve, 3 * MINUTE_MS));
  const now = Date.now();
  today = { deviceId: DEMO_DEVICE.id, timestamp: now - MINUTE_MS, kwh: 0.2 };
  yesterday = { deviceId: DEMO_DEVICE.id, timestamp: now - 24 * 60 * MINUTE_MS, kwh: 0.3 };

  page = await newSession(browser, baseURL ?? "");
  csp = await watchCsp(page);
  await signIn(page, DEMO_CLIENT.username, DEMO_CLIENT.password, /\/dashboard$/);
  await expect(page.getByRole("button", { name: new RegExp(DEMO_DEVICE.name) })).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByRole("button", { name: "Day", exact: true })).toHaveAttribute("aria-pressed", "true");

  // Monitoring counts readings once the device's sync event reached it; the same timestamps are
  // counted once however often they are sent. (Live updates are ems-flows.spec.ts's subject: here
  // the page is simply loaded again until both days show.)
  const comparison = page.getByTestId("period-comparison");
  await expect(async () => {
    await publishReadings(system.queuePrefix, [today, yesterday]);
    await page.reload();
    await expect(page.getByTestId("day-total")).toContainText("0.2 kWh", { timeout: 3_000 });
    await expect(comparison).toContainText("0.3 kWh", { timeout: 1_000 });
  }).toPass({ timeout: 60_000 });
  await expect(comparison).toContainText("Previous day");
  await expect(comparison).toContainText("−0.1 kWh (−33.3%)");
  await screenshot(page, testInfo, "30-dashboard-day-compared");
  await expectNoSeriousA11yViolations(page, "the dashboard's day view with its comparison");
});

// eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
test("day → month → year with the keyboard and the mouse; all my devices together", async ({}, testInfo) => {
  const sameMonth = localDate(yesterday.timestamp).slice(0, 7) === localDate(today.timestamp).slice(0, 7);
  const sameYear = localDate(yesterday.timestamp).slice(0, 4) === localDate(today.timestamp).slice(0, 4);

  // The switch is a group of toggle buttons: Enter on a focused one presses it.
  await page.getByRole("button", { name: "Month", exact: true }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("button", { name: "Month", exact: true })).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByRole("button", { name: "Day", exact: true })).toHaveAttribute("aria-pressed", "false");
  await expect(page.getByTestId("period-label")).toHaveText(monthName(localDate(today.timestamp)));
  await expect(page.getByTestId("period-total")).toContainText(sameMonth ? "0.5 kWh" : "0.2 kWh");
  await expect(page.getByTestId("period-comparison")).toContainText("Previous month");
  await expect(page.getByRole("button", { name: "Next month" })).toBeDisabled();

  await page.getByRole("button", { name: "Year", exact: true }).click();
  await expect(page.getByRole("button", { name: "Year", exact: true })).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("period-label")).toHaveText(localDate(today.timestamp).slice(0, 4));
  await expect(page.getByTestId("period-total")).toContainText(sameYear ? "0.5 kWh" : "0.2 kWh");
  await expect(page.getByTestId("period-comparison")).toContainText(`Previous year (${Number(localDate(today.timestamp).slice(0, 4)) - 1})`);
  // Previous and next: a year back has nothing, and the way back is "This year".
  await page.getByRole("button", { name: "Previous year" }).click();
  await expect(page.getByTestId("period-total")).toContainText(sameYear ? ": 0 kWh" : "0.3 kWh");
  await page.getByRole("button", { name: "This year" }).click();
  await expect(page.getByTestId("period-total")).toContainText(sameYear ? "0.5 kWh" : "0.2 kWh");
  await screenshot(page, testInfo, "31-dashboard-year");
  await expectNoSeriousA11yViolations(page, "the dashboard's year view");

  // The total of all the client's devices: here the one device, so the same figures.
  await page.getByRole("button", { name: /All my devices/ }).click();
  await expect(page.getByRole("heading", { name: "Consumption of all my devices" })).toBeVisible();
  await expect(page.getByTestId("period-total")).toContainText(sameYear ? "0.5 kWh" : "0.2 kWh");
  await page.getByRole("button", { name: new RegExp(DEMO_DEVICE.name) }).click();
  await expect(page.getByRole("heading", { name: `Consumption of ${DEMO_DEVICE.name}` })).toBeVisible();
});

// eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
test("clicking a month's bar opens its days, a day's bar its hours; Export CSV downloads what is shown", async ({}, testInfo) => {
  const todayDate = localDate(today.timestamp);
  const chart = page.getByTestId("consumption-chart");

  await chart.locator(`path[data-bucket="${todayDate.slice(0, 7)}-01"]`).click();
  await expect(page.getByRole("button", { name: "Month", exact: true })).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("period-label")).toHaveText(monthName(todayDate));
  await expect(page.getByRole("heading", { name: `Consumption of ${DEMO_DEVICE.name}` })).toBeFocused();

  await chart.locator(`path[data-bucket="${todayDate}"]`).click();
  await expect(page.getByRole("button", { name: "Day", exact: true })).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("day-total")).toContainText("0.2 kWh");
  await page.getByText("Show the figures as a table").click();
  const figures = page.getByRole("table", { name: /Hourly consumption/ });
  const hour = localHour(today.timestamp);
  await expect(figures.getByRole("row", { name: new RegExp(`^${hour}:00`) })).toContainText("0.2 kWh");
  await screenshot(page, testInfo, "32-dashboard-day-drilled");
  await expectNoSeriousA11yViolations(page, "the day view reached by drilling down, its table open");

  const downloading = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export CSV" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(`consumption-demo-smart-meter-day-${todayDate}.csv`);
  const lines = (await readFile(await download.path(), "utf8")).split("\r\n");
  expect(lines[0]).toBe("scope,start,end,kwh,previous_start,previous_kwh");
  // One row per hour of the local day (23-25 on DST days), then the final line break.
  expect(lines.length - 2).toBeGreaterThanOrEqual(23);
  expect(lines.at(-1)).toBe("");
  const hourStart = `${todayDate}T${hour}:00:00${localOffset(today.timestamp)}`;
  const row = lines.find((line) => line.startsWith(`${DEMO_DEVICE.name},${hourStart},`));
  expect(row, `a row for ${hourStart}`).toBeDefined();
  expect(row?.split(",")[3]).toBe("0.2");
  expect(await csp.violations(), "CSP violations on the dashboard's periods").toEqual([]);
});

test("phone width: the periods, navigation and export fit the screen", async ({ browser, baseURL }, testInfo) => {
  const phone = await newSession(browser, baseURL ?? "", { viewport: { width: 390, height: 844 } });
  await signIn(phone, DEMO_CLIENT.username, DEMO_CLIENT.password, /\/dashboard$/);
  await phone.getByRole("button", { name: "Week", exact: true }).click();
  await expect(phone.getByTestId("period-total")).toContainText("kWh");
  await expect(phone.getByRole("button", { name: "Export CSV" })).toBeEnabled();
  expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await screenshot(phone, testInfo, "33-dashboard-week-phone");
  await expectNoSeriousA11yViolations(phone, "the dashboard's week view at phone width");
  await phone.context().close();
});
