import type { Page } from "@playwright/test";
import { watchCsp, type CspWatch } from "./support/csp.ts";
import { publishReadings } from "./support/readings.ts";
import { E2E_AUTH_SECRET, SEEDED_ADMIN, expect, expectNoSeriousA11yViolations, newSession, screenshot, signIn, test } from "./support/fixtures.ts";

/**
 * The main flows against the whole running system (web, chat, balancer, monitoring, PostgreSQL,
 * RabbitMQ), in order: each test builds on what the previous one did, as one story.
 */
test.describe.configure({ mode: "serial", timeout: 120_000 });

const run = Date.now().toString(36).slice(-5);
const alice = { username: `alice-${run}`, password: "alice-password", name: "Alice Example", email: `alice-${run}@example.com` };
const bob = { username: `bob-${run}`, password: "bob-password", name: "Bob Example" };
const device = { name: `Kitchen meter ${run}`, limit: "0.5" };

const OVER_LIMIT_RED = "#dc2626";
const HOUR_MS = 3_600_000;

let admin: Page;
let alicePage: Page;
// Every page of the story runs under the app's Content-Security-Policy: none may report a violation.
let adminCsp: CspWatch;
let aliceCsp: CspWatch;
let deviceId: string;

test.afterAll(async () => {
  await admin?.context().close();
  await alicePage?.context().close();
});

test("sign-in explains what is wrong, inline and from the server", async ({ page }, testInfo) => {
  await page.goto("/signin");
  await screenshot(page, testInfo, "01-sign-in");
  await expectNoSeriousA11yViolations(page, "the sign-in page");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByLabel("Username")).toHaveAccessibleDescription(/username is required/i);
  await page.getByLabel("Username").fill(SEEDED_ADMIN.username);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Invalid username or password" })).toBeVisible();

  await page.goto("/register");
  await page.getByLabel("Username").fill("x");
  await page.getByLabel("Password").focus();
  await expect(page.getByLabel("Username")).toHaveAccessibleDescription(/3-32 characters/);
  await screenshot(page, testInfo, "02-register");
  await expectNoSeriousA11yViolations(page, "the registration page");
});

test("the admin creates two clients and a device with a low limit, and assigns it; refused changes are undone visibly", async ({ browser, baseURL }, testInfo) => {
  admin = await newSession(browser, baseURL ?? "");
  adminCsp = await watchCsp(admin);
  await signIn(admin, SEEDED_ADMIN.username, SEEDED_ADMIN.password, /\/admin\/users$/);
  // The table is rendered in the browser: once it is there, the page's buttons work.
  await expect(admin.getByRole("table", { name: "Users" })).toBeVisible();

  for (const client of [alice, { ...bob, email: "" }]) {
    await admin.getByRole("button", { name: "New user" }).click();
    const dialog = admin.getByRole("dialog", { name: "New user" });
    await dialog.getByLabel("Username").fill(client.username);
    await dialog.getByLabel("Password", { exact: true }).fill(client.password);
    await dialog.getByLabel("Full name").fill(client.name);
    await dialog.getByLabel("Email (optional)").fill(client.email);
    await dialog.getByRole("button", { name: "Create user" }).click();
    await expect(admin.getByRole("status").filter({ hasText: `User ${client.username} created` })).toBeVisible();
  }
  await expect(admin.getByRole("row", { name: new RegExp(alice.username) })).toContainText("Client");

  // Refused changes are undone where they were shown, and say why.
  await admin.getByRole("button", { name: "New user" }).click();
  const duplicate = admin.getByRole("dialog", { name: "New user" });
  await duplicate.getByLabel("Username").fill(alice.username);
  await duplicate.getByLabel("Password", { exact: true }).fill(alice.password);
  await duplicate.getByLabel("Full name").fill("Someone Else");
  await duplicate.getByRole("button", { name: "Create user" }).click();
  await expect(admin.getByRole("alert").filter({ hasText: `Creating ${alice.username} failed — the change was undone` })).toBeVisible();
  await expect(duplicate.getByRole("alert")).toContainText("already taken");
  await expect(duplicate.getByLabel("Full name")).toHaveValue("Someone Else");
  await duplicate.getByRole("button", { name: "Cancel" }).click();
  await expect(admin.getByRole("row", { name: new RegExp(alice.username) })).toHaveCount(1);

  await admin.getByRole("button", { name: `Edit ${bob.username}` }).click();
  const edit = admin.getByRole("dialog", { name: `Edit ${bob.username}` });
  await edit.getByLabel("Email (optional)").fill(alice.email);
  await edit.getByRole("button", { name: "Save changes" }).click();
  const bobRow = admin.getByRole("row", { name: new RegExp(bob.username) });
  await expect(bobRow).toContainText("change undone");
  await expect(bobRow).not.toContainText(alice.email);
  await expect(admin.getByRole("alert").filter({ hasText: `Saving ${bob.username} failed — the change was undone` })).toContainText("already in use");
  await screenshot(admin, testInfo, "10-admin-users");
  await expectNoSeriousA11yViolations(admin, "the users table");

  await admin.getByRole("link", { name: "Devices" }).click();
  await expect(admin.getByRole("table", { name: "Devices" })).toBeVisible();
  await admin.getByRole("button", { name: "New device" }).click();
  const dialog = admin.getByRole("dialog", { name: "New device" });
  await dialog.getByLabel("Name").fill(device.name);
  await dialog.getByLabel("Max hourly consumption (kWh)").fill("-1");
  await dialog.getByRole("button", { name: "Create device" }).click();
  await expect(dialog.getByLabel("Max hourly consumption (kWh)")).toHaveAccessibleDescription(/Max hourly consumption must be a non-negative number/);
  await dialog.getByLabel("Max hourly consumption (kWh)").fill(device.limit);
  await dialog.getByLabel("Address (optional)").fill("12 Test Street");
  await dialog.getByRole("button", { name: "Create device" }).click();
  await expect(admin.getByRole("status").filter({ hasText: `Device ${device.name} created` })).toBeVisible();

  const owner = admin.getByLabel(`Owner of ${device.name}`);
  await owner.selectOption({ label: alice.username });
  await expect(admin.getByRole("status").filter({ hasText: `${device.name} assigned to ${alice.username}` })).toBeVisible();
  await expect(owner).toHaveValue(/^[0-9a-f-]{36}$/);
  await screenshot(admin, testInfo, "11-admin-devices");
  await expectNoSeriousA11yViolations(admin, "the devices table");
});

