import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { databaseUrls } from "@ems/db/env";
import type { ChatMessage } from "@ems/contracts/socket";
import { startFakeAiServer, type FakeAiRequest, type FakeAiServer, type FakeToolCall } from "./bot/fake-ai-server.ts";
import { readOnlyPool } from "./bot/user-data.ts";
import { startChatServer, type ChatServer } from "./server.ts";
import { closeAll, connectClient, deleteTestTopology, nextEvent, request, testChatConfig, testUser, uniqueQueuePrefix, type ChatClient } from "./test-support.ts";

const queuePrefix = uniqueQueuePrefix("bot-data");
let fakeAi: FakeAiServer;
let server: ChatServer;
const device = new pg.Pool({ connectionString: databaseUrls.device, max: 1 });
const monitoring = new pg.Pool({ connectionString: databaseUrls.monitoring, max: 1 });

const alice = testUser("client", "alice");
const bob = testUser("client", "bob");
const aliceKitchen = { id: randomUUID(), name: "Alice kitchen", limit: 1 };
const aliceGarage = { id: randomUUID(), name: "Alice garage", limit: 2 };
const bobHeater = { id: randomUUID(), name: "Bob heater", limit: 0.5 };
/** A day in the past no other test writes to; "yesterday" in the questions below. */
const DAY = "2020-02-03";

async function seed(owner: string, d: { id: string; name: string; limit: number }, hours: [string, number][]) {
  await device.query("INSERT INTO devices (id, name, max_hourly_consumption, owner_id) VALUES ($1, $2, $3, $4)", [d.id, d.name, d.limit, owner]);
  await monitoring.query("INSERT INTO devices (device_id, owner_id, max_hourly_consumption, version) VALUES ($1, $2, $3, 1)", [d.id, owner, d.limit]);
  for (const [hour, kwh] of hours) {
    await monitoring.query("INSERT INTO hourly_consumption (device_id, hour_start, total_kwh, reading_count) VALUES ($1, $2, $3, 6)", [d.id, hour, kwh]);
    if (kwh > d.limit) {
      await monitoring.query("INSERT INTO alerts (device_id, owner_id, hour_start, total_kwh, limit_kwh) VALUES ($1, $2, $3, $4, $5)", [d.id, owner, hour, kwh, d.limit]);
    }
  }
}

beforeAll(async () => {
  fakeAi = await startFakeAiServer();
  server = await startChatServer(
    testChatConfig(queuePrefix, {
      ai: {
        apiKey: "test-xai-key",
        baseUrl: fakeAi.baseUrl,
        model: "grok-test",
        timeoutMs: 5_000,
        ratePerMinute: 100,
        userData: { deviceUrl: databaseUrls.device, monitoringUrl: databaseUrls.monitoring },
      },
    }),
  );
  await seed(alice.id, aliceKitchen, [
    [`${DAY}T08:00:00Z`, 0.75],
    [`${DAY}T19:00:00Z`, 1.25], // over its limit: an alert
    ["2020-02-04T00:00:00Z", 9], // the next day: not counted
  ]);
  await seed(alice.id, aliceGarage, [[`${DAY}T12:00:00Z`, 0.5]]);
  await seed(bob.id, bobHeater, [[`${DAY}T12:00:00Z`, 7.125]]);
  // The garage stopped reporting twice: once it came back, then it is still silent.
  const silence = "INSERT INTO alerts (device_id, owner_id, kind, last_reading_at, created_at, cleared_at) VALUES ($1, $2, 'device_silent', $3, $4, $5)";
  await monitoring.query(silence, [aliceGarage.id, alice.id, "2020-02-05T00:00:00Z", "2020-02-05T00:40:00Z", "2020-02-05T09:15:00Z"]);
  await monitoring.query(silence, [aliceGarage.id, alice.id, "2020-02-05T23:50:00Z", "2020-02-06T00:30:00Z", null]);
});

afterAll(async () => {
  const ids = [aliceKitchen.id, aliceGarage.id, bobHeater.id];
  await monitoring.query("DELETE FROM devices WHERE device_id = ANY($1::uuid[])", [ids]);
  await device.query("DELETE FROM devices WHERE id = ANY($1::uuid[])", [ids]);
  await Promise.all([server.close(), fakeAi.close(), device.end(), monitoring.end()]);
  await deleteTestTopology(queuePrefix);
});

