import { describe, expect, it } from "vitest";
import { MESSAGE_BODY_MAX_LENGTH, type InboxEntry } from "@ems/contracts/socket";
import { startChatServer } from "./server.ts";
import {
  closeAll,
  connectClient,
  nextEvent,
  recordEvents,
  request,
  sendMessage,
  settle,
  testChatConfig,
  testUser,
  useChatServer,
  type ChatClient,
} from "./test-support.ts";

const chat = useChatServer("conversations");

async function inboxOf(admin: ChatClient): Promise<InboxEntry[]> {
  const ack = await request(admin, "chat:inbox", {});
  if (!("data" in ack)) throw new Error(ack.error.message);
  return ack.data.conversations;
}

// ASVS 5.0 V8.2.2: data-specific access only to the consumer's own objects; here, Socket.IO rooms.
describe("ASVS V8.2.2 — object-level authorization on rooms", () => {
  it("delivers a client's Admin-mode message to every administrator and to no other client", async () => {
    const aliceUser = testUser("client", "alice");
    const alice = await connectClient(chat.server.port, aliceUser);
    const aliceOtherTab = await connectClient(chat.server.port, aliceUser);
    const bob = await connectClient(chat.server.port, testUser("client", "bob"));
    const admin1 = await connectClient(chat.server.port, testUser("admin"));
    const admin2 = await connectClient(chat.server.port, testUser("admin"));
    const [aliceSaw, bobSaw] = [recordEvents(alice), recordEvents(bob)];

    const atAdmin1 = nextEvent(admin1, "chat:inbox");
    const atAdmin2 = nextEvent(admin2, "chat:inbox");
    const inOtherTab = nextEvent(aliceOtherTab, "chat:message");
    const message = await sendMessage(alice, "admin", "My meter shows nothing since Monday");
    const row = { clientId: aliceUser.id, username: "alice", lastMessage: message, unread: 1, status: "open", assignee: null };
    expect(await atAdmin1).toEqual(row);
    expect(await atAdmin2).toEqual(row);
    expect(await inOtherTab).toEqual(message); // the user's other tabs; the sender has the ack
    await settle();
    expect([...bobSaw.keys()]).toEqual([]);
    expect([...aliceSaw.keys()]).toEqual([]);
    closeAll(alice, aliceOtherTab, bob, admin1, admin2);
  });

  it("keeps Bot-mode conversations between the client and the bot", async () => {
    const alice = await connectClient(chat.server.port, testUser("client"));
    const bob = await connectClient(chat.server.port, testUser("client"));
    const admin = await connectClient(chat.server.port, testUser("admin"));
    const [bobSaw, adminSaw] = [recordEvents(bob), recordEvents(admin)];
    const reply = nextEvent(alice, "chat:message", (m) => m.source === "rule");
    await sendMessage(alice, "bot", "how do I read the chart");
    await reply;
    await settle();
    expect([...bobSaw.keys()]).toEqual([]);
    expect([...adminSaw.keys()]).toEqual([]);
    closeAll(alice, bob, admin);
  });

  it("never lets a client into another room: join attempts are ignored and admin events refused", async () => {
    const alice = await connectClient(chat.server.port, testUser("client"));
    const bobUser = testUser("client");
    const bob = await connectClient(chat.server.port, bobUser);
    const admin = await connectClient(chat.server.port, testUser("admin"));
    const aliceSaw = recordEvents(alice);

    // Socket.IO has no client-side join; a forged "join" event must not do anything either.
    const raw = alice as unknown as { emit(event: string, ...args: unknown[]): void };
    raw.emit("join", "admins");
    raw.emit("join", `user:${bobUser.id}`);
    raw.emit("subscribe", { room: "admins" });

    for (const [event, payload] of [
      ["chat:inbox", {}],
      ["chat:open", { clientId: bobUser.id }],
      ["chat:reply", { clientId: bobUser.id, body: "pretending to be an admin" }],
    ] as const) {
      const answer = await request(alice, event, payload);
      expect(answer).toEqual({ error: { code: "forbidden", message: expect.any(String) as string } });
    }

    // Traffic of Bob's room and of the admins room never reaches Alice.
    await sendMessage(bob, "admin", "Bob's private question");
    const toBob = nextEvent(bob, "chat:message", (m) => m.source === "admin");
    await request(admin, "chat:reply", { clientId: bobUser.id, body: "Bob's private answer" });
    await toBob;
    await settle();
    expect([...aliceSaw.keys()]).toEqual([]);
    closeAll(alice, bob, admin);
  });
});

