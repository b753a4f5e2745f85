import { randomUUID } from "node:crypto";
import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Broker, consoleLogger, declareTopology } from "@ems/messaging";
import { DEAD_LETTER_REASON_HEADER, DEAD_LETTER_SOURCE_HEADER, NOTIFICATION_ROUTING_KEYS, queueNames } from "@ems/contracts/queues";
import type { AlertCreated, ConsumptionUpdated, DeviceSilence } from "@ems/contracts/notifications";
import { eventually } from "../shared/testing.ts";
import { parseNotification } from "./notifications.ts";
import { startChatServer, type ChatServer } from "./server.ts";
import {
  closeAll,
  connectClient,
  deleteTestTopology,
  nextEvent,
  recordEvents,
  request,
  testChatConfig,
  testUser,
  uniqueQueuePrefix,
} from "./test-support.ts";

const queuePrefix = uniqueQueuePrefix("notifications");
const names = queueNames(queuePrefix);
const config = testChatConfig(queuePrefix);
let server: ChatServer;
let monitoring: Broker;

const alertFor = (ownerId: string): AlertCreated => ({
  alertId: randomUUID(),
  deviceId: randomUUID(),
  ownerId,
  hourStart: "2026-11-27T10:00:00.000Z",
  total: "5.250",
  limit: "5.000",
  createdAt: "2026-11-27T10:41:07.000Z",
});

const consumptionFor = (ownerId: string): ConsumptionUpdated => ({
  deviceId: randomUUID(),
  ownerId,
  hourStart: "2026-11-27T10:00:00.000Z",
  total: "1.125",
});

const silenceOf = (ownerId: string | null): DeviceSilence => ({
  alarmId: randomUUID(),
  deviceId: randomUUID(),
  ownerId,
  state: "active",
  lastReadingAt: "2026-11-27T09:50:00.000Z",
  silentAfterMinutes: 30,
  raisedAt: "2026-11-27T10:20:31.000Z",
  clearedAt: null,
});

beforeAll(async () => {
  server = await startChatServer(config);
  await server.notificationsReady();
  // Stands in for monitoring, which publishes these after committing a batch.
  monitoring = new Broker({ url: config.rabbitmq.url, name: "test-monitoring", log: consoleLogger("test-monitoring", "error") });
  await monitoring.onConnect((channel) => declareTopology(channel, names, 1));
  await monitoring.start();
});

afterAll(async () => {
  await monitoring.close();
  await server.close();
  await deleteTestTopology(queuePrefix);
});

/** The consumption updates a socket recorded so far. */
const updatesIn = (events: ReturnType<typeof recordEvents>) => (events.get("consumption:updated") ?? []) as ConsumptionUpdated[];

const publish = (key: string, body: unknown) =>
  monitoring.publish(names.notificationsExchange, key, typeof body === "string" ? body : JSON.stringify(body));

