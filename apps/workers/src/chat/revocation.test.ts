import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TokenSubject } from "@ems/auth/tokens";
import { Broker, consoleLogger, declareTopology } from "@ems/messaging";
import { NOTIFICATION_ROUTING_KEYS, queueNames } from "@ems/contracts/queues";
import type { SessionsEnded } from "@ems/contracts/notifications";
import { chatDb } from "@ems/db/chat";
import { startChatServer, type ChatServer } from "./server.ts";
import { DELETED_FLOOR } from "./session-floors.ts";
import {
  closeAll,
  connectClient,
  deleteTestTopology,
  nextEvent,
  recordEvents,
  request,
  socketToken,
  testChatConfig,
  testUser,
  uniqueQueuePrefix,
  type ChatClient,
} from "./test-support.ts";

// Two chat processes, as in the stack: they are competing consumers of the notifications queue, so
// only one of them handles each sessions.ended; what it learns must hold on the other one too.
const queuePrefix = uniqueQueuePrefix("revocation");
const names = queueNames(queuePrefix);
let chat1: ChatServer;
let chat2: ChatServer;
let web: Broker;

beforeAll(async () => {
  chat1 = await startChatServer(testChatConfig(queuePrefix, { name: "chat-1" }));
  chat2 = await startChatServer(testChatConfig(queuePrefix, { name: "chat-2" }));
  await Promise.all([chat1.notificationsReady(), chat2.notificationsReady()]);
  // Stands in for the web app's outbox relay, which publishes sessions.ended.
  web = new Broker({ url: testChatConfig(queuePrefix).rabbitmq.url, name: "test-web", log: consoleLogger("test-web", "error") });
  await web.onConnect((channel) => declareTopology(channel, names, 1));
  await web.start();
}, 30_000);

afterAll(async () => {
  await web.close();
  await Promise.all([chat1.close(), chat2.close()]);
  await deleteTestTopology(queuePrefix);
});

function sessionsEnded(user: TokenSubject, reason: SessionsEnded["reason"], sessionVersion?: number): Promise<void> {
  const event: SessionsEnded = { userId: user.id, reason, occurredAt: new Date().toISOString(), ...(sessionVersion === undefined ? {} : { sessionVersion }) };
  return web.publish(names.notificationsExchange, NOTIFICATION_ROUTING_KEYS.sessionsEnded, JSON.stringify(event));
}

const disconnected = (socket: ChatClient) => new Promise<string>((resolve) => socket.once("disconnect", resolve));

/** The `connect_error` code of a refused connection. */
async function refusedWith(port: number, user: TokenSubject, token: string): Promise<string> {
  return connectClient(port, user, { token }).then(
    (socket) => {
      socket.close();
      throw new Error(`the token of ${user.username} (sv ${user.sessionVersion}) was accepted`);
    },
    (error: Error) => error.message,
  );
}