test("the client signs in, lands on the dashboard and sees the device", async ({ browser, baseURL }, testInfo) => {
  alicePage = await newSession(browser, baseURL ?? "");
  aliceCsp = await watchCsp(alicePage);
  await signIn(alicePage, alice.username, alice.password, /\/dashboard$/);
  const deviceButton = alicePage.getByRole("button", { name: new RegExp(device.name) });
  await expect(deviceButton).toHaveAttribute("aria-pressed", "true");
  await expect(deviceButton).toContainText("limit 0.5 kWh");
  await expect(alicePage.getByText("12 Test Street")).toBeVisible();
  await expect(alicePage.getByTestId("day-total")).toContainText("0 kWh");
  await expect(alicePage.getByRole("status").filter({ hasText: "Real-time connection: Live" }).first()).toBeVisible();
  // The device's id, for the readings below (the tRPC answer the page itself used).
  deviceId = await alicePage.evaluate(async () => {
    const response = await fetch("/api/trpc/devices.list?input=%7B%7D");
    const body = (await response.json()) as { result: { data: { json: { id: string }[] } } };
    return body.result.data.json[0]?.id ?? "";
  });
  expect(deviceId).toMatch(/^[0-9a-f-]{36}$/);
  await screenshot(alicePage, testInfo, "20-dashboard");
  await expectNoSeriousA11yViolations(alicePage, "the client dashboard");
});

