import { mkdtempSync, statSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startHeartbeat } from "./heartbeat.ts";

describe("startHeartbeat", () => {
  it("refreshes the file while healthy and stops refreshing while not", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "ems-heartbeat-")), "beat");
    let healthy = false;
    const stop = startHeartbeat(() => healthy, file, 20);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(existsSync(file)).toBe(false);
    healthy = true;
    await new Promise((resolve) => setTimeout(resolve, 60));
    const first = statSync(file).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(statSync(file).mtimeMs).toBeGreaterThan(first);
    healthy = false;
    const last = statSync(file).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(statSync(file).mtimeMs).toBe(last);
    stop();
  });
});
