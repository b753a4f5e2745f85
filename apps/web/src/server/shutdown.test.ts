import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonOf, rest } from "../../test/rest.ts";
import { drainOnSignals, isDraining } from "./shutdown.ts";

describe("graceful shutdown (SIGTERM)", () => {
  afterEach(() => {
    process.removeAllListeners("SIGTERM");
    process.removeAllListeners("SIGINT");
    (globalThis as { __emsDraining?: boolean }).__emsDraining = false;
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
