import { describe, expect, it } from "vitest";
import { chatDb } from "@ems/db/chat";
import type { InboxEntry } from "@ems/contracts/socket";
import {
  closeAll,
  connectClient,
  dataOf,
  nextEvent,
  recordEvents,
  request,
  sendMessage,
  settle,
  testUser,
  useChatServer,
  type ChatClient,
} from "./test-support.ts";

// The administrators' inbox as in Chatwoot or Intercom: open/resolved, claims, each administrator's own
// unread counts; every change live to every administrator, and none of it to clients.
const chat = useChatServer("inbox");

async function rowOf(admin: ChatClient, clientId: string, status?: "open" | "resolved"): Promise<InboxEntry | undefined> {
  const { conversations } = dataOf(await request(admin, "chat:inbox", status ? { status } : {}));
  return conversations.find((row) => row.clientId === clientId);
}

/** A client who wrote to the administrators, and two administrators. */
async function scene(name: string) {
  const client = testUser("client", name);
  const admin1User = testUser("admin", `${name}-admin-1`);
  const admin2User = testUser("admin", `${name}-admin-2`);
  const [clientSocket, admin1, admin2] = await Promise.all([
    connectClient(chat.server.port, client),
    connectClient(chat.server.port, admin1User),
    connectClient(chat.server.port, admin2User),
  ]);
  const first = await sendMessage(clientSocket, "admin", `help me, I am ${name}`);
  await settle();
  return { client, clientSocket, admin1User, admin1, admin2User, admin2, first };
}

describe("conversation status", () => {
  it("is open until an administrator resolves it; the client writing to the administrators again re-opens it, live for every administrator", async () => {
    const { client, clientSocket, admin1, admin2, first } = await scene("olga");
    expect(await rowOf(admin1, client.id)).toMatchObject({ status: "open", assignee: null, lastMessage: first });

    const resolvedAt2 = nextEvent(admin2, "chat:inbox", (entry) => entry.clientId === client.id);
    const resolved = dataOf(await request(admin1, "chat:resolve", { clientId: client.id }));
    expect(resolved.entry).toMatchObject({ clientId: client.id, status: "resolved", lastMessage: first, unread: 1 });
    expect(await resolvedAt2).toEqual({ ...resolved.entry, unread: 1 });
    // The filters: resolved conversations only under "resolved".
    expect(await rowOf(admin2, client.id, "resolved")).toMatchObject({ status: "resolved" });
    expect(await rowOf(admin2, client.id, "open")).toBeUndefined();
    expect(await rowOf(admin2, client.id)).toMatchObject({ status: "resolved" });

    // Talking to the bot does not concern the administrators: still resolved.
    await sendMessage(clientSocket, "bot", "how do I read the chart");
    await settle();
    expect(await rowOf(admin2, client.id)).toMatchObject({ status: "resolved" });

    const reopenedAt1 = nextEvent(admin1, "chat:inbox", (entry) => entry.clientId === client.id);
    const reopenedAt2 = nextEvent(admin2, "chat:inbox", (entry) => entry.clientId === client.id);
    const again = await sendMessage(clientSocket, "admin", "it is broken again");
    expect(await reopenedAt1).toMatchObject({ status: "open", lastMessage: again, unread: 2 });
    expect(await reopenedAt2).toMatchObject({ status: "open", lastMessage: again, unread: 2 });
    expect(await rowOf(admin1, client.id, "open")).toMatchObject({ status: "open" });
    expect(await rowOf(admin1, client.id, "resolved")).toBeUndefined();

    // Resolving twice is harmless; an administrator can re-open a resolved conversation too.
    dataOf(await request(admin2, "chat:resolve", { clientId: client.id }));
    expect(dataOf(await request(admin2, "chat:resolve", { clientId: client.id })).entry.status).toBe("resolved");
    const reopenedByAdmin = nextEvent(admin1, "chat:inbox", (entry) => entry.clientId === client.id && entry.status === "open");
    expect(dataOf(await request(admin2, "chat:reopen", { clientId: client.id })).entry.status).toBe("open");
    await reopenedByAdmin;
    closeAll(clientSocket, admin1, admin2);
  });

  it("keeps the assignee when resolved and re-opened", async () => {
    const { client, clientSocket, admin1User, admin1, admin2 } = await scene("pia");
    dataOf(await request(admin1, "chat:claim", { clientId: client.id }));
    dataOf(await request(admin2, "chat:resolve", { clientId: client.id }));
    const reopened = nextEvent(admin2, "chat:inbox", (entry) => entry.clientId === client.id && entry.status === "open");
    await sendMessage(clientSocket, "admin", "one more thing");
    expect((await reopened).assignee).toEqual({ id: admin1User.id, username: admin1User.username });
    closeAll(clientSocket, admin1, admin2);
  });
});

