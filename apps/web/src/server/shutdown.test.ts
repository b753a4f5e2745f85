import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonOf, rest } from "../../test/rest.ts";
import { drainOnSignals, isDraining } from "./shutdown.ts";

describe("graceful shutdown (SIGTERM)", () => {
  const servers: Server[] = [];
  afterEach(() => {
    process.removeAllListeners("SIGTERM");
    process.removeAllListeners("SIGINT");
    (globalThis as { __emsDraining?: boolean }).__emsDraining = false;
    for (const server of servers.splice(0)) server.closeAllConnections();
    vi.restoreAllMocks();
  });

  it("keeps serving while readiness answers 503 for the drain time, then stops the relay and exits 0", async () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const stop = vi.fn(() => Promise.resolve());
    drainOnSignals({ drainMs: 300, stop, log: () => undefined });
    expect((await rest.health()).status).toBe(200);

    process.emit("SIGTERM");
    expect(isDraining()).toBe(true);
    const draining = await rest.health();
    expect(draining.status).toBe(503);
    expect(((await jsonOf(draining)) as { status: string }).status).toBe("draining");
    // Still serving: liveness answers, and nothing has stopped yet.
    expect((await rest.live()).status).toBe(200);
    expect(stop).not.toHaveBeenCalled();

    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0), { timeout: 2_000 });
    expect(stop).toHaveBeenCalledOnce();
  });

  it("after the drain time, stops accepting connections and lets the requests in progress finish before stopping", async () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const stop = vi.fn(() => Promise.resolve());
    drainOnSignals({ drainMs: 100, stop, log: () => undefined });
    let answerSlowRequest: (() => void) | undefined;
    const server = createServer((request, response) => {
      if (request.url === "/slow") answerSlowRequest = () => response.end("done");
      else response.end("ok");
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const slow = fetch(`${url}/slow`);
    await vi.waitFor(() => expect(answerSlowRequest).toBeDefined());

    process.emit("SIGTERM");
    await vi.waitFor(() => expect(server.listening).toBe(false), { timeout: 2_000 });
    await expect(fetch(`${url}/`)).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stop).not.toHaveBeenCalled();
    expect(exit).not.toHaveBeenCalled();

    answerSlowRequest!();
    expect(await (await slow).text()).toBe("done");
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0), { timeout: 2_000 });
    expect(stop).toHaveBeenCalledOnce();
  });

  it("a second signal exits at once, without waiting for the drain", () => {
    vi.useFakeTimers();
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const stop = vi.fn(() => Promise.resolve());
    drainOnSignals({ drainMs: 60_000, stop, log: () => undefined });
    process.emit("SIGTERM");
    process.emit("SIGINT");
    expect(exit).toHaveBeenCalledWith(1);
    expect(stop).not.toHaveBeenCalled();
    vi.clearAllTimers();
    vi.useRealTimers();
  });
});
