// Helpers for the chat tests and the chat benchmark: in-process servers and signed-in socket.io clients.
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import amqp from "amqplib";
import { afterAll, beforeAll } from "vitest";
import { io as connect, type Socket } from "socket.io-client";
import { deleteTopology } from "@ems/messaging";
import { queueNames } from "@ems/contracts/queues";
import { signApiToken, signSocketToken, type Role, type TokenSubject } from "@ems/auth/tokens";
import { databaseUrls } from "@ems/db/env";
import { SOCKET_PATH, type AckResponse, type ChatMessage, type ChatMode, type ClientToServerEvents, type ServerToClientEvents } from "@ems/contracts/socket";
import type { ChatServerConfig } from "./config.ts";
import { startChatServer, type ChatServer } from "./server.ts";

export type ChatClient = Socket<ServerToClientEvents, ClientToServerEvents>;

export const TEST_ORIGIN = "http://localhost:3000";
/**
 * The web app's socket-token key pair, for this test run: tokens are signed with the private key (as the
 * web app does), the chat servers get the public key only.
 */
export const TEST_SOCKET_KEYS = generateKeyPairSync("ed25519");
export const TEST_SOCKET_PUBLIC_KEY_PEM = TEST_SOCKET_KEYS.publicKey.export({ format: "pem", type: "spki" }).toString();
/** The web app's AUTH_SECRET of this run: chat never has it; tests use it to make tokens chat must refuse. */
export const TEST_AUTH_SECRET = randomBytes(32).toString("hex");

/** A fresh queue prefix: every test file (and benchmark run) gets its own RabbitMQ names. */
export function uniqueQueuePrefix(label: string): string {
  return `t.chat-${label}.${randomBytes(4).toString("hex")}.`;
}

const TEST_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672";

/** Removes the queues and exchange a test run declared under its prefix. */
export async function deleteTestTopology(queuePrefix: string): Promise<void> {
  const connection = await amqp.connect(TEST_RABBITMQ_URL);
  try {
    // Up to the default partition count: chat processes started from the environment (entry test,
    // benchmark) declare both partition queues. Deleting a queue that does not exist is a no-op.
    await deleteTopology(await connection.createChannel(), queueNames(queuePrefix), 2);
  } finally {
    await connection.close();
  }
}

export function testChatConfig(queuePrefix: string, overrides: Partial<ChatServerConfig> = {}): ChatServerConfig {
  return {
    port: 0,
    host: "127.0.0.1",
    socketTokenPublicKey: TEST_SOCKET_KEYS.publicKey,
    allowedOrigins: [TEST_ORIGIN],
    adapterDatabaseUrl: databaseUrls.chat,
    ai: { apiKey: undefined, baseUrl: "http://127.0.0.1:9/v1", model: "grok-test", timeoutMs: 1_000, ratePerMinute: 100 },
    sendRatePerMinute: 1_000,
    // Generous: the other tests send bursts; the limits have their own test (limits.test.ts).
    socketBudget: { capacity: 10_000, refillPerSecond: 1_000, refusalsBeforeDisconnect: 10_000 },
    maxSocketsPerUser: 1_000,
    rabbitmq: { url: TEST_RABBITMQ_URL, queuePrefix, partitionCount: 1, prefetch: 50 },
    logLevel: "error",
    ...overrides,
  };
}

/**
 * One in-process chat server for a test file, on a queue prefix of its own: started before the file's
 * tests, closed (and its topology deleted) after them. `server` is the running one; `restart` replaces it
 * with a new process-like instance on the same databases and queues.
 */
export function useChatServer(label: string) {
  const queuePrefix = uniqueQueuePrefix(label);
  let current: ChatServer | undefined;
  beforeAll(async () => {
    current = await startChatServer(testChatConfig(queuePrefix));
  });
  afterAll(async () => {
    await current?.close();
    await deleteTestTopology(queuePrefix);
  });
  return {
    queuePrefix,
    get server(): ChatServer {
      if (!current) throw new Error("the chat server has not started");
      return current;
    },
    async restart(): Promise<void> {
      await current?.close();
      current = await startChatServer(testChatConfig(queuePrefix));
    },
  };
}

/** Lets in-flight broadcasts arrive before asserting that something did NOT arrive. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

/** An acknowledgement's data; an error saying why when it was refused. */
export function dataOf<T>(answer: AckResponse<T>): T {
  if (!("data" in answer)) throw new Error(`refused: ${answer.error.code} ${answer.error.message}`);
  return answer.data;
}

