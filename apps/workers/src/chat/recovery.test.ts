import type { ChildProcess } from "node:child_process";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseNameOf, withDatabaseName } from "@ems/db/databases";
import { databaseUrls } from "@ems/db/env";
import type { AckResponse, InboxEntry } from "@ems/contracts/socket";
import { UNAVAILABLE_MESSAGE } from "./handlers.ts";
import {
  TEST_SOCKET_PUBLIC_KEY_PEM,
  closeAll,
  connectClient,
  deleteTestTopology,
  freePort,
  nextEvent,
  request,
  startChatProcess,
  stopChatProcess,
  testUser,
  uniqueQueuePrefix,
  type ChatClient,
} from "./test-support.ts";

// Two real chat processes (src/chat.ts) sharing the Socket.IO Postgres adapter on this run's chat
// database, which then goes away under them: every connection to it is terminated (as a PostgreSQL
// restart does: "terminating connection due to administrator command") and new ones are refused for a
// while. Each process holds idle pool connections and the adapter's dedicated LISTEN connection.
const queuePrefix = uniqueQueuePrefix("recovery");
const chatDatabase = databaseNameOf(databaseUrls.chat);
const admin = new pg.Client({ connectionString: withDatabaseName(databaseUrls.chat, "postgres") });
const processes: ChildProcess[] = [];
let ports: number[] = [];

/** Cuts the chat database off: no new connections, every existing one terminated. */
async function takeChatDatabaseDown(): Promise<number> {
  await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(chatDatabase)} ALLOW_CONNECTIONS false`);
  const { rowCount } = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [chatDatabase]);
  return rowCount ?? 0;
}

async function bringChatDatabaseBack(): Promise<void> {
  await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(chatDatabase)} ALLOW_CONNECTIONS true`);
}

/**
 * Sends Admin-mode messages through `client` until `adminOnOther` (on the other process) receives one
 * as its inbox row: proves the message was stored and the adapter relayed the broadcast.
 */
async function untilRelayed(client: ChatClient, adminOnOther: ChatClient, timeoutMs: number): Promise<AckResponse<unknown>[]> {
  const deadline = Date.now() + timeoutMs;
  const acks: AckResponse<unknown>[] = [];
  for (let attempt = 1; ; attempt++) {
    const body = `after the outage #${attempt}`;
    const arrived = nextEvent(adminOnOther, "chat:inbox", (entry: InboxEntry) => entry.lastMessage.body === body, 1_500);
    arrived.catch(() => undefined);
    const ack = await request(client, "chat:send", { mode: "admin", body });
    acks.push(ack);
    if ("data" in ack && (await arrived.then(() => true, () => false))) return acks;
    if (Date.now() > deadline) throw new Error(`no message relayed to the other process within ${timeoutMs} ms: ${JSON.stringify(acks.slice(-3))}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  await admin.connect();
  ports = [await freePort(), await freePort()];
  for (const port of ports) {
    processes.push(await startChatProcess(port, { SOCKET_TOKEN_PUBLIC_KEY: TEST_SOCKET_PUBLIC_KEY_PEM, QUEUE_PREFIX: queuePrefix, LOG_LEVEL: "error" }));
  }
}, 90_000);

afterAll(async () => {
  await bringChatDatabaseBack().catch(() => undefined);
  await admin.end();
  for (const child of processes) child.kill("SIGKILL");
  await deleteTestTopology(queuePrefix);
});

describe("the chat database goes away and comes back", () => {
  it("keeps both chat processes up, answers {error} meanwhile, then stores and relays across processes again", async () => {
    const [port1, port2] = ports as [number, number];
    const [chat1, chat2] = processes as [ChildProcess, ChildProcess];
    const client = await connectClient(port1, testUser("client"));
    const adminOn2 = await connectClient(port2, testUser("admin"));
    try {
      // The adapter relays between the two processes before the outage (LISTEN set up on start).
      await untilRelayed(client, adminOn2, 15_000);

      expect(await takeChatDatabaseDown()).toBeGreaterThan(0);
      try {
        // Let the terminations reach both processes (an unhandled 'error' used to kill them here).
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        expect([chat1.exitCode, chat2.exitCode]).toEqual([null, null]);

        const during = await request(client, "chat:send", { mode: "admin", body: "during the outage" }, 10_000);
        expect(during).toEqual({ error: { code: "internal", message: UNAVAILABLE_MESSAGE } });
        expect([client.connected, adminOn2.connected]).toEqual([true, true]);
      } finally {
        await bringChatDatabaseBack();
      }

      // Stored again, and delivered on the other process: its LISTEN connection was re-established.
      await untilRelayed(client, adminOn2, 20_000);
      const history = await request(client, "chat:history", {});
      if (!("data" in history)) throw new Error(history.error.message);
      expect(history.data.messages.map((m) => m.body)).not.toContain("during the outage");
      expect(history.data.messages.at(-1)?.body).toMatch(/^after the outage #/);
      expect([chat1.exitCode, chat2.exitCode, client.connected, adminOn2.connected]).toEqual([null, null, true, true]);
    } finally {
      closeAll(client, adminOn2);
    }

    // And they still stop cleanly: nothing left holding the shutdown (e.g. a dead LISTEN connection).
    expect(await Promise.all([stopChatProcess(chat1, 20_000), stopChatProcess(chat2, 20_000)])).toEqual([0, 0]);
  }, 90_000);
});
