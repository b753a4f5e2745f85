import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const helper = fileURLToPath(new URL("./stop-on-signals.ts", import.meta.url));
const started: ChildProcess[] = [];

afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/**
 * A process whose only shutdown path is `stopOnSignals`, with a stop that takes `stopMs` (or never
 * ends, or throws at once) and a deadline of `deadlineMs`; prints "ready" once its handlers are installed.
 */
function run(stopMs: number | "never" | "throws", deadlineMs: number) {
  const stop = {
    never: "() => new Promise(() => {})",
    throws: '() => { throw new Error("cannot close") }',
  }[String(stopMs)] ?? `() => new Promise((resolve) => setTimeout(resolve, ${stopMs}))`;
  const script = `
    const { stopOnSignals } = await import(${JSON.stringify(helper)});
    const log = { debug() {}, info: (m) => console.log(m), warn: (m) => console.log(m), error: (m) => console.log(m) };
    stopOnSignals(log, ${stop}, { deadlineMs: ${deadlineMs} });
    setInterval(() => {}, 1_000);
    console.log("ready");
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  started.push(child);
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", () => output.includes("ready") && resolve());
    child.once("exit", () => reject(new Error(`exited before ready: ${output}`)));
  });
  let firstSignalAt = 0;
  /** Sends `signal`; `exited` measures from the first one. */
  const signal = (name: NodeJS.Signals) => {
    firstSignalAt ||= Date.now();
    child.kill(name);
  };
  const exited = new Promise<{ code: number | null; afterMs: number; output: string }>((resolve) => {
    child.once("exit", (code) => resolve({ code, afterMs: Date.now() - firstSignalAt, output }));
  });
  return { signal, ready, exited };
}

describe("stopOnSignals (every process's one shutdown path)", () => {
  it("exits 0 once the stop has finished", async () => {
    const { signal, ready, exited } = run(300, 5_000);
    await ready;
    signal("SIGTERM");
    const { code, afterMs, output } = await exited;
    expect(code).toBe(0);
    expect(afterMs).toBeGreaterThanOrEqual(250);
    expect(output).toMatch(/SIGTERM: finishing in-flight work/);
  });

  it("exits 1 at once when the stop fails", async () => {
    const { signal, ready, exited } = run("throws", 20_000);
    await ready;
    signal("SIGTERM");
    const { code, afterMs, output } = await exited;
    expect(code).toBe(1);
    expect(afterMs).toBeLessThan(3_000);
    expect(output).toMatch(/stopping failed: cannot close/);
  });

  it("exits 1 at the deadline when the stop hangs", async () => {
    const { signal, ready, exited } = run("never", 1_000);
    await ready;
    signal("SIGTERM");
    const { code, afterMs, output } = await exited;
    expect(code).toBe(1);
    expect(afterMs).toBeGreaterThanOrEqual(900);
    expect(afterMs).toBeLessThan(5_000);
    expect(output).toMatch(/still stopping after 1 s/);
  });

  it("exits 1 at once on a second signal", async () => {
    const { signal, ready, exited } = run("never", 20_000);
    await ready;
    signal("SIGINT");
    await new Promise((resolve) => setTimeout(resolve, 200));
    signal("SIGINT");
    const { code, afterMs, output } = await exited;
    expect(code).toBe(1);
    expect(afterMs).toBeLessThan(3_000);
    expect(output).toMatch(/SIGINT again/);
  });
});