/** `chat:send` from this socket; the stored message. */
export async function sendMessage(socket: ChatClient, mode: ChatMode, body: string): Promise<ChatMessage> {
  return dataOf(await request(socket, "chat:send", { mode, body })).message;
}

export function testUser(role: Role, username = `${role}-${randomBytes(3).toString("hex")}`): TokenSubject {
  return { id: randomUUID(), username, role, sessionVersion: 1 };
}

export interface ConnectOptions {
  /** Default: a valid "ems-socket" token for the user; null: no token at all. */
  token?: string | null;
  origin?: string | null;
  transports?: ("websocket" | "polling")[];
  /** auth.timeZone, as the web client sends the browser's; none by default. */
  timeZone?: string;
}

/** An "ems-socket" token for `user`, signed as the web app signs it. */
export function socketToken(user: TokenSubject, ttlSeconds?: number): Promise<string> {
  return signSocketToken(user, TEST_SOCKET_KEYS.privateKey, ttlSeconds);
}

/** A REST ("ems-api") token for `user`, as the web app signs it (HS256, AUTH_SECRET): chat must refuse it. */
export function apiToken(user: TokenSubject): Promise<string> {
  return signApiToken(user, TEST_AUTH_SECRET);
}

/** A connected client, or rejects with the `connect_error`. Reconnection is off: tests see every refusal. */
export async function connectClient(port: number, user: TokenSubject | null, options: ConnectOptions = {}): Promise<ChatClient> {
  const token = options.token === undefined ? (user ? await socketToken(user) : null) : options.token;
  const origin = options.origin === undefined ? TEST_ORIGIN : options.origin;
  const socket: ChatClient = connect(`http://127.0.0.1:${port}`, {
    path: SOCKET_PATH,
    auth: { ...(token === null ? {} : { token }), ...(options.timeZone === undefined ? {} : { timeZone: options.timeZone }) },
    extraHeaders: origin === null ? {} : { origin },
    transports: options.transports ?? ["websocket"],
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

/** Emits an acknowledged event and returns the server's answer (rejects if none comes in time). */
export function request<E extends keyof ClientToServerEvents>(
  socket: ChatClient,
  event: E,
  payload: unknown,
  timeoutMs = 5_000,
): Promise<Parameters<ClientToServerEvents[E]>[1] extends (response: infer R) => void ? R : AckResponse<never>> {
  const emitter = socket.timeout(timeoutMs) as unknown as { emitWithAck(event: string, ...args: unknown[]): Promise<never> };
  return emitter.emitWithAck(event, payload);
}

/** The next `event` on `socket` (optionally the next one matching `filter`). */
export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: ChatClient,
  event: E,
  filter: (payload: Parameters<ServerToClientEvents[E]>[0]) => boolean = () => true,
  timeoutMs = 5_000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  type Payload = Parameters<ServerToClientEvents[E]>[0];
  const target = socket as unknown as { on(event: string, l: (p: Payload) => void): void; off(event: string, l: (p: Payload) => void): void };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      target.off(event, listener);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: Payload) => {
      if (!filter(payload)) return;
      clearTimeout(timer);
      target.off(event, listener);
      resolve(payload);
    };
    target.on(event, listener);
  });
}

/** Everything `socket` receives from now on, by event name (to assert what a socket must never see). */
export function recordEvents(socket: ChatClient): Map<string, unknown[]> {
  const seen = new Map<string, unknown[]>();
  socket.onAny((event: string, ...args: unknown[]) => {
    seen.set(event, [...(seen.get(event) ?? []), ...args]);
  });
  return seen;
}

export function closeAll(...sockets: (ChatClient | undefined)[]): void {
  for (const socket of sockets) socket?.close();
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

/**
 * Runs the real chat entry (src/chat.ts) as a child process on 127.0.0.1:`port`, with `env` added to
 * this process's environment, and resolves once it answers its health check.
 */
export async function startChatProcess(port: number, env: Record<string, string>): Promise<ChildProcess> {
  const entry = fileURLToPath(new URL("../chat.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    stdio: ["ignore", "inherit", "inherit"],
    // eslint-disable-next-line no-restricted-properties -- the child inherits PATH and the test database URLs
    env: { ...process.env, CHAT_HOST: "127.0.0.1", CHAT_PORT: String(port), LOG_LEVEL: "warn", XAI_API_KEY: "", ...env },
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the chat process exited with ${child.exitCode}`);
    const healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.ok, () => false);
    if (healthy) return child;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("the chat process did not become healthy within 30 s");
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** SIGTERM, then the exit code (SIGKILL after `graceMs`, reported as null). */
export async function stopChatProcess(child: ChildProcess, graceMs = 10_000): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}