test("readings update the chart without a reload and raise the red alert", async ({ system }, testInfo) => {
  // All readings must fall in one clock hour: close to the hour's end, wait for the next one.
  const untilNextHour = HOUR_MS - (Date.now() % HOUR_MS);
  if (untilNextHour < 45_000) await alicePage.waitForTimeout(untilNextHour + 1_000);
  await alicePage.evaluate(() => ((window as { sameDocument?: boolean }).sameDocument = true));

  // Monitoring counts readings only once the device's sync event reached it: keep sending small ones.
  await expect(async () => {
    await publishReadings(system.queuePrefix, [{ deviceId, timestamp: Date.now(), kwh: 0.05 }]);
    await expect(alicePage.getByTestId("day-total")).not.toContainText(": 0 kWh", { timeout: 2_000 });
  }).toPass({ timeout: 60_000 });
  await expect(alicePage.locator(`[data-testid="consumption-chart"] path[fill="${OVER_LIMIT_RED}"]`)).toHaveCount(0);

  const now = Date.now();
  await publishReadings(system.queuePrefix, [
    { deviceId, timestamp: now - 2, kwh: 0.3 },
    { deviceId, timestamp: now - 1, kwh: 0.3 },
  ]);

  const alert = alicePage.getByRole("alertdialog", { name: "Over-consumption alert" });
  await expect(alert).toBeVisible();
  await expect(alert).toContainText(device.name);
  await expect(alert).toContainText("Limit0.5 kWh");
  await expect(alicePage.getByTestId("day-total")).toContainText("1 hour over the limit");
  await expect(alicePage.locator(`[data-testid="consumption-chart"] path[fill="${OVER_LIMIT_RED}"]`)).toHaveCount(1);
  expect(await alicePage.evaluate(() => (window as { sameDocument?: boolean }).sameDocument)).toBe(true);

  // Focus starts on Acknowledge and Tab never leaves the dialog.
  await expect(alert.getByRole("button", { name: "Acknowledge", exact: true })).toBeFocused();
  for (let step = 0; step < 4; step++) {
    await alicePage.keyboard.press("Tab");
    expect(await alert.evaluate((dialog) => dialog.contains(document.activeElement))).toBe(true);
  }
  await screenshot(alicePage, testInfo, "21-dashboard-alert");
  await expectNoSeriousA11yViolations(alicePage, "the dashboard with the alert open");

  // Escape only hides it; the next visit shows it again until it is acknowledged.
  await alicePage.keyboard.press("Escape");
  await expect(alert).toBeHidden();
  await alicePage.reload();
  await expect(alert).toBeVisible();
  await alert.getByRole("button", { name: "Acknowledge", exact: true }).click();
  await expect(alert).toBeHidden();
  await expect(alicePage.getByRole("list", { name: "Alerts" })).toContainText("Acknowledged");
  await alicePage.reload();
  await expect(alicePage.getByTestId("day-total")).toContainText("1 hour over the limit");
  await expect(alert).toBeHidden();

  // The figures are also a table (keyboard and screen-reader users cannot hover a bar).
  await alicePage.getByText("Show the figures as a table").click();
  const figures = alicePage.getByRole("table", { name: /Hourly consumption/ });
  await expect(figures.getByRole("row").filter({ hasText: "yes" })).toHaveCount(1);
  await expectNoSeriousA11yViolations(alicePage, "the dashboard with the figures table open");
  // The live chart, the red alertdialog and the table, all without a CSP violation.
  expect(await aliceCsp.violations(), "CSP violations on the dashboard").toEqual([]);
});

