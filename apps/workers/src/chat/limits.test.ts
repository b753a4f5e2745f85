import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startChatServer, type ChatServer } from "./server.ts";
import { EVENT_COSTS } from "./socket-limits.ts";
import { ChatStore } from "./store.ts";
import { closeAll, connectClient, deleteTestTopology, request, testChatConfig, testUser, uniqueQueuePrefix, type ChatClient } from "./test-support.ts";

const queuePrefix = uniqueQueuePrefix("limits");
/** As the defaults (CHAT_SOCKET_BUDGET 60, 50 refusals), but refilling slowly so that counts are exact. */
const BUDGET = { capacity: 60, refillPerSecond: 0.5, refusalsBeforeDisconnect: 50 };
const MAX_SOCKETS = 10;
let server: ChatServer;
/** The same, but never disconnecting: every one of a flood's events gets its answer. */
let patient: ChatServer;

beforeAll(async () => {
  server = await startChatServer(testChatConfig(queuePrefix, { name: "limits", socketBudget: BUDGET, maxSocketsPerUser: MAX_SOCKETS }));
  patient = await startChatServer(
    testChatConfig(queuePrefix, { name: "limits-patient", socketBudget: { ...BUDGET, refusalsBeforeDisconnect: 100_000 }, maxSocketsPerUser: MAX_SOCKETS }),
  );
});

