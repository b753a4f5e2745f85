// `npm run bench:chat -- --clients 1000 [--admins 3] [--messages 2] [--seconds 10] [--servers 1]`
//
// Starts the real chat process(es) (src/chat.ts) on loopback against fresh test databases and a
// private RabbitMQ prefix, connects N signed-in clients and a few administrators, and has every
// client write `--messages` Admin-mode messages at random moments within `--seconds`. Every
// administrator must receive every client message; one administrator answers each, and the client
// must receive that reply. Latency is measured from emit to arrival (same clock, one process).
// The last line is one JSON object: {"clients","messages","delivered","lost","p50Ms","p99Ms"}.
import type { ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { z } from "zod";
import { signSocketToken, type TokenSubject } from "@ems/auth/tokens";
import { createTestDatabases, dropTestDatabases, type TestDatabaseUrls } from "@ems/db/testing";
import { io as connect } from "socket.io-client";
import { SOCKET_PATH, type ChatMessage } from "@ems/contracts/socket";
import { deleteTestTopology, freePort, request, startChatProcess, stopChatProcess, type ChatClient } from "./test-support.ts";

const argsSchema = z.object({
  clients: z.coerce.number().int().min(1).max(5_000).default(1_000),
  admins: z.coerce.number().int().min(1).max(20).default(3),
  messages: z.coerce.number().int().min(1).max(100).default(2),
  seconds: z.coerce.number().min(1).max(120).default(10),
  servers: z.coerce.number().int().min(1).max(4).default(1),
});

const { values } = parseArgs({
  options: {
    clients: { type: "string" },
    admins: { type: "string" },
    messages: { type: "string" },
    seconds: { type: "string" },
    servers: { type: "string" },
  },
});
const options = argsSchema.parse(values);

const ORIGIN = "http://localhost:3000";
/** The benchmark stands in for the web app: it signs the socket tokens; the chat processes get the public key. */
const SOCKET_KEYS = generateKeyPairSync("ed25519");
const QUEUE_PREFIX = `t.bench-chat.${randomBytes(4).toString("hex")}.`;
/** After the last send: how long deliveries may still arrive before they count as lost. */
const DRAIN_MS = 10_000;
const CONNECT_BATCH = 100;
const WARM_UP_CLIENTS = 200;
const WARM_UP_MS = 2_000;

const log = (line: string) => console.log(`bench:chat ${line}`);

async function connectUser(port: number, user: TokenSubject): Promise<ChatClient> {
  const token = await signSocketToken(user, SOCKET_KEYS.privateKey);
  const socket: ChatClient = connect(`http://127.0.0.1:${port}`, {
    path: SOCKET_PATH,
    auth: { token },
    extraHeaders: { origin: ORIGIN },
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("connect timeout")), 30_000);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once("connect_error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

async function run(): Promise<void> {
  let databases: TestDatabaseUrls | undefined;
  const children: ChildProcess[] = [];
  const sockets: ChatClient[] = [];
  try {
    databases = await createTestDatabases("benchchat");
    const ports = await Promise.all(Array.from({ length: options.servers }, () => freePort()));
    for (const port of ports) {
      children.push(
        await startChatProcess(port, {
          NODE_ENV: "production",
          SOCKET_TOKEN_PUBLIC_KEY: SOCKET_KEYS.publicKey.export({ format: "pem", type: "spki" }).toString(),
          CHAT_ALLOWED_ORIGINS: ORIGIN,
          CHAT_DATABASE_URL: databases.chat,
          QUEUE_PREFIX,
          // The benchmark sets its own pace; flood protection is tested elsewhere.
          CHAT_SEND_RATE_PER_MINUTE: "10000",
          // Its few admin sockets reply to every client: a human's per-socket budget would throttle them.
          CHAT_SOCKET_BUDGET: "100000",
          CHAT_SOCKET_BUDGET_REFILL_PER_SECOND: "10000",
        }),
      );
    }
    // Figures depend on what else the machine runs: say how busy it was.
    log(`${options.servers} chat process(es) on ${ports.join(", ")}; load average ${loadavg().map((load) => load.toFixed(1)).join(" ")}`);

    const clients = Array.from({ length: options.clients }, (_, i): TokenSubject => ({ id: randomUUID(), username: `bench-client-${i}`, role: "client", sessionVersion: 1 }));
    const admins = Array.from({ length: options.admins }, (_, i): TokenSubject => ({ id: randomUUID(), username: `bench-admin-${i}`, role: "admin", sessionVersion: 1 }));
    const portFor = (i: number) => ports[i % ports.length] ?? 0;

    const connectStarted = performance.now();
    const adminSockets = await Promise.all(admins.map((admin, i) => connectUser(portFor(i + 1), admin)));
    const clientSockets: ChatClient[] = [];
    for (let start = 0; start < clients.length; start += CONNECT_BATCH) {
      const batch = clients.slice(start, start + CONNECT_BATCH);
      clientSockets.push(...(await Promise.all(batch.map((client, i) => connectUser(portFor(start + i), client)))));
    }
    sockets.push(...adminSockets, ...clientSockets);
    log(`connected ${clientSockets.length} clients and ${adminSockets.length} admins in ${Math.round(performance.now() - connectStarted)} ms`);

    // body → emit time; each delivery removes one expected arrival.
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const ackLatencies: number[] = [];
    let messages = 0;
    let expected = 0;
    let delivered = 0;
    let misdelivered = 0;
    let refused = 0;
    const clientIndex = new Map(clients.map((client, i) => [client.id, i]));

    const arrived = (body: string) => {
      const at = sentAt.get(body);
      if (at === undefined) return;
      latencies.push(performance.now() - at);
      delivered++;
    };

    adminSockets.forEach((socket, adminIndex) => {
      // Administrators get each Admin-mode client message as its conversation's inbox row.
      socket.on("chat:inbox", ({ lastMessage }) => {
        if (lastMessage.source !== "client") return;
        arrived(lastMessage.body);
        const index = clientIndex.get(lastMessage.clientId);
        // One administrator answers each message (spread by client), the others only read it.
        if (index === undefined || index % admins.length !== adminIndex) return;
        const body = `re:${lastMessage.body}`;
        if (sentAt.has(lastMessage.body)) {
          sentAt.set(body, performance.now());
          messages++;
          expected++;
        }
        void request(socket, "chat:reply", { clientId: lastMessage.clientId, body }, 30_000).then(
          (ack) => {
            if ("error" in ack) refused++;
          },
          () => refused++,
        );
      });
    });
    clientSockets.forEach((socket, index) => {
      socket.on("chat:message", (message: ChatMessage) => {
        if (message.source !== "admin") return;
        if (/^re:[cw](\d+):/.exec(message.body)?.[1] !== String(index)) misdelivered++;
        arrived(message.body);
      });
    });

    /** The first `senders` clients each write `perClient` Admin-mode messages at random moments within the window. */
    const exchange = (senders: number, perClient: number, windowMs: number, measured: boolean) =>
      clientSockets.slice(0, senders).flatMap((socket, index) =>
        Array.from(
          { length: perClient },
          (_, seq) =>
            new Promise<void>((resolve) => {
              setTimeout(() => {
                const body = `${measured ? "c" : "w"}${index}:${seq}`;
                const emittedAt = performance.now();
                if (measured) {
                  sentAt.set(body, emittedAt);
                  messages++;
                  expected += admins.length;
                }
                request(socket, "chat:send", { mode: "admin", body }, 30_000).then(
                  (ack) => {
                    if (measured) ackLatencies.push(performance.now() - emittedAt);
                    if ("error" in ack) refused++;
                    resolve();
                  },
                  () => {
                    refused++;
                    resolve();
                  },
                );
              }, Math.random() * windowMs);
            }),
        ),
      );

    // Warm-up, not measured: the processes' first queries, JIT compilation, pool connections.
    await Promise.all(exchange(WARM_UP_CLIENTS, 1, WARM_UP_MS, false));
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const sendStarted = performance.now();
    const sends = exchange(clientSockets.length, options.messages, options.seconds * 1000, true);
    await Promise.all(sends);
    const drainDeadline = performance.now() + DRAIN_MS;
    while (delivered < expected && performance.now() < drainDeadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const elapsedS = (performance.now() - sendStarted) / 1000;

    latencies.sort((a, b) => a - b);
    ackLatencies.sort((a, b) => a - b);
    log(
      `${messages} messages (${Math.round(messages / elapsedS)}/s), ${delivered}/${expected} deliveries, ` +
        `${refused} refused, ${misdelivered} misdelivered, delivery p90 ${round(percentile(latencies, 90))} ms, max ${round(latencies.at(-1) ?? 0)} ms; ` +
        `send ack p50 ${round(percentile(ackLatencies, 50))} ms, p99 ${round(percentile(ackLatencies, 99))} ms`,
    );
    console.log(
      JSON.stringify({
        clients: options.clients,
        messages,
        delivered,
        lost: expected - delivered + misdelivered,
        p50Ms: round(percentile(latencies, 50)),
        p99Ms: round(percentile(latencies, 99)),
      }),
    );
  } finally {
    for (const socket of sockets) socket.close();
    await Promise.all(children.map(stopChatProcess));
    await deleteTestTopology(QUEUE_PREFIX).catch(() => undefined);
    if (databases) await dropTestDatabases(databases);
  }
}

await run();