/** Until the floor of `user` is at least `floor` (the event was consumed by one of the two processes). */
async function untilFloor(user: TokenSubject, floor: number, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await chatDb.sessionFloor.findUnique({ where: { userId: user.id } });
    if (row && row.minSessionVersion >= floor) return;
    if (Date.now() > deadline) throw new Error(`no floor ${floor} for ${user.username}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether `socket` is in `admins`: a client's Admin-mode message reaches every socket there as a chat:inbox row. */
async function isInAdmins(socket: ChatClient, observer: ChatClient, port: number): Promise<boolean> {
  const client = await connectClient(port, testUser("client"));
  try {
    const seen = recordEvents(socket);
    const atObserver = nextEvent(observer, "chat:inbox");
    await request(client, "chat:send", { mode: "admin", body: "anyone there?" });
    await atObserver;
    await new Promise((resolve) => setTimeout(resolve, 300));
    return seen.has("chat:inbox");
  } finally {
    closeAll(client);
  }
}

// ASVS 5.0 V7.4.2: "Verify that the application terminates all active sessions when a user account is
// disabled or deleted" — and, as this project documents it, when the role or password changes; V8.2.1 /
// V8.2.2: access is granted by the user's current rights, not by a credential issued before they changed.
describe("ASVS V7.4.2 / V8.2.1 — a demoted admin's cached socket token no longer gets into admins", () => {
  it("drops the admin's sockets, refuses the token cached before the demotion on both processes, and admits the new one without admins", async () => {
    const admin = testUser("admin");
    const observer = await connectClient(chat2.port, testUser("admin"));
    const cached = await socketToken(admin); // session version 1, role admin: the client keeps a copy
    const tabs = [await connectClient(chat1.port, admin, { token: cached }), await connectClient(chat2.port, admin, { token: cached })];
    expect(await isInAdmins(tabs[0]!, observer, chat1.port)).toBe(true);

    const dropped = Promise.all(tabs.map(disconnected));
    await sessionsEnded(admin, "role-changed", 2);
    expect(await dropped).toEqual(["io server disconnect", "io server disconnect"]);

    // Within the cached token's lifetime it opens nothing, whichever process consumed the event.
    expect(await refusedWith(chat1.port, admin, cached)).toBe("token_revoked");
    expect(await refusedWith(chat2.port, admin, cached)).toBe("token_revoked");

    // The token the web app issues now carries the new role and session version: a client's socket.
    const demoted: TokenSubject = { ...admin, role: "client", sessionVersion: 2 };
    const socket = await connectClient(chat1.port, demoted);
    expect(await isInAdmins(socket, observer, chat2.port)).toBe(false);
    expect(await request(socket, "chat:inbox", {})).toMatchObject({ error: { code: "forbidden" } });
    closeAll(socket, observer);
  });
});

describe("ASVS V7.4.1 / V7.4.2 — tokens issued before a sign-out, password change or deletion open no socket", () => {
  it("after a sign-out or a password change: the older token is refused, the user's next one is admitted", async () => {
    for (const reason of ["signed-out", "password-changed"] as const) {
      const user = testUser("client");
      const before = await socketToken(user);
      const socket = await connectClient(chat1.port, user, { token: before });
      const dropped = disconnected(socket);
      await sessionsEnded(user, reason, 2);
      expect(await dropped).toBe("io server disconnect");
      expect(await refusedWith(chat2.port, user, before)).toBe("token_revoked");
      const next = { ...user, sessionVersion: 2 };
      closeAll(await connectClient(chat2.port, next));
    }
  });

  it("after a deletion: every token of the user is refused, whatever session version it claims", async () => {
    const user = testUser("admin");
    const socket = await connectClient(chat2.port, user);
    const dropped = disconnected(socket);
    await sessionsEnded(user, "deleted");
    expect(await dropped).toBe("io server disconnect");
    await untilFloor(user, DELETED_FLOOR);
    for (const sessionVersion of [1, 2, 1_000_000]) {
      const claimed = { ...user, sessionVersion };
      expect(await refusedWith(chat1.port, claimed, await socketToken(claimed))).toBe("token_revoked");
    }
  });

  it("never lowers a floor: a late or repeated event leaves the newer one in force", async () => {
    const user = testUser("client");
    await sessionsEnded(user, "password-changed", 3);
    await untilFloor(user, 3);
    await sessionsEnded(user, "signed-out", 2); // an older event arriving late (delivery is at least once)
    await sessionsEnded(user, "password-changed", 3); // and a repeat
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await chatDb.sessionFloor.findUnique({ where: { userId: user.id } }))?.minSessionVersion).toBe(3);
    const older = { ...user, sessionVersion: 2 };
    expect(await refusedWith(chat1.port, older, await socketToken(older))).toBe("token_revoked");
    closeAll(await connectClient(chat1.port, { ...user, sessionVersion: 3 }));
  });

  it("an event of an earlier release (no session version) still drops the sockets", async () => {
    const user = testUser("client");
    const socket = await connectClient(chat1.port, user);
    const dropped = disconnected(socket);
    await sessionsEnded(user, "role-changed");
    expect(await dropped).toBe("io server disconnect");
  });
});
