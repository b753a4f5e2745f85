import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signToken } from "@ems/auth/tokens";
import { startChatServer, type ChatServer } from "./server.ts";
import { closeAll, connectClient, deleteTestTopology, socketToken, testChatConfig, testUser, uniqueQueuePrefix } from "./test-support.ts";

const queuePrefix = uniqueQueuePrefix("handshake");
let server: ChatServer;

beforeAll(async () => {
  server = await startChatServer(testChatConfig(queuePrefix));
});

afterAll(async () => {
  await server.close();
  await deleteTestTopology(queuePrefix);
});

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
    const overWebSocket = await connectClient(server.port, user);
    const overPolling = await connectClient(server.port, user, { transports: ["polling"] });
    expect(overWebSocket.connected && overPolling.connected).toBe(true);
    closeAll(overWebSocket, overPolling);
  });

  it("ASVS V4.4.3 — refuses a connection without a token", async () => {
    const error = await refusal(connectClient(server.port, null, { token: null }));
    expect(error.message).toBe("token_missing");
    expect(error.data?.code).toBe("token_missing");
  });

  it("ASVS V4.4.3 — refuses a malformed token and one signed with another secret", async () => {
    const user = testUser("client");
    expect((await refusal(connectClient(server.port, user, { token: "not-a-jwt" }))).message).toBe("token_invalid");
    const forged = await signToken(user, "ems-socket", "another-secret-of-at-least-32-characters!");
    expect((await refusal(connectClient(server.port, user, { token: forged }))).message).toBe("token_invalid");
  });

  it("ASVS V4.4.3 — refuses an expired token, saying so (the client then asks the web app for a new one)", async () => {
    const user = testUser("client");
    const expired = await socketToken(user, "ems-socket", -10);
    const error = await refusal(connectClient(server.port, user, { token: expired }));
    expect(error.message).toBe("token_expired");
    expect(error.data?.message).toMatch(/expired/);
  });

  it("ASVS V4.4.3 — refuses a REST (ems-api) token: the audiences are not interchangeable", async () => {
    const user = testUser("admin");
    const restToken = await socketToken(user, "ems-api");
    expect((await refusal(connectClient(server.port, user, { token: restToken }))).message).toBe("token_invalid");
  });

  it("ASVS V4.4.2 — refuses other origins and a missing Origin before Socket.IO runs (HTTP 403)", async () => {
    const user = testUser("client");
    for (const origin of ["http://evil.example", "http://localhost:3001", null]) {
      for (const transport of ["websocket", "polling"] as const) {
        const error = await refusal(connectClient(server.port, user, { origin, transports: [transport] }));
        expect(error.message).toMatch(/websocket error|xhr poll error/);
      }
    }
  });

  it("fails to start when its port is taken, before opening any connection", async () => {
    await expect(startChatServer(testChatConfig(queuePrefix, { port: server.port }))).rejects.toThrow(/EADDRINUSE/);
  });

  it("answers the gateway's health check", async () => {
    const response = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok" });
    expect((await fetch(`http://127.0.0.1:${server.port}/elsewhere`)).status).toBe(404);
  });
});