describe("the admin inbox", () => {
  it("lists every client who wrote to the administrators, with the last message and unread counts", async () => {
    const carol = testUser("client", "carol");
    const dave = testUser("client", "dave");
    const carolSocket = await connectClient(chat.server.port, carol);
    const daveSocket = await connectClient(chat.server.port, dave);
    const admin = await connectClient(chat.server.port, testUser("admin"));

    await sendMessage(carolSocket, "bot", "hello"); // Bot mode only: not in the inbox, not unread
    await sendMessage(carolSocket, "admin", "first");
    const lastFromCarol = await sendMessage(carolSocket, "admin", "second");
    await sendMessage(daveSocket, "admin", "dave here");

    const inbox = await inboxOf(admin);
    const carolRow = inbox.find((row) => row.clientId === carol.id);
    expect(carolRow).toEqual({ clientId: carol.id, username: "carol", lastMessage: lastFromCarol, unread: 2, status: "open", assignee: null });
    expect(inbox.find((row) => row.clientId === dave.id)?.unread).toBe(1);
    // Newest activity first.
    expect(inbox.findIndex((row) => row.clientId === dave.id)).toBeLessThan(inbox.findIndex((row) => row.clientId === carol.id));
    closeAll(carolSocket, daveSocket, admin);
  });

  it("pushes the updated row to administrators when a client writes", async () => {
    const erin = testUser("client", "erin");
    const erinSocket = await connectClient(chat.server.port, erin);
    const admin = await connectClient(chat.server.port, testUser("admin"));
    const update = nextEvent(admin, "chat:inbox", (entry) => entry.clientId === erin.id);
    const message = await sendMessage(erinSocket, "admin", "are you there?");
    expect(await update).toEqual({ clientId: erin.id, username: "erin", lastMessage: message, unread: 1, status: "open", assignee: null });
    closeAll(erinSocket, admin);
  });

  it("opening a conversation marks it read for that administrator alone and tells their other tabs", async () => {
    const frank = testUser("client", "frank");
    const frankSocket = await connectClient(chat.server.port, frank);
    const admin1User = testUser("admin");
    const admin1 = await connectClient(chat.server.port, admin1User);
    const admin1OtherTab = await connectClient(chat.server.port, admin1User);
    const admin2 = await connectClient(chat.server.port, testUser("admin"));
    const question = await sendMessage(frankSocket, "bot", "hi");
    await sendMessage(frankSocket, "admin", "one");
    await sendMessage(frankSocket, "admin", "two");
    await settle();
    const admin2Saw = recordEvents(admin2);

    const seenInOtherTab = nextEvent(admin1OtherTab, "chat:inbox", (entry) => entry.clientId === frank.id && entry.unread === 0);
    const opened = await request(admin1, "chat:open", { clientId: frank.id });
    if (!("data" in opened)) throw new Error(opened.error.message);
    expect(opened.data.entry?.unread).toBe(0);
    // The whole conversation, Bot mode included, oldest first.
    expect(opened.data.messages[0]?.id).toBe(question.id);
    expect(opened.data.messages.filter((m) => m.mode === "admin").map((m) => m.body)).toEqual(["one", "two"]);
    await seenInOtherTab;
    await settle();
    expect([...admin2Saw.keys()]).toEqual([]);
    expect((await inboxOf(admin2)).find((row) => row.clientId === frank.id)?.unread).toBe(2);
    expect((await inboxOf(admin1OtherTab)).find((row) => row.clientId === frank.id)?.unread).toBe(0);

    // A new message is unread again, counted from each one's own position, and pushed so to each.
    const atAdmin1 = nextEvent(admin1, "chat:inbox", (entry) => entry.clientId === frank.id);
    const atAdmin2 = nextEvent(admin2, "chat:inbox", (entry) => entry.clientId === frank.id);
    const three = await sendMessage(frankSocket, "admin", "three");
    expect(await atAdmin1).toMatchObject({ lastMessage: three, unread: 1 });
    expect(await atAdmin2).toMatchObject({ lastMessage: three, unread: 3 });
    expect((await inboxOf(admin1)).find((row) => row.clientId === frank.id)?.unread).toBe(1);
    expect((await inboxOf(admin2)).find((row) => row.clientId === frank.id)?.unread).toBe(3);
    closeAll(frankSocket, admin1, admin1OtherTab, admin2);
  });

  it("delivers a reply to its target client alone, and the client can read and mark it", async () => {
    const grace = testUser("client", "grace");
    const heidi = testUser("client", "heidi");
    const graceTab1 = await connectClient(chat.server.port, grace);
    const graceTab2 = await connectClient(chat.server.port, grace);
    const heidiSocket = await connectClient(chat.server.port, heidi);
    const adminUser = testUser("admin", "replier");
    const admin = await connectClient(chat.server.port, adminUser);
    const otherAdmin = await connectClient(chat.server.port, testUser("admin"));
    await sendMessage(graceTab1, "admin", "help please");
    await sendMessage(heidiSocket, "admin", "me too");
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [heidiSaw, otherAdminSaw] = [recordEvents(heidiSocket), recordEvents(otherAdmin)];

    const inTab1 = nextEvent(graceTab1, "chat:message");
    const inTab2 = nextEvent(graceTab2, "chat:message");
    const rowUpdate = nextEvent(otherAdmin, "chat:inbox", (entry) => entry.clientId === grace.id);
    const ownRowUpdate = nextEvent(admin, "chat:inbox", (entry) => entry.clientId === grace.id);
    const answer = await request(admin, "chat:reply", { clientId: grace.id, body: "On it!" });
    if (!("data" in answer)) throw new Error(answer.error.message);
    expect(answer.data.message).toMatchObject({ source: "admin", mode: "admin", body: "On it!", clientId: grace.id });
    expect(await inTab1).toEqual(answer.data.message);
    expect(await inTab2).toEqual(answer.data.message);
    // Other admins see the row change, not the message event; replying reads the conversation for the
    // replier only, and claims it for them as nobody had it.
    const claimedByReplier = { id: adminUser.id, username: "replier" };
    expect(await rowUpdate).toMatchObject({ unread: 1, lastMessage: answer.data.message, assignee: claimedByReplier });
    expect(await ownRowUpdate).toMatchObject({ unread: 0, lastMessage: answer.data.message, assignee: claimedByReplier });
    await settle();
    expect([...heidiSaw.keys()]).toEqual([]);
    expect(otherAdminSaw.has("chat:message")).toBe(false);

    const history = await request(graceTab1, "chat:history", {});
    expect("data" in history && history.data.unread).toBe(1);
    expect(await request(graceTab2, "chat:read", {})).toEqual({ data: { unread: 0 } });
    const after = await request(graceTab1, "chat:history", {});
    expect("data" in after && after.data.unread).toBe(0);
    closeAll(graceTab1, graceTab2, heidiSocket, admin, otherAdmin);
  });

  it("refuses a reply to a client who never wrote", async () => {
    const admin = await connectClient(chat.server.port, testUser("admin"));
    const stranger = testUser("client");
    expect(await request(admin, "chat:reply", { clientId: stranger.id, body: "hello?" })).toMatchObject({ error: { code: "not_found" } });
    expect(await request(admin, "chat:open", { clientId: stranger.id })).toMatchObject({ error: { code: "not_found" } });
    closeAll(admin);
  });

  it("relays typing indicators both ways, to the right people only", async () => {
    const ivan = testUser("client", "ivan");
    const ivanSocket = await connectClient(chat.server.port, ivan);
    const judySocket = await connectClient(chat.server.port, testUser("client", "judy"));
    const admin = await connectClient(chat.server.port, testUser("admin", "root"));
    const judySaw = recordEvents(judySocket);

    const atAdmin = nextEvent(admin, "chat:typing");
    ivanSocket.emit("chat:typing", { typing: true });
    expect(await atAdmin).toEqual({ clientId: ivan.id, from: "client", username: "ivan", typing: true });

    const atIvan = nextEvent(ivanSocket, "chat:typing");
    admin.emit("chat:typing", { typing: true, clientId: ivan.id });
    expect(await atIvan).toEqual({ clientId: ivan.id, from: "admin", username: "root", typing: true });
    await settle();
    expect([...judySaw.keys()]).toEqual([]);
    closeAll(ivanSocket, judySocket, admin);
  });
});

