import { describe, expect, it } from "vitest";
import { MESSAGE_BODY_MAX_LENGTH, offersHandoff, type ChatMessage } from "@ems/contracts/socket";
import { FALLBACK_REPLY } from "./bot/bot.ts";
import { HANDOFF_CONTEXT_MESSAGES, HANDOFF_HEADER, planHandoff } from "./bot/handoff.ts";
import {
  closeAll,
  connectClient,
  nextEvent,
  recordEvents,
  request,
  settle,
  testUser,
  useChatServer,
  type ChatClient,
} from "./test-support.ts";

/** No AI key: every question no rule answers gets the fallback reply, which offers the handoff. */
const chat = useChatServer("handoff");

async function ask(socket: ChatClient, body: string): Promise<{ question: ChatMessage; reply: ChatMessage }> {
  const reply = nextEvent(socket, "chat:message", (m) => m.source !== "client");
  const ack = await request(socket, "chat:send", { mode: "bot", body });
  if (!("data" in ack)) throw new Error(`chat:send refused: ${ack.error.message}`);
  return { question: ack.data.message, reply: await reply };
}

describe("chat:handoff — from a bot reply that cannot help to the administrators", () => {
  it("sends the recent Bot-mode conversation to every administrator's inbox, as Admin mode does, once", async () => {
    const aliceUser = testUser("client", "alice");
    const alice = await connectClient(chat.server.port, aliceUser);
    const aliceOtherTab = await connectClient(chat.server.port, aliceUser);
    const bob = await connectClient(chat.server.port, testUser("client"));
    const admin = await connectClient(chat.server.port, testUser("admin"));
    const bobSaw = recordEvents(bob);

    const ruleTurn = await ask(alice, "how do I read the chart");
    const { question, reply } = await ask(alice, "Hello, are heat pumps efficient in winter?");
    expect(reply).toMatchObject({ source: "fallback", body: FALLBACK_REPLY });
    expect(offersHandoff(reply)).toBe(true);

    const atAdmin = nextEvent(admin, "chat:inbox");
    const inOtherTab = nextEvent(aliceOtherTab, "chat:message", (m) => m.mode === "admin");
    const ack = await request(alice, "chat:handoff", { messageId: reply.id });
    if (!("data" in ack)) throw new Error(ack.error.message);
    const handedOver = ack.data.message;
    expect(handedOver).toMatchObject({ clientId: aliceUser.id, senderId: aliceUser.id, source: "client", mode: "admin" });
    expect(handedOver.body).toBe(
      [HANDOFF_HEADER, `Client: ${ruleTurn.question.body}`, `Bot: ${ruleTurn.reply.body.slice(0, 279)}…`, `Client: ${question.body}`].join("\n"),
    );
    expect(await atAdmin).toEqual({ clientId: aliceUser.id, username: "alice", lastMessage: handedOver, unread: 1, status: "open", assignee: null });
    expect(await inOtherTab).toEqual(handedOver);

    expect(ruleTurn.reply.body.length).toBeGreaterThan(280); // quoted cut short
    // The administrator opens it and sees the whole conversation, Bot turns included.
    const markedRead = nextEvent(admin, "chat:inbox", (entry) => entry.unread === 0);
    const opened = await request(admin, "chat:open", { clientId: aliceUser.id });
    if (!("data" in opened)) throw new Error(opened.error.message);
    await markedRead;
    expect(opened.data.messages.map((m) => m.id)).toEqual([ruleTurn.question.id, ruleTurn.reply.id, question.id, reply.id, handedOver.id]);

    // A second click (or a retry after a lost ack) sends nothing new.
    const adminSaw = recordEvents(admin);
    const again = await request(alice, "chat:handoff", { messageId: reply.id });
    expect(again).toEqual({ data: { message: handedOver } });
    await settle();
    expect([...adminSaw.keys()]).toEqual([]);
    expect([...bobSaw.keys()]).toEqual([]);
    closeAll(alice, aliceOtherTab, bob, admin);
  });

  it("is refused for a reply that offers no handoff, another client's reply, an administrator and a bad payload", async () => {
    const alice = await connectClient(chat.server.port, testUser("client"));
    const bob = await connectClient(chat.server.port, testUser("client"));
    const admin = await connectClient(chat.server.port, testUser("admin"));
    const adminSaw = recordEvents(admin);

    const answeredByRule = await ask(alice, "I forgot my password");
    expect(answeredByRule.reply.source).toBe("rule");
    expect(await request(alice, "chat:handoff", { messageId: answeredByRule.reply.id })).toMatchObject({ error: { code: "not_found" } });

    const bobsFallback = await ask(bob, "Is a heat pump cheaper to run at night?");
    expect(offersHandoff(bobsFallback.reply)).toBe(true);
    expect(await request(alice, "chat:handoff", { messageId: bobsFallback.reply.id })).toMatchObject({ error: { code: "not_found" } });

    expect(await request(admin, "chat:handoff", { messageId: bobsFallback.reply.id })).toMatchObject({ error: { code: "forbidden" } });
    expect(await request(alice, "chat:handoff", { messageId: "not-a-uuid" })).toEqual({
      error: { code: "bad_request", message: "messageId: messageId must be a UUID" },
    });
    await settle();
    expect([...adminSaw.keys()]).toEqual([]);
    closeAll(alice, bob, admin);
  });
});

describe("planHandoff", () => {
  const clientId = "0d9a3c2e-2f4b-4d55-9d1e-3f2a1b0c9d8e";
  let clock = Date.parse("2026-03-12T10:00:00.000Z");
  const message = (source: ChatMessage["source"], body: string, mode: ChatMessage["mode"] = "bot"): ChatMessage => ({
    id: `m${clock}`,
    clientId,
    senderId: source === "client" ? clientId : null,
    source,
    mode,
    body,
    createdAt: new Date((clock += 1_000)).toISOString(),
  });

  it("quotes the last Bot-mode turns before the offer, each cut short, within one message body", () => {
    const long = "x".repeat(1_000);
    const turns = Array.from({ length: 10 }, (_, i) => [message("client", `${i} ${long}`), message("ai", `${i} answer`)]).flat();
    const offer = message("fallback", FALLBACK_REPLY);
    const plan = planHandoff([message("client", "to the admins", "admin"), ...turns, offer], offer.id);
    if (plan.kind !== "hand_over") throw new Error(plan.kind);
    const lines = plan.body.split("\n");
    expect(lines[0]).toBe(HANDOFF_HEADER);
    expect(lines).toHaveLength(1 + HANDOFF_CONTEXT_MESSAGES);
    expect(lines[1]).toMatch(/^Client: 7 x+…$/);
    expect(lines.at(-1)).toBe("Bot: 9 answer");
    expect(plan.body.length).toBeLessThanOrEqual(MESSAGE_BODY_MAX_LENGTH);
  });

  it("sends nothing new once the client wrote to the administrators after the offer", () => {
    const offer = message("fallback", FALLBACK_REPLY);
    const written = message("client", "please call me", "admin");
    expect(planHandoff([message("client", "?"), offer, written], offer.id)).toEqual({ kind: "already_handed_over", message: written });
    expect(planHandoff([offer], "unknown")).toEqual({ kind: "not_offered" });
  });
});