afterAll(async () => {
  await server.close();
  await patient.close();
  await deleteTestTopology(queuePrefix);
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Spies on every chat-database query method of the store and counts the calls made for `userId`. */
function countQueries(userId: string): () => number {
  const spies = ([
    "history", "clientUnread", "markReadByClient", "markReadByAdmin", "inbox", "inboxEntry", "addClientMessage", "addAdminReply", "botContext", "claim", "unassign", "setStatus",
  ] as const).map((method) =>
    vi.spyOn(ChatStore.prototype, method),
  );
  return () => spies.reduce((sum, spy) => sum + spy.mock.calls.filter((args) => args.some((arg) => arg === userId || (arg as { id?: string } | null)?.id === userId)).length, 0);
}

type Outcome = "data" | "rate_limited" | "other" | "no answer";

/** Emits `count` chat:history events at once (a client looping without waiting) and says how each was answered. */
async function flood(socket: ChatClient, count: number): Promise<Outcome[]> {
  const answers = await Promise.allSettled(Array.from({ length: count }, () => request(socket, "chat:history", {}, 5_000)));
  return answers.map((answer) => {
    if (answer.status === "rejected") return "no answer";
    const value = answer.value;
    if ("data" in value) return "data";
    return value.error.code === "rate_limited" ? "rate_limited" : "other";
  });
}

/** Most budget-paid events of `cost` a socket can have had in `elapsedMs` (bucket size plus refill). */
const maxAllowed = (cost: number, elapsedMs: number) => Math.floor((BUDGET.capacity + (BUDGET.refillPerSecond * elapsedMs) / 1000) / cost);

// ASVS 5.0 V2.4.1: anti-automation — every client → server event of a socket pays from a token bucket
// (costlier events cost more); over budget it is answered rate_limited without any database work, and a
// socket that keeps flooding is disconnected.
describe("ASVS V2.4.1 — the per-socket event budget", () => {
  it("answers a loop of 500 chat:history calls rate_limited after the budget; the database sees at most the budget's queries", async () => {
    const user = testUser("client");
    const socket = await connectClient(patient.port, user);
    const queries = countQueries(user.id);
    const started = Date.now();

    const outcomes = await flood(socket, 500);

    const allowed = maxAllowed(EVENT_COSTS["chat:history"], Date.now() - started);
    const served = outcomes.filter((outcome) => outcome === "data").length;
    expect(served).toBeGreaterThanOrEqual(BUDGET.capacity / EVENT_COSTS["chat:history"]); // 12: the burst is honoured
    expect(served).toBeLessThanOrEqual(allowed);
    // The budget's answers come first, then refusals (a trickle may refill); nothing else, nothing lost.
    expect(outcomes.slice(0, 12)).toEqual(Array(12).fill("data"));
    expect(outcomes.filter((outcome) => outcome === "rate_limited").length).toBe(500 - served);
    // Each served chat:history is two queries (the page and the unread count); refusals none.
    expect(queries()).toBe(2 * served);
    expect(queries()).toBeLessThanOrEqual(2 * allowed);
    expect(socket.connected).toBe(true);
    closeAll(socket);
  });

  it("disconnects a socket that keeps flooding far past its budget, after telling it rate_limited", async () => {
    const user = testUser("client");
    const socket = await connectClient(server.port, user);
    const queries = countQueries(user.id);
    const disconnected = new Promise<string>((resolve) => socket.once("disconnect", resolve));

    const outcomes = await flood(socket, 500);

    expect(await disconnected).toBe("io server disconnect");
    // Told (refusalsBeforeDisconnect + the last one) before being dropped; the rest were never dispatched.
    expect(outcomes.filter((outcome) => outcome === "rate_limited").length).toBe(BUDGET.refusalsBeforeDisconnect + 1);
    expect(outcomes.filter((outcome) => outcome === "other")).toEqual([]);
    // The budget's events did run (their answers may be lost with the disconnect), and nothing more.
    const allowed = maxAllowed(EVENT_COSTS["chat:history"], 10_000);
    expect(outcomes.filter((outcome) => outcome === "data").length).toBeLessThanOrEqual(allowed);
    expect(queries()).toBeLessThanOrEqual(2 * allowed);
  });

  it("covers fire-and-forget events too: a typing flood is dropped, then disconnected", async () => {
    const user = testUser("client");
    const socket = await connectClient(server.port, user);
    const disconnected = new Promise<string>((resolve) => socket.once("disconnect", resolve));
    for (let i = 0; i < 500; i++) socket.emit("chat:typing", { typing: i % 2 === 0 });
    expect(await disconnected).toBe("io server disconnect");
  });

  it("keeps budgets per socket: other users (and the flooder's other sockets) are unaffected", async () => {
    const flooder = testUser("client");
    const other = testUser("client");
    const [noisy, quiet, otherSocket] = await Promise.all([
      connectClient(patient.port, flooder),
      connectClient(patient.port, flooder),
      connectClient(patient.port, other),
    ]);
    await flood(noisy, 100);
    expect(await request(noisy, "chat:history", {})).toMatchObject({ error: { code: "rate_limited" } });
    expect(await request(otherSocket, "chat:history", {})).toHaveProperty("data");
    expect(await request(otherSocket, "chat:read", {})).toHaveProperty("data");
    expect(await request(quiet, "chat:history", {})).toHaveProperty("data");
    closeAll(noisy, quiet, otherSocket);
  });
});

/** The `connect_error` of a refused connection. */
function refusal(promise: Promise<ChatClient>): Promise<Error & { data?: { code: string; message: string } }> {
  return promise.then(
    (socket) => {
      socket.close();
      throw new Error("the connection was accepted");
    },
    (reason: unknown) => reason as Error & { data?: { code: string; message: string } },
  );
}

// ASVS 5.0 V13.1.2: the maximum of concurrent connections is defined (CHAT_MAX_SOCKETS_PER_USER, documented
// in the README) and so is the behaviour at the limit: a clear refusal, no resource taken. Also V2.4.1
// (many sockets would multiply the per-socket budget).
describe("ASVS V13.1.2 / V2.4.1 — concurrent sockets per user", () => {
  it("refuses the 11th socket of one user with too_many_sockets; other users are unaffected; a closed socket frees its place", async () => {
    const user = testUser("client");
    const sockets = await Promise.all(Array.from({ length: MAX_SOCKETS }, () => connectClient(server.port, user)));
    expect(sockets.every((socket) => socket.connected)).toBe(true);

    const error = await refusal(connectClient(server.port, user));
    expect(error.message).toBe("too_many_sockets");
    expect(error.data?.code).toBe("too_many_sockets");
    expect(error.data?.message).toMatch(/too many/i);
    // Over polling too (each transport is a handshake).
    expect((await refusal(connectClient(server.port, user, { transports: ["polling"] }))).message).toBe("too_many_sockets");

    const other = await connectClient(server.port, testUser("client"));
    const admin = await connectClient(server.port, testUser("admin"));
    expect(other.connected && admin.connected).toBe(true);
    expect(await request(sockets[0] as ChatClient, "chat:history", {})).toHaveProperty("data");

    // The place is given back once the server has seen the close.
    sockets.pop()?.close();
    await vi.waitFor(async () => {
      const again = await connectClient(server.port, user);
      sockets.push(again);
    }, { timeout: 5_000, interval: 100 });
    expect((await refusal(connectClient(server.port, user))).message).toBe("too_many_sockets");
    closeAll(...sockets, other, admin);
  });
});