describe("bad input", () => {
  it("answers every malformed request with bad_request and keeps serving", async () => {
    const client = await connectClient(chat.server.port, testUser("client"));
    const admin = await connectClient(chat.server.port, testUser("admin"));
    const cases: [ChatClient, "chat:send" | "chat:reply" | "chat:open" | "chat:history", unknown, RegExp][] = [
      [client, "chat:send", { mode: "admin", body: "   " }, /empty/],
      [client, "chat:send", { mode: "admin", body: "x".repeat(MESSAGE_BODY_MAX_LENGTH + 1) }, /at most 2000/],
      [client, "chat:send", { mode: "shout", body: "hi" }, /mode/],
      [client, "chat:send", { mode: "bot", body: 42 }, /body/],
      [client, "chat:send", "just a string", /./],
      [client, "chat:send", null, /./],
      [client, "chat:history", { limit: 100_000 }, /limit/],
      [client, "chat:history", { before: "yesterday" }, /before/],
      [admin, "chat:reply", { clientId: "not-a-uuid", body: "hi" }, /clientId must be a UUID/],
      [admin, "chat:open", {}, /clientId/],
    ];
    for (const [socket, event, payload, message] of cases) {
      const answer = await request(socket, event, payload);
      expect(answer, `${event} ${JSON.stringify(payload)?.slice(0, 40)}`).toMatchObject({ error: { code: "bad_request" } });
      expect("error" in answer && answer.error.message).toMatch(message);
    }
    // Events without an ack callback, unknown events and oversized frames do not break the socket either.
    const raw = client as unknown as { emit(event: string, ...args: unknown[]): void };
    raw.emit("chat:send", { mode: "bot", body: "" });
    raw.emit("chat:typing", "nonsense");
    raw.emit("no:such-event", 1, 2, 3);
    expect(await sendMessage(client, "admin", `  ${"y".repeat(MESSAGE_BODY_MAX_LENGTH)}  `)).toMatchObject({ body: "y".repeat(MESSAGE_BODY_MAX_LENGTH) });
    closeAll(client, admin);
  });
});

