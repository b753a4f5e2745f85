import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage } from "@ems/contracts/socket";
import { offersHandoff } from "@ems/contracts/socket";
import { DECLINED_REPLY, FALLBACK_REPLY, HANDOFF_TOOL_NAME, RATE_LIMITED_REPLY, SYSTEM_PROMPT } from "./bot/bot.ts";
import { startFakeAiServer, type FakeAiServer } from "./bot/fake-ai-server.ts";
import { startChatServer, type ChatServer } from "./server.ts";
import {
  closeAll,
  connectClient,
  deleteTestTopology,
  nextEvent,
  request,
  testChatConfig,
  testUser,
  uniqueQueuePrefix,
  type ChatClient,
} from "./test-support.ts";

const queuePrefix = uniqueQueuePrefix("bot");
const AI_TIMEOUT_MS = 400;
const AI_RATE_PER_MINUTE = 3;
let fakeAi: FakeAiServer;
let withAi: ChatServer;
let withoutKey: ChatServer;

beforeAll(async () => {
  fakeAi = await startFakeAiServer();
  withAi = await startChatServer(
    testChatConfig(queuePrefix, {
      ai: { apiKey: "test-xai-key", baseUrl: fakeAi.baseUrl, model: "grok-test", timeoutMs: AI_TIMEOUT_MS, ratePerMinute: AI_RATE_PER_MINUTE },
    }),
  );
  withoutKey = await startChatServer(testChatConfig(queuePrefix));
});

afterAll(async () => {
  await Promise.all([withAi.close(), withoutKey.close(), fakeAi.close()]);
  await deleteTestTopology(queuePrefix);
});

/** Sends a Bot-mode question and returns the stored question and the bot's reply. */
async function ask(socket: ChatClient, body: string): Promise<{ question: ChatMessage; reply: ChatMessage }> {
  const reply = nextEvent(socket, "chat:message", (m) => m.source !== "client", 5_000);
  const ack = await request(socket, "chat:send", { mode: "bot", body });
  if (!("data" in ack)) throw new Error(`chat:send refused: ${ack.error.message}`);
  return { question: ack.data.message, reply: await reply };
}

