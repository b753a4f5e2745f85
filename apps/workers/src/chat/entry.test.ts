import { afterAll, describe, expect, it } from "vitest";
import {
  TEST_ORIGIN,
  TEST_SOCKET_PUBLIC_KEY_PEM,
  connectClient,
  deleteTestTopology,
  freePort,
  request,
  startChatProcess,
  stopChatProcess,
  testUser,
  uniqueQueuePrefix,
} from "./test-support.ts";

const queuePrefix = uniqueQueuePrefix("entry");

afterAll(async () => {
  await deleteTestTopology(queuePrefix);
});

describe("the chat process (src/chat.ts)", () => {
  it("starts from its environment, serves sockets, and exits cleanly on SIGTERM", async () => {
    const port = await freePort();
    const child = await startChatProcess(port, {
      SOCKET_TOKEN_PUBLIC_KEY: TEST_SOCKET_PUBLIC_KEY_PEM,
      CHAT_ALLOWED_ORIGINS: `${TEST_ORIGIN}, http://other.example`,
      QUEUE_PREFIX: queuePrefix,
    });
    try {
      const socket = await connectClient(port, testUser("client"));
      expect(await request(socket, "chat:send", { mode: "admin", body: "hello" })).toMatchObject({ data: { message: { body: "hello" } } });
      const disconnected = new Promise((resolve) => socket.once("disconnect", resolve));
      expect(await stopChatProcess(child)).toBe(0);
      await disconnected;
    } finally {
      child.kill("SIGKILL");
    }
  }, 60_000);

  it("refuses to start with a SOCKET_TOKEN_PUBLIC_KEY that is not an Ed25519 public key", async () => {
    await expect(startChatProcess(await freePort(), { SOCKET_TOKEN_PUBLIC_KEY: "short", QUEUE_PREFIX: queuePrefix })).rejects.toThrow(/exited with 1/);
  }, 60_000);
});
