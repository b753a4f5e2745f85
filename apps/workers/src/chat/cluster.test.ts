import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Broker, consoleLogger, declareTopology } from "@ems/messaging";
import { NOTIFICATION_ROUTING_KEYS, queueNames } from "@ems/contracts/queues";
import type { AlertCreated } from "@ems/contracts/notifications";
import type { InboxEntry } from "@ems/contracts/socket";
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

// Two chat processes behind one address: the Postgres adapter relays every room broadcast, so a
// socket's process does not matter. (In the stack, sticky sessions keep one socket on one process.)
const queuePrefix = uniqueQueuePrefix("cluster");
let chat1: ChatServer;
let chat2: ChatServer;

async function untilClustered(servers: ChatServer[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await Promise.all(servers.map((server) => server.io.of("/").adapter.serverCount()));
    if (counts.every((count) => count === servers.length)) return;
    if (Date.now() > deadline) throw new Error(`chat servers did not see each other: ${counts.join(", ")}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  chat1 = await startChatServer(testChatConfig(queuePrefix, { name: "chat-1" }));
  chat2 = await startChatServer(testChatConfig(queuePrefix, { name: "chat-2" }));
  await untilClustered([chat1, chat2]);
  await Promise.all([chat1.notificationsReady(), chat2.notificationsReady()]);
}, 30_000);

afterAll(async () => {
  await Promise.all([chat1.close(), chat2.close()]);
  await deleteTestTopology(queuePrefix);
});

describe("two chat processes", () => {
  it("deliver a message sent through process 1 to an administrator on process 2, and the reply back", async () => {
    const client = testUser("client", "lena");
    const clientOn1 = await connectClient(chat1.port, client);
    const otherClientOn2 = await connectClient(chat2.port, testUser("client"));
    const adminOn2 = await connectClient(chat2.port, testUser("admin"));
    const otherSaw = recordEvents(otherClientOn2);

    const atAdmin = nextEvent(adminOn2, "chat:inbox");
    const ack = await request(clientOn1, "chat:send", { mode: "admin", body: "hello from process 1" });
    if (!("data" in ack)) throw new Error(ack.error.message);
    expect(await atAdmin).toEqual({ clientId: client.id, username: "lena", lastMessage: ack.data.message, unread: 1, status: "open", assignee: null });

    const typing = nextEvent(clientOn1, "chat:typing");
    adminOn2.emit("chat:typing", { typing: true, clientId: client.id });
    expect(await typing).toMatchObject({ clientId: client.id, from: "admin", typing: true });

    const reply = nextEvent(clientOn1, "chat:message", (m) => m.source === "admin");
    const answer = await request(adminOn2, "chat:reply", { clientId: client.id, body: "hello from process 2" });
    if (!("data" in answer)) throw new Error(answer.error.message);
    expect(await reply).toEqual(answer.data.message);

    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([...otherSaw.keys()]).toEqual([]);
    closeAll(clientOn1, otherClientOn2, adminOn2);
  });

  it("deliver each administrator's own inbox row, and claims, to administrators on the other process", async () => {
    const client = testUser("client", "mona");
    const clientOn1 = await connectClient(chat1.port, client);
    const adminOn1 = await connectClient(chat1.port, testUser("admin", "nils"));
    const readerOn2 = await connectClient(chat2.port, testUser("admin"));
    const otherOn2 = await connectClient(chat2.port, testUser("admin"));
    await request(clientOn1, "chat:send", { mode: "admin", body: "first" });
    const opened = await request(readerOn2, "chat:open", { clientId: client.id });
    expect(opened).toHaveProperty("data.entry.unread", 0);

    const isSecond = (entry: InboxEntry) => entry.clientId === client.id && entry.lastMessage.body === "second";
    const atReader = nextEvent(readerOn2, "chat:inbox", isSecond);
    const atOther = nextEvent(otherOn2, "chat:inbox", isSecond);
    await request(clientOn1, "chat:send", { mode: "admin", body: "second" });
    expect(await atReader).toMatchObject({ unread: 1 });
    expect(await atOther).toMatchObject({ unread: 2 });

    const claimSeen = nextEvent(otherOn2, "chat:inbox", (entry) => entry.clientId === client.id && entry.assignee !== null);
    const claimed = await request(adminOn1, "chat:claim", { clientId: client.id });
    if (!("data" in claimed)) throw new Error(claimed.error.message);
    expect(await claimSeen).toMatchObject({ assignee: { username: "nils" }, unread: 2 });
    closeAll(clientOn1, adminOn1, readerOn2, otherOn2);
  });

  it("push every alert to its owner whichever process consumed it", async () => {
    const names = queueNames(queuePrefix);
    const monitoring = new Broker({ url: testChatConfig(queuePrefix).rabbitmq.url, name: "test-monitoring", log: consoleLogger("m", "error") });
    await monitoring.onConnect((channel) => declareTopology(channel, names, 1));
    await monitoring.start();
    try {
      const owner = testUser("client");
      const ownerOn2 = await connectClient(chat2.port, owner);
      const alerts: AlertCreated[] = Array.from({ length: 20 }, (_, i) => ({
        alertId: randomUUID(),
        deviceId: randomUUID(),
        ownerId: owner.id,
        hourStart: `2026-11-27T${String(i).padStart(2, "0")}:00:00.000Z`,
        total: "2.5",
        limit: "2",
        createdAt: new Date().toISOString(),
      }));
      const received: AlertCreated[] = [];
      const allArrived = new Promise<void>((resolve) =>
        ownerOn2.on("alert:created", (alert) => {
          received.push(alert);
          if (received.length === alerts.length) resolve();
        }),
      );
      for (const alert of alerts) {
        await monitoring.publish(names.notificationsExchange, NOTIFICATION_ROUTING_KEYS.alertCreated, JSON.stringify(alert));
      }
      await allArrived;
      expect(new Set(received.map((a) => a.alertId))).toEqual(new Set(alerts.map((a) => a.alertId)));
      closeAll(ownerOn2);
    } finally {
      await monitoring.close();
    }
  });
});