describe("flood protection", () => {
  it("refuses a client's messages beyond the per-minute limit with rate_limited", async () => {
    const limited = await startChatServer(testChatConfig(chat.queuePrefix, { sendRatePerMinute: 3 }));
    try {
      const user = testUser("client");
      const socket = await connectClient(limited.port, user);
      for (let i = 0; i < 3; i++) await sendMessage(socket, "admin", `message ${i}`);
      expect(await request(socket, "chat:send", { mode: "admin", body: "one too many" })).toMatchObject({ error: { code: "rate_limited" } });
      // Per user: someone else still gets through.
      const other = await connectClient(limited.port, testUser("client"));
      await sendMessage(other, "admin", "hello");
      closeAll(socket, other);
    } finally {
      await limited.close();
    }
  });
});

describe("persistence", () => {
  it("keeps history and unread counts across a restart of the chat process", async () => {
    const kim = testUser("client", "kim");
    const kimSocket = await connectClient(chat.server.port, kim);
    const message = await sendMessage(kimSocket, "admin", "still there after a restart?");
    closeAll(kimSocket);
    await chat.restart();
    const admin = await connectClient(chat.server.port, testUser("admin"));
    expect((await inboxOf(admin)).find((row) => row.clientId === kim.id)).toEqual({
      clientId: kim.id,
      username: "kim",
      lastMessage: message,
      unread: 1,
      status: "open",
      assignee: null,
    });
    const kimAgain = await connectClient(chat.server.port, kim);
    const history = await request(kimAgain, "chat:history", {});
    expect("data" in history && history.data.messages.map((m) => m.id)).toEqual([message.id]);
    closeAll(admin, kimAgain);
  });
});