test("the bot answers with a rule; in Admin mode only the admins see it, and the reply reaches only that client", async ({ browser, baseURL }, testInfo) => {
  const chat = alicePage.getByRole("region", { name: "Support chat" });
  await alicePage.getByRole("button", { name: /Support chat/ }).click();
  await expect(chat.getByRole("status").filter({ hasText: "Real-time connection: Live" })).toBeVisible();
  const box = chat.getByLabel("Message to the bot");
  await box.fill("How do I read the chart?");
  await box.press("Enter");
  const ruleReply = chat.locator('li[data-source="rule"]');
  await expect(ruleReply).toBeVisible();
  await expect(ruleReply).toContainText("Rule");
  await screenshot(alicePage, testInfo, "22-dashboard-chat-bot");

  // Bob, another client, has his own chat open all along.
  const bobPage = await newSession(browser, baseURL ?? "");
  await signIn(bobPage, bob.username, bob.password, /\/dashboard$/);
  await expect(bobPage.getByText("No devices yet")).toBeVisible();
  await bobPage.getByRole("button", { name: /Support chat/ }).click();
  const bobChat = bobPage.getByRole("region", { name: "Support chat" });
  await expect(bobChat.getByRole("status").filter({ hasText: "Real-time connection: Live" })).toBeVisible();

  await chat.getByRole("radio", { name: "Admin" }).check();
  const adminBox = chat.getByLabel("Message to the administrators");
  await adminBox.fill("Please raise my limit to 2 kWh");
  await adminBox.press("Enter");
  await expect(chat.locator('li[data-source="client"]').filter({ hasText: "Please raise my limit" })).toContainText("You → Admin");

  // The admin, on another page of the console, sees the unread badge appear.
  const inboxLink = admin.getByRole("link", { name: /Chat inbox/ });
  await expect(inboxLink).toContainText("1 unread messages");
  await inboxLink.click();
  const conversation = admin.getByRole("button", { name: new RegExp(alice.username) });
  await expect(conversation).toContainText("1 unread");
  await screenshot(admin, testInfo, "12-admin-inbox");
  await conversation.click();
  const thread = admin.getByRole("region", { name: `Conversation with ${alice.username}` });
  await expect(thread).toContainText("Please raise my limit to 2 kWh");
  await expect(inboxLink).not.toContainText("unread");
  const reply = thread.getByLabel(`Reply to ${alice.username}`);
  await expect(reply).toBeFocused();
  await reply.fill("Done: your limit is now 2 kWh");
  // Typing shows on the other side, both ways.
  await expect(chat).toContainText(`${SEEDED_ADMIN.username} (Admin) is typing…`);
  await reply.press("Enter");
  await expect(chat).not.toContainText("is typing…");
  await adminBox.fill("Thank");
  await expect(thread).toContainText(`${alice.username} is typing…`);
  await adminBox.fill("");
  await expect(thread.locator('li[data-source="admin"]')).toContainText("Done: your limit is now 2 kWh");
  await screenshot(admin, testInfo, "13-admin-conversation");
  await expectNoSeriousA11yViolations(admin, "the chat inbox");

  const adminReply = chat.locator('li[data-source="admin"]');
  await expect(adminReply).toContainText("Done: your limit is now 2 kWh");
  await expect(adminReply).toContainText("Admin");
  await screenshot(alicePage, testInfo, "23-dashboard-chat-admin-reply");
  await expectNoSeriousA11yViolations(alicePage, "the dashboard with the chat open");

  // Bob got nothing of Alice's conversation, live or in his history.
  await expect(bobChat.getByText("Done: your limit is now 2 kWh")).toHaveCount(0);
  await expect(bobChat.getByText("Please raise my limit")).toHaveCount(0);
  await bobPage.reload();
  await bobPage.getByRole("button", { name: /Support chat/ }).click();
  await expect(bobChat.getByText("Ask about your consumption")).toBeVisible();
  await bobPage.context().close();
  expect(await aliceCsp.violations(), "CSP violations on the dashboard's chat").toEqual([]);
  expect(await adminCsp.violations(), "CSP violations in the admin console").toEqual([]);
});

// ASVS 5.0 V1.2.1: output is encoded for the context it is shown in, here HTML text: a message that
// carries markup is shown as those characters, on both sides, and nothing in it runs.
test("ASVS V1.2.1 — chat messages are shown as text: script payloads never run, on either side", async () => {
  const marker = `xss-${run}`;
  const payload = `<img src=x onerror="window.__emsXss=1"><script>window.__emsXss=1</script><b>bold</b> ${marker}`;
  const chat = alicePage.getByRole("region", { name: "Support chat" });
  const adminBox = chat.getByLabel("Message to the administrators");
  await adminBox.fill(payload);
  await adminBox.press("Enter");
  const sent = chat.locator('li[data-source="client"]').filter({ hasText: marker });
  await expect(sent).toContainText(payload);

  const thread = admin.getByRole("region", { name: `Conversation with ${alice.username}` });
  const received = thread.locator('li[data-source="client"]').filter({ hasText: marker });
  await expect(received).toContainText(payload);
  const reply = thread.getByLabel(`Reply to ${alice.username}`);
  await reply.fill(`<script>window.__emsXss=2</script><i>${marker}</i>`);
  await reply.press("Enter");
  await expect(chat.locator('li[data-source="admin"]').filter({ hasText: `<i>${marker}</i>` })).toBeVisible();

  for (const [page, messages] of [
    [alicePage, chat],
    [admin, thread],
  ] as const) {
    expect(await page.evaluate(() => (window as unknown as { __emsXss?: number }).__emsXss)).toBeUndefined();
    // The markup stayed text: no element was made from it.
    await expect(messages.locator("li b, li i, li img[src='x'], li script")).toHaveCount(0);
  }
});