describe("claims", () => {
  it("an administrator claims a conversation, every administrator sees who has it, and only its holder unassigns it", async () => {
    const { client, clientSocket, admin1User, admin1, admin2User, admin2 } = await scene("quinn");
    const byAdmin1 = { id: admin1User.id, username: admin1User.username };
    const byAdmin2 = { id: admin2User.id, username: admin2User.username };

    const claimedAt2 = nextEvent(admin2, "chat:inbox", (entry) => entry.clientId === client.id);
    const claimed = dataOf(await request(admin1, "chat:claim", { clientId: client.id }));
    expect(claimed.entry).toMatchObject({ clientId: client.id, assignee: byAdmin1, status: "open" });
    expect((await claimedAt2).assignee).toEqual(byAdmin1);
    expect((await rowOf(admin2, client.id))?.assignee).toEqual(byAdmin1);
    // Claiming one's own conversation again changes nothing.
    expect(dataOf(await request(admin1, "chat:claim", { clientId: client.id })).entry.assignee).toEqual(byAdmin1);

    // Another administrator can neither claim it silently nor release it.
    const claimAnswer = await request(admin2, "chat:claim", { clientId: client.id });
    expect(claimAnswer).toEqual({ error: { code: "conflict", message: expect.stringContaining(admin1User.username) as string } });
    expect(await request(admin2, "chat:unassign", { clientId: client.id })).toMatchObject({ error: { code: "conflict" } });
    expect((await rowOf(admin1, client.id))?.assignee).toEqual(byAdmin1);

    // ...but can take it over, which the first one sees.
    const takenAt1 = nextEvent(admin1, "chat:inbox", (entry) => entry.clientId === client.id);
    expect(dataOf(await request(admin2, "chat:claim", { clientId: client.id, takeOver: true })).entry.assignee).toEqual(byAdmin2);
    expect((await takenAt1).assignee).toEqual(byAdmin2);

    // A reply from someone else does not move a claimed conversation.
    dataOf(await request(admin1, "chat:reply", { clientId: client.id, body: "I can help too" }));
    expect((await rowOf(admin1, client.id))?.assignee).toEqual(byAdmin2);

    const releasedAt1 = nextEvent(admin1, "chat:inbox", (entry) => entry.clientId === client.id && entry.assignee === null);
    expect(dataOf(await request(admin2, "chat:unassign", { clientId: client.id })).entry.assignee).toBeNull();
    await releasedAt1;
    // Unassigning an unassigned conversation is harmless.
    expect(dataOf(await request(admin1, "chat:unassign", { clientId: client.id })).entry.assignee).toBeNull();
    closeAll(clientSocket, admin1, admin2);
  });

  it("lets exactly one of two simultaneous claims win", async () => {
    const { client, clientSocket, admin1, admin2 } = await scene("rita");
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all([request(admin1, "chat:claim", { clientId: client.id }), request(admin2, "chat:claim", { clientId: client.id })]);
      const won = answers.filter((answer) => "data" in answer);
      expect(won).toHaveLength(1);
      expect(answers.filter((answer) => "error" in answer && answer.error.code === "conflict")).toHaveLength(1);
      const winner = answers[0] && "data" in answers[0] ? admin1 : admin2;
      dataOf(await request(winner, "chat:unassign", { clientId: client.id }));
    }
    closeAll(clientSocket, admin1, admin2);
  });

  it("refuses conversations that are not in the inbox", async () => {
    const admin = await connectClient(chat.server.port, testUser("admin"));
    const botOnlyUser = testUser("client");
    const botOnly = await connectClient(chat.server.port, botOnlyUser);
    await sendMessage(botOnly, "bot", "hello");
    for (const clientId of [testUser("client").id, botOnlyUser.id]) {
      for (const event of ["chat:claim", "chat:unassign", "chat:resolve", "chat:reopen"] as const) {
        expect(await request(admin, event, { clientId }), event).toMatchObject({ error: { code: "not_found" } });
      }
    }
    closeAll(admin, botOnly);
  });
});

