import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DEVELOPMENT_AUTH_SECRET, signSocketToken, TOKEN_ISSUER } from "@ems/auth/tokens";
import { consoleLogger } from "@ems/messaging";
import { tokenGate } from "./handshake.ts";
import { startChatServer } from "./server.ts";
import type { SessionFloors } from "./session-floors.ts";
import {
  apiToken,
  closeAll,
  connectClient,
  socketToken,
  TEST_AUTH_SECRET,
  TEST_SOCKET_KEYS,
  testChatConfig,
  testUser,
  useChatServer,
} from "./test-support.ts";
import type { ChatSocket } from "./types.ts";

const chat = useChatServer("handshake");

/** The `connect_error` a refused connection gets. */
async function refusal(promise: Promise<unknown>): Promise<Error & { data?: { code: string; message: string } }> {
  const error = await promise.then(
    () => {
      throw new Error("the connection was accepted");
    },
    (reason: unknown) => reason as Error & { data?: { code: string; message: string } },
  );
  return error;
}

// ASVS 5.0 V4.4.2: the Origin header of the WebSocket handshake is checked against an allow-list.
// ASVS 5.0 V4.4.3: a dedicated token, obtained through the authenticated web session, authenticates
// the WebSocket; it is short-lived and cannot be swapped with the REST token (distinct audiences).
describe("the Socket.IO handshake", () => {
  it("accepts a valid ems-socket token from an allowed origin, over WebSocket and long-polling", async () => {
    const user = testUser("client");
    const overWebSocket = await connectClient(chat.server.port, user);
    const overPolling = await connectClient(chat.server.port, user, { transports: ["polling"] });
    expect(overWebSocket.connected && overPolling.connected).toBe(true);
    closeAll(overWebSocket, overPolling);
  });

  it("ASVS V4.4.3 — refuses a connection without a token", async () => {
    const error = await refusal(connectClient(chat.server.port, null, { token: null }));
    expect(error.message).toBe("token_missing");
    expect(error.data?.code).toBe("token_missing");
  });

  it("ASVS V4.4.3 — refuses a malformed token and one signed with another key pair", async () => {
    const user = testUser("client");
    expect((await refusal(connectClient(chat.server.port, user, { token: "not-a-jwt" }))).message).toBe("token_invalid");
    const forged = await signSocketToken(user, generateKeyPairSync("ed25519").privateKey);
    expect((await refusal(connectClient(chat.server.port, user, { token: forged }))).message).toBe("token_invalid");
  });

  it("ASVS V4.4.3 — refuses an expired token, saying so (the client then asks the web app for a new one)", async () => {
    const user = testUser("client");
    const expired = await socketToken(user, -10);
    const error = await refusal(connectClient(chat.server.port, user, { token: expired }));
    expect(error.message).toBe("token_expired");
    expect(error.data?.message).toMatch(/expired/);
  });

  it("ASVS V4.4.3 — refuses a REST (ems-api) token: the audiences are not interchangeable", async () => {
    const user = testUser("admin");
    const restToken = await apiToken(user);
    expect((await refusal(connectClient(chat.server.port, user, { token: restToken }))).message).toBe("token_invalid");
  });

  it("ASVS V9.1.2 — refuses an admin socket token MAC'd with HS256, by AUTH_SECRET (as chat used to accept) or the development secret", async () => {
    const admin = testUser("admin");
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: admin.id, username: admin.username, role: "admin", sv: 1, iss: TOKEN_ISSUER, aud: "ems-socket", iat: now, exp: now + 120 };
    for (const secret of [TEST_AUTH_SECRET, DEVELOPMENT_AUTH_SECRET]) {
      const input = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`;
      const hs256 = `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
      expect((await refusal(connectClient(chat.server.port, admin, { token: hs256 }))).message).toBe("token_invalid");
    }
    // The control: the same claims signed with the web app's Ed25519 key open a socket.
    closeAll(await connectClient(chat.server.port, admin, { token: ed25519Token(claims) }));
  });

  it("ASVS V9.1.1 — refuses a well-signed token that carries no session version", async () => {
    const user = testUser("client");
    const now = Math.floor(Date.now() / 1000);
    const claims = { username: user.username, role: "client", iss: TOKEN_ISSUER, aud: "ems-socket", sub: user.id, iat: now, exp: now + 120 };
    // The control: the same claims with a session version open a socket.
    closeAll(await connectClient(chat.server.port, user, { token: ed25519Token({ ...claims, sv: 1 }) }));
    const withoutVersion = ed25519Token(claims);
    expect((await refusal(connectClient(chat.server.port, user, { token: withoutVersion }))).message).toBe("token_invalid");
  });

  it("ASVS V4.4.2 — refuses other origins and a missing Origin before Socket.IO runs (HTTP 403)", async () => {
    const user = testUser("client");
    for (const origin of ["http://evil.example", "http://localhost:3001", null]) {
      for (const transport of ["websocket", "polling"] as const) {
        const error = await refusal(connectClient(chat.server.port, user, { origin, transports: [transport] }));
        expect(error.message).toMatch(/websocket error|xhr poll error/);
      }
    }
  });

  it("fails to start when its port is taken, before opening any connection", async () => {
    await expect(startChatServer(testChatConfig(chat.queuePrefix, { port: chat.server.port }))).rejects.toThrow(/EADDRINUSE/);
  });

  it("answers the gateway's health check", async () => {
    const response = await fetch(`http://127.0.0.1:${chat.server.port}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok" });
    expect((await fetch(`http://127.0.0.1:${chat.server.port}/elsewhere`)).status).toBe(404);
  });
});

describe("tokenGate when the session floors cannot be read (chat database away)", () => {
  it("refuses the handshake as unavailable rather than admitting a token it could not check", async () => {
    const down = { isRevoked: () => Promise.reject(new Error("connection refused")) } as unknown as SessionFloors;
    const gate = tokenGate(TEST_SOCKET_KEYS.publicKey, down, consoleLogger("test-handshake", "error"));
    const socket = { handshake: { auth: { token: await socketToken(testUser("admin")) } }, data: {} } as unknown as ChatSocket;
    const error = await new Promise<(Error & { data?: { code: string } }) | undefined>((resolve) => gate(socket, resolve));
    expect(error?.message).toBe("unavailable");
    expect(error?.data?.code).toBe("unavailable");
    expect(socket.data.user).toBeUndefined();
  });
});

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** A JWT signed by hand with the web app's Ed25519 key (what @ems/auth's signSocketToken makes, with any claims). */
function ed25519Token(claims: object): string {
  const input = `${b64({ alg: "Ed25519", typ: "JWT" })}.${b64(claims)}`;
  return `${input}.${sign(null, Buffer.from(input), TEST_SOCKET_KEYS.privateKey).toString("base64url")}`;
}