/**
 * The fake model calls `calls` on the user's question, then answers with what the tools returned, as
 * JSON (so that the reply shows exactly what the model was given).
 */
function toolThenAnswer(calls: FakeToolCall[]) {
  fakeAi.behave((received: FakeAiRequest) => {
    const last = received.body.messages.at(-1);
    if (last?.role === "user") return { kind: "tool_calls", calls };
    const results = received.body.messages.filter((m) => m.role === "tool").map((m) => JSON.parse(m.content ?? "null") as unknown);
    return { kind: "answer", content: JSON.stringify(results) };
  });
}

async function ask(socket: ChatClient, body: string): Promise<ChatMessage> {
  const reply = nextEvent(socket, "chat:message", (m) => m.source !== "client");
  const ack = await request(socket, "chat:send", { mode: "bot", body });
  if (!("data" in ack)) throw new Error(ack.error.message);
  return reply;
}

/** What the tools gave the model, as the fake model echoed it. */
async function toolResults(socket: ChatClient, question: string): Promise<unknown[]> {
  const reply = await ask(socket, question);
  expect(reply.source).toBe("ai");
  return JSON.parse(reply.body) as unknown[];
}

describe("the AI's tools on the asking user's own data", () => {
  it("offers the tools and answers from the user's consumption, per device and day", async () => {
    const socket = await connectClient(server.port, alice);
    toolThenAnswer([{ name: "get_my_consumption", arguments: { from: DAY, to: DAY } }]);
    const [consumption] = await toolResults(socket, "How much did I use yesterday?");
    expect(consumption).toEqual({
      from: DAY,
      to: DAY,
      timeZone: "UTC",
      totalKwh: 2.5,
      devices: [
        { id: aliceGarage.id, name: "Alice garage", totalKwh: 0.5 },
        { id: aliceKitchen.id, name: "Alice kitchen", totalKwh: 2 },
      ],
      days: [{ day: DAY, kwh: 2.5 }],
    });
    const request = fakeAi.requests.at(-1);
    expect(request?.body.tools?.map((tool) => tool.function.name)).toEqual(["hand_off_to_admin", "list_my_devices", "get_my_consumption", "get_my_alerts"]);
    expect(request?.body.messages[1]).toMatchObject({
      role: "system",
      content: expect.stringMatching(/^It is now \w+day \d{4}-\d\d-\d\d \d\d:\d\d in the user's time zone, UTC \(\d{4}-\d\d-\d\dT\d\d:\d\d UTC\)/) as unknown,
    });
    closeAll(socket);
  });

  it("counts the user's days in the zone their client reported, unless the model names another", async () => {
    // Tokyo is UTC+9: its 3 February runs from 15:00 UTC on the 2nd to 15:00 UTC on the 3rd, so the
    // kitchen's 19:00 UTC hour is already the 4th there.
    const socket = await connectClient(server.port, alice, { timeZone: "Asia/Tokyo" });
    toolThenAnswer([
      { name: "get_my_consumption", arguments: { from: DAY, to: DAY } },
      { name: "get_my_consumption", arguments: { from: DAY, to: DAY, time_zone: "UTC" } },
    ]);
    const [inTokyo, inUtc] = (await toolResults(socket, "How much did I use yesterday?")) as { timeZone: string; totalKwh: number }[];
    expect(inTokyo).toMatchObject({ timeZone: "Asia/Tokyo", totalKwh: 1.25 });
    expect(inUtc).toMatchObject({ timeZone: "UTC", totalKwh: 2.5 });
    const note = fakeAi.requests.at(-1)?.body.messages[1]?.content ?? "";
    expect(note).toMatch(/in the user's time zone, Asia\/Tokyo/);
    const tokyoNow = new Date().toLocaleString("sv-SE", { timeZone: "Asia/Tokyo", dateStyle: "short" });
    expect(note).toContain(tokyoNow);
    closeAll(socket);
  });

  it("counts in UTC for a client whose zone this server does not know, rather than refusing its socket", async () => {
    const socket = await connectClient(server.port, alice, { timeZone: "Mars/Olympus_Mons" });
    toolThenAnswer([{ name: "get_my_consumption", arguments: { from: DAY, to: DAY } }]);
    const [consumption] = (await toolResults(socket, "How much did I use yesterday?")) as { timeZone: string; totalKwh: number }[];
    expect(consumption).toMatchObject({ timeZone: "UTC", totalKwh: 2.5 });
    expect(fakeAi.requests.at(-1)?.body.messages[1]?.content).toMatch(/in the user's time zone, UTC/);
    closeAll(socket);
  });

  it("lists only the user's own devices and alerts, whatever arguments the model adds", async () => {
    const socket = await connectClient(server.port, alice);
    toolThenAnswer([
      { name: "list_my_devices", arguments: { owner_id: bob.id } },
      { name: "get_my_alerts", arguments: { limit: 5, user_id: bob.id } },
    ]);
    const [devices, alerts] = await toolResults(socket, "Which devices and alerts do I have?");
    expect(devices).toEqual({
      devices: [
        { id: aliceGarage.id, name: "Alice garage", description: null, address: null, maxHourlyKwh: 2 },
        { id: aliceKitchen.id, name: "Alice kitchen", description: null, address: null, maxHourlyKwh: 1 },
      ],
    });
    const kitchen = { deviceId: aliceKitchen.id, deviceName: "Alice kitchen", state: "cleared", raisedAt: expect.any(String) as unknown, acknowledged: false };
    const garage = { kind: "device_silent", deviceId: aliceGarage.id, deviceName: "Alice garage", acknowledged: false };
    expect(alerts).toEqual({
      alerts: [
        { kind: "over_consumption", ...kitchen, hourStart: "2020-02-04T00:00:00.000Z", totalKwh: 9, limitKwh: 1 },
        { kind: "over_consumption", ...kitchen, hourStart: `${DAY}T19:00:00.000Z`, totalKwh: 1.25, limitKwh: 1 },
        { ...garage, state: "active", raisedAt: "2020-02-06T00:30:00.000Z", lastReadingAt: "2020-02-05T23:50:00.000Z", clearedAt: null },
        { ...garage, state: "cleared", raisedAt: "2020-02-05T00:40:00.000Z", lastReadingAt: "2020-02-05T00:00:00.000Z", clearedAt: "2020-02-05T09:15:00.000Z" },
      ],
    });
    closeAll(socket);
  });

  it("refuses another user's device, even when the model names it, and gives nothing of it", async () => {
    const socket = await connectClient(server.port, alice);
    toolThenAnswer([{ name: "get_my_consumption", arguments: { from: DAY, to: DAY, device_id: bobHeater.id } }]);
    const reply = await ask(socket, `What did device ${bobHeater.id} use yesterday?`);
    expect(JSON.parse(reply.body)).toEqual([{ error: "device_id is not one of the user's devices; only their own devices can be read" }]);
    // Nothing of Bob's went to the model: not his device's name, not its figures.
    const sentToModel = JSON.stringify(fakeAi.requests.at(-1)?.body.messages);
    expect(sentToModel).not.toContain("Bob heater");
    expect(sentToModel).not.toContain("7.125");
    closeAll(socket);
  });

  it("tells the model what is wrong with bad arguments instead of failing the answer", async () => {
    const socket = await connectClient(server.port, alice);
    toolThenAnswer([
      { name: "get_my_consumption", arguments: { from: "yesterday", to: DAY } },
      { name: "get_my_consumption", arguments: { from: DAY, to: DAY, time_zone: "Mars/Olympus" } },
      { name: "delete_my_devices", arguments: {} },
    ]);
    expect(await toolResults(socket, "How much did I use?")).toEqual([
      { error: "from: must be a date YYYY-MM-DD" },
      { error: "time_zone: must be an IANA time zone such as Europe/Berlin" },
      { error: "unknown tool delete_my_devices" },
    ]);
    closeAll(socket);
  });

  it("answers with the fallback when the model keeps calling tools", async () => {
    const socket = await connectClient(server.port, alice);
    const before = fakeAi.requests.length;
    fakeAi.behave({ kind: "tool_calls", calls: [{ name: "list_my_devices", arguments: {} }] });
    const reply = await ask(socket, "Tell me everything about my devices");
    expect(reply.source).toBe("fallback");
    expect(fakeAi.requests.length - before).toBe(4); // the question and three tool rounds
    closeAll(socket);
  });

  it("reads through sessions that cannot write", async () => {
    const pool = readOnlyPool(databaseUrls.monitoring);
    try {
      await expect(pool.query("DELETE FROM alerts WHERE device_id = $1", [aliceKitchen.id])).rejects.toThrow(/read-only transaction/);
    } finally {
      await pool.end();
    }
  });
});
