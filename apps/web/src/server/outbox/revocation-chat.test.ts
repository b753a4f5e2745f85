import { spawn, type ChildProcess } from "node:child_process";
import { createPublicKey, randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import amqp from "amqplib";
import { io as connect, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { socketTokenPrivateKey } from "@ems/auth/tokens";
import { queueNames } from "@ems/contracts/queues";
import type { ClientToServerEvents, InboxEntry, ServerToClientEvents } from "@ems/contracts/socket";
import type { Viewer } from "../viewer.ts";
import { startTcpProxy, type TcpProxy } from "../../../test/tcp-proxy.ts";
import type * as Fixtures from "../../../test/fixtures.ts";
import type * as Env from "~/env.ts";
import type * as Users from "../domain/users.ts";
import type * as Start from "./start.ts";

/**
 * The whole revocation path, for real: the web app's domain and outbox relay (this process, start.ts)
 * and the chat process (apps/workers/src/chat.ts, a child), both reaching RabbitMQ through one TCP proxy
 * that the test cuts — RabbitMQ is unreachable for everyone at the moment an admin is demoted.
 *
 * ASVS 5.0 V7.4.2: "Verify that the application terminates all active sessions when a user account is
 * disabled or deleted" (and, here, demoted). ASVS 5.0 V8.2.1 / V8.2.2: a socket keeps only the rights its
 * user still has: within 5 s of RabbitMQ being back, the demoted admin's open socket is out of `admins`,
 * and neither the token it cached before the demotion nor a fresh one gets it back in.
 */
type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

const prefix = `t.revocation-chat.${randomBytes(4).toString("hex")}.`;
const ORIGIN = "http://localhost:3000";
const workersRoot = fileURLToPath(new URL("../../../../workers/", import.meta.url));

let proxy: TcpProxy;
let chat: ChildProcess;
let chatPort: number;
// Types only (erased): the modules themselves are imported once the environment is set.
let modules: { env: typeof Env; fixtures: typeof Fixtures; users: typeof Users; start: typeof Start };

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function chatHealth(): Promise<{ rabbitmq?: string } | undefined> {
  return fetch(`http://127.0.0.1:${chatPort}/healthz`).then(
    (response) => (response.ok ? (response.json() as Promise<{ rabbitmq?: string }>) : undefined),
    () => undefined,
  );
}

beforeAll(async () => {
  proxy = await startTcpProxy(5672);
  const brokerUrl = `amqp://guest:guest@127.0.0.1:${proxy.port}`;
  /* eslint-disable no-restricted-properties -- test wiring, before the env module loads */
  process.env.QUEUE_PREFIX = prefix;
  process.env.RABBITMQ_URL = brokerUrl;
  /* eslint-enable no-restricted-properties */
  modules = {
    env: await import("~/env.ts"),
    fixtures: await import("../../../test/fixtures.ts"),
    users: await import("../domain/users.ts"),
    start: await import("./start.ts"),
  };
  await modules.start.startOutboxRelay({ relayDevices: false });

  // The chat process gets the public half of the key the web app signs with, and nothing else of its.
  const publicKey = createPublicKey(socketTokenPrivateKey(modules.env.env.SOCKET_TOKEN_PRIVATE_KEY)).export({ format: "pem", type: "spki" }).toString();
  chatPort = await freePort();
  chat = spawn(process.execPath, ["--import", "tsx", "src/chat.ts"], {
    cwd: workersRoot,
    stdio: ["ignore", "inherit", "inherit"],
    env: {
      // eslint-disable-next-line no-restricted-properties -- PATH and the test run's database URLs
      ...process.env,
      AUTH_SECRET: "",
      SOCKET_TOKEN_PUBLIC_KEY: publicKey,
      CHAT_HOST: "127.0.0.1",
      CHAT_PORT: String(chatPort),
      CHAT_ALLOWED_ORIGINS: ORIGIN,
      RABBITMQ_URL: brokerUrl,
      QUEUE_PREFIX: prefix,
      XAI_API_KEY: "",
      LOG_LEVEL: "warn",
    },
  });
  const deadline = Date.now() + 30_000;
  while ((await chatHealth())?.rabbitmq !== "connected") {
    if (chat.exitCode !== null || Date.now() > deadline) throw new Error("the chat process did not start");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 60_000);

afterAll(async () => {
  if (chat.exitCode === null) {
    const exited = new Promise((resolve) => chat.once("exit", resolve));
    chat.kill("SIGTERM");
    await exited;
  }
  await modules.start.stopOutboxRelay();
  await proxy.close();
  const connection = await amqp.connect("amqp://guest:guest@127.0.0.1:5672");
  const channel = await connection.createChannel();
  const names = queueNames(prefix);
  for (const queue of [names.sensorData, names.partition(0), names.partition(1), names.monitoringSync, names.deadLetter, names.chatNotifications]) {
    await channel.deleteQueue(queue);
  }
  await channel.deleteExchange(names.notificationsExchange);
  await connection.close();
});

/** A socket as the browser opens it, with the token the web app issued (no automatic reconnection: the test drives it). */
function open(token: string): Promise<Client> {
  const socket: Client = connect(`http://127.0.0.1:${chatPort}`, {
    path: "/socket.io",
    auth: { token },
    extraHeaders: { origin: ORIGIN },
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (error) => {
      socket.close();
      reject(error);
    });
  });
}

/** The socket token the web app issues to this session (chat.socketToken, as the browser asks for it). */
async function socketTokenOf(viewer: Viewer): Promise<string> {
  return (await modules.fixtures.callerFor(viewer).chat.socketToken()).token;
}

/** Whether `socket` is in `admins`: a client's Admin-mode message reaches every admin socket as a chat:inbox row. */
async function inAdmins(socket: Client, observer: Client, client: Client): Promise<boolean> {
  const seen: InboxEntry[] = [];
  const record = (entry: InboxEntry) => seen.push(entry);
  socket.on("chat:inbox", record);
  const atObserver = new Promise((resolve) => observer.once("chat:inbox", resolve));
  await client.timeout(5_000).emitWithAck("chat:send", { mode: "admin", body: "is anyone there?" });
  await atObserver;
  await new Promise((resolve) => setTimeout(resolve, 300));
  socket.off("chat:inbox", record);
  return seen.length > 0;
}

describe("ASVS V7.4.2 / V8.2.1 — a demoted admin's socket, with RabbitMQ unreachable at the moment of the demotion", () => {
  it("loses admins within 5 s of RabbitMQ coming back, and neither the cached token nor a new one gets it back in", async () => {
    const { createTestUser } = modules.fixtures;
    const [demoted, boss, client] = [await createTestUser("admin", "demoted"), await createTestUser("admin", "boss"), await createTestUser("client", "asker")];
    // The signed-in sessions (a new account's session version is 1).
    const demotedSession: Viewer = { ...demoted, sessionVersion: 1 };
    const cached = await socketTokenOf(demotedSession);
    const [demotedSocket, observer, clientSocket] = [await open(cached), await open(await socketTokenOf(boss)), await open(await socketTokenOf(client))];
    try {
      expect(await inAdmins(demotedSocket, observer, clientSocket)).toBe(true);

      await proxy.cut();
      await expect.poll(async () => (await chatHealth())?.rabbitmq, { timeout: 10_000 }).toBe("reconnecting");
      await expect.poll(() => modules.start.outboxRelayStatus()?.brokerConnected, { timeout: 10_000 }).toBe(false);

      // The demotion succeeds; its announcement waits in the auth database's outbox.
      await modules.users.updateUser(boss, { id: demoted.id, role: "client" });
      const disconnected = new Promise<number>((resolve) => demotedSocket.once("disconnect", () => resolve(Date.now())));
      // The outage goes on long enough for every reconnection and relay backoff to grow.
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      // What chat cannot know while nothing reaches it: the socket is still connected.
      expect(demotedSocket.connected).toBe(true);

      await proxy.restore();
      const back = Date.now();
      const droppedAt = await Promise.race([disconnected, new Promise<number>((resolve) => setTimeout(() => resolve(Number.POSITIVE_INFINITY), 15_000))]);
      expect(droppedAt - back).toBeLessThan(5_000);

      // The token cached before the demotion (role admin, session version 1) opens nothing now.
      await expect(open(cached)).rejects.toMatchObject({ message: "token_revoked" });
      // The old session gets no new token either; the user's next session gets a client's.
      await expect(socketTokenOf(demotedSession)).rejects.toMatchObject({ code: "UNAUTHORIZED" });
      const again = await open(await socketTokenOf({ ...demoted, role: "client", sessionVersion: 2 }));
      try {
        expect(await inAdmins(again, observer, clientSocket)).toBe(false);
      } finally {
        again.close();
      }
    } finally {
      for (const socket of [demotedSocket, observer, clientSocket]) socket.close();
      await proxy.restore().catch(() => undefined);
    }
  }, 90_000);
});
