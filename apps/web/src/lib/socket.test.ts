import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ClientToServerEvents, ServerToClientEvents } from "@ems/contracts/socket";
import { connectRealtime, retryDelayMs, SignedOutError, socketRequest, SocketRequestError, type ConnectionState, type EmsSocket } from "./socket.ts";

/** A Socket.IO server with the chat process's kind of handshake gate: refuses some tokens with a code. */
async function startServer(refusalFor: (token: unknown) => string | null) {
  const http = createServer();
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(http, { path: "/socket.io" });
  const tokensSeen: unknown[] = [];
  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    tokensSeen.push(token);
    const refusal = refusalFor(token);
    next(refusal ? new Error(refusal) : undefined);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return { io, url, tokensSeen, close: () => io.close() };
}

type TestServer = Awaited<ReturnType<typeof startServer>>;

let server: TestServer | undefined;
let stop: (() => void) | undefined;
afterEach(async () => {
  stop?.();
  await server?.close();
  server = undefined;
  stop = undefined;
});

/** Connects like the browser does, numbering the tokens it is issued: token-1, token-2, ... */
function connect(url: string, issue: (n: number) => Promise<string> = (n) => Promise.resolve(`token-${n}`)) {
  const states: ConnectionState[] = [];
  let socket: EmsSocket | undefined;
  let issued = 0;
  stop = connectRealtime({
    fetchHandshake: async () => ({ token: await issue(++issued), url, path: "/socket.io" }),
    onSocket: (created) => (socket = created),
    onState: (state) => states.push(state),
  });
  return { states, socket: () => socket, issued: () => issued };
}

describe("connectRealtime", () => {
  it("asks for a fresh token after a refusal (e.g. an expired one) and connects with it", async () => {
    server = await startServer((token) => (token === "token-1" ? "token_expired" : null));
    const client = connect(server.url);
    await vi.waitFor(() => expect(client.states.at(-1)).toBe("connected"), { timeout: 5_000 });
    expect(server.tokensSeen).toEqual(["token-1", "token-2"]);
    expect(client.states).toEqual(["connecting", "reconnecting", "connected"]);
  });

  it("comes back by itself, with a new token, when the server drops the connection", async () => {
    server = await startServer(() => null);
    const client = connect(server.url);
    await vi.waitFor(() => expect(client.states.at(-1)).toBe("connected"), { timeout: 5_000 });
    server.io.disconnectSockets(true);
    await vi.waitFor(() => expect(server?.tokensSeen).toEqual(["token-1", "token-2"]), { timeout: 5_000 });
    await vi.waitFor(() => expect(client.states.at(-1)).toBe("connected"), { timeout: 5_000 });
    expect(client.states).toContain("reconnecting");
  });

  it("stops trying once the session has ended", async () => {
    server = await startServer(() => "token_expired");
    const client = connect(server.url, (n) => (n === 1 ? Promise.resolve("token-1") : Promise.reject(new SignedOutError("signed out"))));
    await vi.waitFor(() => expect(client.states.at(-1)).toBe("signed-out"), { timeout: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(client.issued()).toBe(2);
    expect(client.socket()?.active).toBe(false);
  });
});

describe("socketRequest", () => {
  it("resolves with the ack's data, rejects with the server's error, and refuses while disconnected", async () => {
    server = await startServer(() => null);
    server.io.on("connection", (socket) => {
      socket.on("chat:history", (_payload, ack) => ack({ data: { messages: [], unread: 2 } }));
      socket.on("chat:read", (_payload, ack) => ack({ error: { code: "forbidden", message: "Administrators answer with chat:reply" } }));
    });
    const client = connect(server.url);
    await vi.waitFor(() => expect(client.states.at(-1)).toBe("connected"), { timeout: 5_000 });
    const socket = client.socket() as EmsSocket;

    await expect(socketRequest(socket, "chat:history", { limit: 10 })).resolves.toEqual({ messages: [], unread: 2 });
    await expect(socketRequest(socket, "chat:read", {})).rejects.toMatchObject({ code: "forbidden", message: "Administrators answer with chat:reply" });
    socket.disconnect();
    await expect(socketRequest(socket, "chat:history", {})).rejects.toBeInstanceOf(SocketRequestError);
  });
});

describe("retryDelayMs", () => {
  it("doubles up to 15 s, with jitter in the upper half", () => {
    expect(retryDelayMs(0, () => 0)).toBe(500);
    expect(retryDelayMs(0, () => 1)).toBe(1_000);
    expect(retryDelayMs(3, () => 1)).toBe(8_000);
    expect(retryDelayMs(10, () => 0)).toBe(7_500);
    expect(retryDelayMs(10, () => 1)).toBe(15_000);
  });
});