describe("unread counts per administrator", () => {
  it("counts from each administrator's own read position, pushed to each with their own count", async () => {
    const { client, clientSocket, admin1User, admin1, admin2 } = await scene("sven");
    const admin1OtherTab = await connectClient(chat.server.port, admin1User);
    dataOf(await request(admin1, "chat:open", { clientId: client.id }));
    await settle();

    const at1 = nextEvent(admin1, "chat:inbox", (entry) => entry.clientId === client.id);
    const at1OtherTab = nextEvent(admin1OtherTab, "chat:inbox", (entry) => entry.clientId === client.id);
    const at2 = nextEvent(admin2, "chat:inbox", (entry) => entry.clientId === client.id);
    const admin2Saw = recordEvents(admin2);
    await sendMessage(clientSocket, "admin", "second");
    expect((await at1).unread).toBe(1);
    expect((await at1OtherTab).unread).toBe(1);
    expect((await at2).unread).toBe(2);
    await settle();
    // One row per administrator, not one per count.
    expect(admin2Saw.get("chat:inbox")).toHaveLength(1);

    // Claiming or resolving changes nobody's count.
    const resolvedAt2 = nextEvent(admin2, "chat:inbox", (entry) => entry.clientId === client.id && entry.status === "resolved");
    expect(dataOf(await request(admin1, "chat:resolve", { clientId: client.id })).entry.unread).toBe(1);
    expect((await resolvedAt2).unread).toBe(2);
    closeAll(clientSocket, admin1, admin1OtherTab, admin2);
  });

  it("starts every administrator from the shared read position kept from before per-administrator reads", async () => {
    const { client, clientSocket, admin1, admin2 } = await scene("tove");
    const second = await sendMessage(clientSocket, "admin", "second");
    // What the former code wrote when an administrator opened the conversation: the shared mark.
    await chatDb.$executeRaw`
      INSERT INTO conversation_reads (conversation_id, party, last_read_at)
      SELECT id, 'admins', ${new Date(second.createdAt)} FROM conversations WHERE client_id = ${client.id}::uuid`;
    await sendMessage(clientSocket, "admin", "third");
    expect((await rowOf(admin1, client.id))?.unread).toBe(1);
    dataOf(await request(admin2, "chat:open", { clientId: client.id }));
    expect((await rowOf(admin2, client.id))?.unread).toBe(0);
    expect((await rowOf(admin1, client.id))?.unread).toBe(1);
    closeAll(clientSocket, admin1, admin2);
  });

  it("never sends a row to a former administrator's client sockets, though they read the conversation as an administrator", async () => {
    const { client, clientSocket, admin1 } = await scene("ulla");
    const demoted = testUser("admin", "was-admin");
    const asAdmin = await connectClient(chat.server.port, demoted);
    dataOf(await request(asAdmin, "chat:open", { clientId: client.id }));
    dataOf(await request(asAdmin, "chat:claim", { clientId: client.id }));
    closeAll(asAdmin);
    // The same user, now a client (the role changed; sessions.ended dropped the admin sockets).
    const asClient = await connectClient(chat.server.port, { ...demoted, role: "client" });
    const saw = recordEvents(asClient);
    const atAdmin = nextEvent(admin1, "chat:inbox", (entry) => entry.clientId === client.id && entry.status === "resolved");
    await sendMessage(clientSocket, "admin", "anyone?");
    dataOf(await request(admin1, "chat:resolve", { clientId: client.id }));
    await atAdmin;
    await settle();
    expect([...saw.keys()]).toEqual([]);
    closeAll(clientSocket, admin1, asClient);
  });
});

// ASVS 5.0 V8.2.1/V8.2.2: function- and data-level access: only administrators change the inbox, and a
// client sees nothing of it — not even the status or assignee of their own conversation.
describe("ASVS V8.2.1 / V8.2.2 — who may change the inbox and who sees it", () => {
  it("refuses claim, unassign, resolve and reopen to clients, and tells clients nothing of what administrators do", async () => {
    const { client, clientSocket, admin1, admin2 } = await scene("vera");
    const otherUser = testUser("client");
    const other = await connectClient(chat.server.port, otherUser);
    await sendMessage(other, "admin", "another question");
    const [clientSaw, otherSaw] = [recordEvents(clientSocket), recordEvents(other)];
    const before = await rowOf(admin1, client.id);

    for (const [event, payload] of [
      ["chat:claim", { clientId: client.id }],
      ["chat:claim", { clientId: otherUser.id, takeOver: true }],
      ["chat:unassign", { clientId: client.id }],
      ["chat:resolve", { clientId: otherUser.id }],
      ["chat:reopen", { clientId: client.id }],
      ["chat:inbox", { status: "open" }],
    ] as const) {
      expect(await request(clientSocket, event, payload), event).toEqual({ error: { code: "forbidden", message: expect.any(String) as string } });
    }
    expect(await rowOf(admin1, client.id)).toEqual(before);

    dataOf(await request(admin1, "chat:claim", { clientId: client.id }));
    dataOf(await request(admin2, "chat:resolve", { clientId: client.id }));
    dataOf(await request(admin2, "chat:claim", { clientId: otherUser.id }));
    await settle();
    expect([...clientSaw.keys()]).toEqual([]);
    expect([...otherSaw.keys()]).toEqual([]);

    // What a client does get — acks, history — is messages only, with no inbox fields.
    const message = await sendMessage(clientSocket, "admin", "reopening it");
    const { messages } = dataOf(await request(clientSocket, "chat:history", {}));
    for (const shown of [message, ...messages]) {
      expect(Object.keys(shown).sort()).toEqual(["body", "clientId", "createdAt", "id", "mode", "senderId", "source"]);
    }
    closeAll(clientSocket, other, admin1, admin2);
  });

  it("answers malformed requests with bad_request", async () => {
    const admin = await connectClient(chat.server.port, testUser("admin"));
    for (const [event, payload, message] of [
      ["chat:claim", { clientId: "nope" }, /clientId must be a UUID/],
      ["chat:claim", { clientId: testUser("client").id, takeOver: "yes" }, /takeOver must be a boolean/],
      ["chat:resolve", {}, /clientId/],
      ["chat:reopen", null, /./],
      ["chat:unassign", "x", /./],
      ["chat:inbox", { status: "closed" }, /status/],
    ] as const) {
      const answer = await request(admin, event, payload);
      expect(answer, event).toMatchObject({ error: { code: "bad_request" } });
      expect("error" in answer && answer.error.message).toMatch(message);
    }
    closeAll(admin);
  });
});