describe("Bot mode", () => {
  it("answers a keyword question from its rules, without asking the AI", async () => {
    const socket = await connectClient(withAi.port, testUser("client"));
    const requestsBefore = fakeAi.requests.length;
    const { question, reply } = await ask(socket, "  I forgot my PASSWORD, what now?  ");
    expect(question).toMatchObject({ source: "client", mode: "bot", body: "I forgot my PASSWORD, what now?" });
    expect(reply).toMatchObject({ source: "rule", mode: "bot", clientId: question.clientId, senderId: null });
    expect(reply.body).toMatch(/administrator can set a new/);
    expect(reply.createdAt > question.createdAt).toBe(true);
    expect(fakeAi.requests.length).toBe(requestsBefore);

    // Both are stored, in order.
    const history = await request(socket, "chat:history", {});
    expect("data" in history && history.data.messages.map((m) => m.id)).toEqual([question.id, reply.id]);
    closeAll(socket);
  });

  it("asks Grok through the OpenAI-compatible API when no rule matches, with the EMS system prompt and context", async () => {
    const socket = await connectClient(withAi.port, testUser("client"));
    fakeAi.behave({ kind: "answer", content: "Solar panels lower your grid consumption." });
    await ask(socket, "hello there"); // a rule answer, which becomes context for the AI
    const { reply } = await ask(socket, "Are solar panels worth it?");
    expect(reply).toMatchObject({ source: "ai", body: "Solar panels lower your grid consumption." });

    const sent = fakeAi.requests.at(-1);
    expect(sent?.path).toBe("/v1/chat/completions");
    expect(sent?.authorization).toBe("Bearer test-xai-key");
    expect(sent?.body.model).toBe("grok-test");
    expect(sent?.body.messages[0]).toEqual({ role: "system", content: SYSTEM_PROMPT });
    expect(sent?.body.messages.slice(1).map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(sent?.body.messages.at(-1)).toEqual({ role: "user", content: "Are solar panels worth it?" });
    closeAll(socket);
  });

  it("sends a greeting with a real question to the AI, not the canned greeting", async () => {
    const socket = await connectClient(withAi.port, testUser("client"));
    fakeAi.behave({ kind: "answer", content: "Yes, modern heat pumps work well down to -15 °C." });
    const { reply } = await ask(socket, "Hello, are heat pumps efficient in winter?");
    expect(reply).toMatchObject({ source: "ai", body: "Yes, modern heat pumps work well down to -15 °C." });
    closeAll(socket);
  });

  it("offers the handoff when the AI calls its handoff tool, i.e. says it cannot help", async () => {
    const socket = await connectClient(withAi.port, testUser("client"));
    fakeAi.behave({ kind: "tool_calls", calls: [{ name: HANDOFF_TOOL_NAME, arguments: { reason: "needs a contract change" } }] });
    const { reply } = await ask(socket, "Can you move my contract to my new flat?");
    expect(reply).toMatchObject({ source: "fallback", body: DECLINED_REPLY });
    expect(offersHandoff(reply)).toBe(true);
    expect(fakeAi.requests.at(-1)?.body.tools?.map((tool) => tool.function.name)).toContain(HANDOFF_TOOL_NAME);
    closeAll(socket);
  });

  it("falls back to a reply offering the handoff when the AI answers 500", async () => {
    const socket = await connectClient(withAi.port, testUser("client"));
    fakeAi.behave({ kind: "status", status: 500 });
    const { reply } = await ask(socket, "Are heat pumps efficient?");
    expect(reply).toMatchObject({ source: "fallback", body: FALLBACK_REPLY });
    expect(offersHandoff(reply)).toBe(true);
    expect(reply.body).toMatch(/Ask an administrator/);
    closeAll(socket);
  });

  it("falls back when the AI does not answer within the timeout", async () => {
    const socket = await connectClient(withAi.port, testUser("client"));
    fakeAi.behave({ kind: "hang" });
    const started = Date.now();
    const { reply } = await ask(socket, "Are heat pumps efficient?");
    expect(reply).toMatchObject({ source: "fallback", body: FALLBACK_REPLY });
    expect(Date.now() - started).toBeGreaterThanOrEqual(AI_TIMEOUT_MS - 50);
    expect(Date.now() - started).toBeLessThan(AI_TIMEOUT_MS + 2_000);
    closeAll(socket);
  });

  it("falls back without calling anything when no API key is configured", async () => {
    const socket = await connectClient(withoutKey.port, testUser("client"));
    const requestsBefore = fakeAi.requests.length;
    const { reply } = await ask(socket, "Are heat pumps efficient?");
    expect(reply).toMatchObject({ source: "fallback", body: FALLBACK_REPLY });
    expect(fakeAi.requests.length).toBe(requestsBefore);
    closeAll(socket);
  });

  it("limits AI questions per user and minute; rules keep answering", async () => {
    const socket = await connectClient(withAi.port, testUser("client"));
    const other = await connectClient(withAi.port, testUser("client"));
    fakeAi.behave({ kind: "answer", content: "an AI answer" });
    for (let i = 0; i < AI_RATE_PER_MINUTE; i++) {
      expect((await ask(socket, `Unmatched question number ${i}?`)).reply.source).toBe("ai");
    }
    expect((await ask(socket, "One question too many?")).reply).toMatchObject({ source: "fallback", body: RATE_LIMITED_REPLY });
    expect((await ask(socket, "What does my bill cost?")).reply.source).toBe("rule");
    // The limit is per user.
    expect((await ask(other, "Unmatched question?")).reply.source).toBe("ai");
    closeAll(socket, other);
  });
});