describe("notifications from monitoring", () => {
  it("pushes an alert published to the broker to its owner's sockets, and to nobody else", async () => {
    const owner = testUser("client");
    const ownerSocket = await connectClient(server.port, owner);
    const bystander = await connectClient(server.port, testUser("client"));
    const admin = await connectClient(server.port, testUser("admin"));
    const [bystanderSaw, adminSaw] = [recordEvents(bystander), recordEvents(admin)];

    const alert = alertFor(owner.id);
    const received = nextEvent(ownerSocket, "alert:created");
    await publish(NOTIFICATION_ROUTING_KEYS.alertCreated, alert);
    expect(await received).toEqual(alert);

    const update = consumptionFor(owner.id);
    const live = nextEvent(ownerSocket, "consumption:updated");
    await publish(NOTIFICATION_ROUTING_KEYS.consumptionUpdated, update);
    expect(await live).toEqual(update);

    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([...bystanderSaw.keys()]).toEqual([]);
    expect([...adminSaw.keys()]).toEqual([]);
    closeAll(ownerSocket, bystander, admin);
  });

  it("pushes a client's consumption to an administrator watching that client, one client at a time, until they stop", async () => {
    const [alice, bob] = [testUser("client"), testUser("client")];
    const admin = await connectClient(server.port, testUser("admin"));
    const otherAdmin = await connectClient(server.port, testUser("admin"));
    const aliceSocket = await connectClient(server.port, alice);
    const [adminSaw, otherAdminSaw] = [recordEvents(admin), recordEvents(otherAdmin)];

    expect(await request(admin, "consumption:watch", { userId: alice.id })).toEqual({ data: { userId: alice.id } });
    const forAlice = consumptionFor(alice.id);
    const toAlice = nextEvent(aliceSocket, "consumption:updated");
    await publish(NOTIFICATION_ROUTING_KEYS.consumptionUpdated, forAlice);
    await toAlice;
    await eventually("the watching administrator got it", () => updatesIn(adminSaw).length === 1);
    expect(updatesIn(adminSaw)).toEqual([forAlice]);

    // Watching Bob replaces watching Alice.
    await request(admin, "consumption:watch", { userId: bob.id });
    const forBob = consumptionFor(bob.id);
    await publish(NOTIFICATION_ROUTING_KEYS.consumptionUpdated, consumptionFor(alice.id));
    await publish(NOTIFICATION_ROUTING_KEYS.consumptionUpdated, forBob);
    await eventually("Bob's update arrived", () => updatesIn(adminSaw).length >= 2);
    expect(updatesIn(adminSaw)).toEqual([forAlice, forBob]);

    // Stopped: nothing more; the other administrator, who never watched, got nothing.
    await request(admin, "consumption:watch", { userId: null });
    await publish(NOTIFICATION_ROUTING_KEYS.consumptionUpdated, consumptionFor(bob.id));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(updatesIn(adminSaw)).toEqual([forAlice, forBob]);
    expect(updatesIn(otherAdminSaw)).toEqual([]);
    closeAll(admin, otherAdmin, aliceSocket);
  });

  it("refuses a client who asks to watch someone, and a malformed watch", async () => {
    const client = await connectClient(server.port, testUser("client"));
    const admin = await connectClient(server.port, testUser("admin"));
    expect(await request(client, "consumption:watch", { userId: randomUUID() })).toMatchObject({ error: { code: "forbidden" } });
    expect(await request(admin, "consumption:watch", { userId: "alice" })).toMatchObject({ error: { code: "bad_request" } });
    closeAll(client, admin);
  });

  it("pushes a silence alarm to its owner's sockets and to the administrators, once each, and to nobody else", async () => {
    const owner = testUser("client");
    const ownerSocket = await connectClient(server.port, owner);
    const admin = await connectClient(server.port, testUser("admin"));
    // An administrator who owns the device is in both rooms.
    const adminOwner = testUser("admin");
    const adminOwnerSocket = await connectClient(server.port, adminOwner);
    const bystander = await connectClient(server.port, testUser("client"));
    const [ownerSaw, adminSaw, adminOwnerSaw, bystanderSaw] = [recordEvents(ownerSocket), recordEvents(admin), recordEvents(adminOwnerSocket), recordEvents(bystander)];

    const raised = silenceOf(owner.id);
    const [toOwner, toAdmin] = [nextEvent(ownerSocket, "alarm:silence"), nextEvent(admin, "alarm:silence")];
    await publish(NOTIFICATION_ROUTING_KEYS.deviceSilence, raised);
    expect(await toOwner).toEqual(raised);
    expect(await toAdmin).toEqual(raised);

    // Cleared, of a device without an owner: the administrators only.
    const cleared: DeviceSilence = { ...silenceOf(null), state: "cleared", clearedAt: "2026-11-27T11:02:00.000Z" };
    const clearedToAdmin = nextEvent(admin, "alarm:silence", (alarm) => alarm.alarmId === cleared.alarmId);
    await publish(NOTIFICATION_ROUTING_KEYS.deviceSilence, cleared);
    expect(await clearedToAdmin).toEqual(cleared);

    const ownedByAdmin = silenceOf(adminOwner.id);
    await publish(NOTIFICATION_ROUTING_KEYS.deviceSilence, ownedByAdmin);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ownerSaw.get("alarm:silence")).toEqual([raised]);
    expect(adminSaw.get("alarm:silence")).toEqual([raised, cleared, ownedByAdmin]);
    expect(adminOwnerSaw.get("alarm:silence")).toEqual([raised, cleared, ownedByAdmin]);
    expect([...bystanderSaw.keys()]).toEqual([]);
    closeAll(ownerSocket, admin, adminOwnerSocket, bystander);
  });

  it("disconnects every socket of a user whose sessions ended, and nobody else's", async () => {
    const admin = testUser("admin");
    const [tab1, tab2] = [await connectClient(server.port, admin), await connectClient(server.port, admin)];
    const bystander = await connectClient(server.port, testUser("admin"));
    const dropped = Promise.all([tab1, tab2].map((socket) => new Promise((resolve) => socket.once("disconnect", resolve))));
    await publish(NOTIFICATION_ROUTING_KEYS.sessionsEnded, { userId: admin.id, reason: "role-changed", occurredAt: new Date().toISOString() });
    expect(await dropped).toEqual(["io server disconnect", "io server disconnect"]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(bystander.connected).toBe(true);
    closeAll(tab1, tab2, bystander);
  });

  it("dead-letters malformed notifications with the reason, and keeps consuming", async () => {
    await publish(NOTIFICATION_ROUTING_KEYS.alertCreated, "{not json");
    await publish(NOTIFICATION_ROUTING_KEYS.consumptionUpdated, { ...consumptionFor(randomUUID()), ownerId: "nobody" });
    await publish(NOTIFICATION_ROUTING_KEYS.deviceSilence, { ...silenceOf(randomUUID()), state: "silent" });

    const connection = await amqp.connect(config.rabbitmq.url);
    try {
      const channel = await connection.createChannel();
      const reasons: unknown[] = [];
      for (let attempt = 0; attempt < 50 && reasons.length < 3; attempt++) {
        const message = await channel.get(names.deadLetter, { noAck: true });
        if (message) {
          expect(message.properties.headers?.[DEAD_LETTER_SOURCE_HEADER]).toBe(names.chatNotifications);
          reasons.push(message.properties.headers?.[DEAD_LETTER_REASON_HEADER]);
        } else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(reasons).toEqual([
        "malformed JSON",
        expect.stringMatching(/^invalid consumption\.updated: ownerId/),
        expect.stringMatching(/^invalid device\.silence: state/),
      ]);
    } finally {
      await connection.close();
    }

    const owner = testUser("client");
    const socket = await connectClient(server.port, owner);
    const received = nextEvent(socket, "alert:created");
    const alert = alertFor(owner.id);
    await publish(NOTIFICATION_ROUTING_KEYS.alertCreated, alert);
    expect(await received).toEqual(alert);
    closeAll(socket);
  });
});

describe("parseNotification", () => {
  const body = (value: unknown) => Buffer.from(JSON.stringify(value));

  it("maps each routing key to its Socket.IO event", () => {
    const alert = alertFor(randomUUID());
    expect(parseNotification("alert.created", body(alert))).toEqual({ ok: true, event: "alert:created", payload: alert });
    const update = consumptionFor(randomUUID());
    expect(parseNotification("consumption.updated", body(update))).toEqual({ ok: true, event: "consumption:updated", payload: update });
    const alarm = silenceOf(null);
    expect(parseNotification("device.silence", body(alarm))).toEqual({ ok: true, event: "alarm:silence", payload: alarm });
  });

  it("gives a reason for every way a notification can be wrong", () => {
    expect(parseNotification("device.exploded", body({}))).toEqual({ ok: false, reason: 'unknown routing key "device.exploded"' });
    expect(parseNotification("toString", body({}))).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown routing key/) as string });
    expect(parseNotification("alert.created", Buffer.from("nope"))).toEqual({ ok: false, reason: "malformed JSON" });
    expect(parseNotification("alert.created", body([]))).toMatchObject({ ok: false });
    const { total: _total, ...withoutTotal } = alertFor(randomUUID());
    expect(parseNotification("alert.created", body(withoutTotal))).toMatchObject({ ok: false, reason: expect.stringMatching(/total/) as string });
  });
});