test("a bot reply that cannot help hands the question over to the administrators in one click", async () => {
  const testInfo = test.info();
  const chat = alicePage.getByRole("region", { name: "Support chat" });
  await chat.getByRole("radio", { name: "Bot" }).check();
  const box = chat.getByLabel("Message to the bot");
  // A greeting with a real question goes past the greeting rule; no AI key in this system: the fallback.
  const question = `Hello, are heat pumps efficient in winter? ${run}`;
  await box.fill(question);
  await box.press("Enter");
  const offer = chat.locator('li[data-source="fallback"]').last();
  await expect(offer).toContainText("Ask an administrator");
  const handoff = offer.getByRole("button", { name: "Ask an administrator" });
  await expect(handoff).toBeVisible();
  await screenshot(alicePage, testInfo, "25-dashboard-chat-handoff-offer");
  await expectNoSeriousA11yViolations(alicePage, "the chat with a handoff offer");

  await handoff.click();
  await expect(offer).toContainText("Sent to the administrators");
  await expect(handoff).toHaveCount(0);
  await expect(chat.getByRole("radio", { name: "Admin" })).toBeChecked();
  const handedOver = chat.locator('li[data-source="client"]').filter({ hasText: "Handed over from the bot" });
  await expect(handedOver).toContainText(question);
  await expect(handedOver).toContainText("You → Admin");
  await screenshot(alicePage, testInfo, "26-dashboard-chat-handed-over");

  // The administrator, who has Alice's conversation open, sees it arrive with the question.
  const thread = admin.getByRole("region", { name: `Conversation with ${alice.username}` });
  await expect(thread.locator('li[data-source="client"]').filter({ hasText: "Handed over from the bot" })).toContainText(question);
  await screenshot(admin, testInfo, "15-admin-conversation-handoff");

  // After a reload the offer still shows it was handed over.
  await alicePage.reload();
  await alicePage.getByRole("button", { name: /Support chat/ }).click();
  await expect(chat.locator('li[data-source="fallback"]').last()).toContainText("Sent to the administrators");
  expect(await aliceCsp.violations(), "CSP violations on the dashboard's chat").toEqual([]);
});

test("the admin claims and resolves a conversation; the client writing again re-opens it", async ({ browser, baseURL }) => {
  const testInfo = test.info();
  const thread = admin.getByRole("region", { name: `Conversation with ${alice.username}` });
  const state = thread.getByTestId("conversation-state");
  const row = admin.getByRole("button", { name: new RegExp(alice.username) });
  const assigneeFilter = admin.getByRole("group", { name: "Assignee" });
  const statusFilter = admin.getByRole("group", { name: "Status" });
  // The admin's first reply claimed it: nobody had it.
  await expect(state).toContainText("Open");
  await expect(state).toContainText("Assigned to you");

  await thread.getByRole("button", { name: "Unassign" }).click();
  await expect(state).toContainText("Unassigned");
  await assigneeFilter.getByRole("button", { name: /Unassigned/ }).click();
  await expect(assigneeFilter.getByRole("button", { name: /Unassigned/ })).toHaveAttribute("aria-pressed", "true");
  await expect(row).toContainText("Unassigned");
  await thread.getByRole("button", { name: "Assign to me" }).click();
  await expect(state).toContainText("Assigned to you");
  await expect(row).toHaveCount(0);
  await assigneeFilter.getByRole("button", { name: /Mine/ }).click();
  await expect(row).toContainText("Assigned to you");

  await thread.getByRole("button", { name: "Resolve" }).click();
  await expect(state).toContainText("Resolved");
  await expect(row).toHaveCount(0); // the Open filter
  await statusFilter.getByRole("button", { name: "Resolved" }).click();
  await expect(row).toContainText("Resolved");
  await screenshot(admin, testInfo, "16-admin-inbox-resolved");
  await expectNoSeriousA11yViolations(admin, "the chat inbox with a resolved conversation");

  // Alice writes again: re-opened live, still the admin's; she sees nothing of the inbox's state.
  const chat = alicePage.getByRole("region", { name: "Support chat" });
  await chat.getByRole("radio", { name: "Admin" }).check();
  const adminBox = chat.getByLabel("Message to the administrators");
  await adminBox.fill("It went over the limit again");
  await adminBox.press("Enter");
  await expect(state).toContainText("Open");
  await expect(state).toContainText("Assigned to you");
  await expect(row).toHaveCount(0); // the Resolved filter
  await statusFilter.getByRole("button", { name: "Open" }).click();
  await expect(row).toContainText("It went over the limit again");
  await expect(chat).not.toContainText("Assigned to");
  await expect(chat).not.toContainText("Resolved");

  // The inbox at phone width: filters wrap, the page does not scroll sideways.
  const adminPhone = await newSession(browser, baseURL ?? "", { viewport: { width: 390, height: 844 } });
  await signIn(adminPhone, SEEDED_ADMIN.username, SEEDED_ADMIN.password, /\/admin\/users$/);
  await adminPhone.getByRole("link", { name: /Chat inbox/ }).click();
  await adminPhone.getByRole("group", { name: "Assignee" }).getByRole("button", { name: /Mine/ }).click();
  await adminPhone.getByRole("button", { name: new RegExp(alice.username) }).click();
  const phoneThread = adminPhone.getByRole("region", { name: `Conversation with ${alice.username}` });
  await expect(phoneThread.getByRole("button", { name: "Resolve" })).toBeVisible();
  expect(await adminPhone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await screenshot(adminPhone, testInfo, "17-admin-conversation-phone");
  await expectNoSeriousA11yViolations(adminPhone, "the chat inbox at phone width");
  await adminPhone.context().close();
  expect(await adminCsp.violations(), "CSP violations in the admin console").toEqual([]);
});

test("phone width: dashboard and console fit the screen; no secret reaches the browser", async ({ browser, baseURL }, testInfo) => {
  const phone = await newSession(browser, baseURL ?? "", { viewport: { width: 390, height: 844 } });
  await signIn(phone, alice.username, alice.password, /\/dashboard$/);
  await expect(phone.getByTestId("day-total")).toContainText("1 hour over the limit");
  expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await screenshot(phone, testInfo, "24-dashboard-phone");

  const scripts = await phone.evaluate(() =>
    performance
      .getEntriesByType("resource")
      .map((entry) => entry.name)
      .filter((url) => url.endsWith(".js")),
  );
  expect(scripts.length).toBeGreaterThan(0);
  for (const url of scripts) {
    const source = await (await phone.request.get(url)).text();
    expect(source, url).not.toContain(E2E_AUTH_SECRET);
    expect(source, url).not.toContain("ems-development-secret");
    expect(source, url).not.toMatch(/postgres(ql)?:\/\//);
  }
  await phone.context().close();

  // The console at phone width: tables scroll inside their box, the page itself does not.
  const adminPhone = await newSession(browser, baseURL ?? "", { viewport: { width: 390, height: 844 } });
  await signIn(adminPhone, SEEDED_ADMIN.username, SEEDED_ADMIN.password, /\/admin\/users$/);
  await adminPhone.getByRole("link", { name: "Devices" }).click();
  await expect(adminPhone.getByRole("table", { name: "Devices" })).toContainText(device.name);
  expect(await adminPhone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await screenshot(adminPhone, testInfo, "14-admin-devices-phone");
  await adminPhone.context().close();
});

test("the admin unassigns and deletes the device and deletes a user, each after confirming", async ({ browser, baseURL }) => {
  const page = await newSession(browser, baseURL ?? "");
  await signIn(page, SEEDED_ADMIN.username, SEEDED_ADMIN.password, /\/admin\/users$/);
  const bobRow = page.getByRole("row", { name: new RegExp(bob.username) });
  await page.getByRole("button", { name: `Delete ${bob.username}` }).click();
  const confirm = page.getByRole("alertdialog", { name: `Delete ${bob.username}?` });
  await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(bobRow).toHaveCount(1);
  await page.getByRole("button", { name: `Delete ${bob.username}` }).click();
  await confirm.getByRole("button", { name: "Delete user" }).click();
  await expect(page.getByRole("status").filter({ hasText: `${bob.username} deleted` })).toBeVisible();
  await expect(bobRow).toHaveCount(0);

  await page.getByRole("link", { name: "Devices" }).click();
  await page.getByLabel(`Owner of ${device.name}`).selectOption({ label: "Unassigned" });
  await expect(page.getByRole("status").filter({ hasText: `${device.name} unassigned` })).toBeVisible();
  await page.getByRole("button", { name: `Delete ${device.name}` }).click();
  await page.getByRole("alertdialog", { name: `Delete ${device.name}?` }).getByRole("button", { name: "Delete device" }).click();
  await expect(page.getByRole("status").filter({ hasText: `${device.name} deleted` })).toBeVisible();
  await expect(page.getByRole("row", { name: new RegExp(device.name) })).toHaveCount(0);
  await page.context().close();
});
