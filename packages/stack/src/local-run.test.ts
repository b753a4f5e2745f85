import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import amqp from "amqplib";
import { describe, expect, it } from "vitest";
import { queueNames } from "@ems/contracts/queues";
import { deleteTopology } from "@ems/messaging";
import { DEFAULT_RESTART_POLICY, processSpecs, repoRoot, restartDelay } from "./local-run.ts";

/** Collects a child's output; `seen(pattern)` resolves once it has appeared. */
function watchOutput(child: ChildProcess) {
  let output = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const check of listeners) check();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  return {
    get text() {
      return output;
    },
    seen(pattern: RegExp, timeoutMs: number) {
      return new Promise<RegExpExecArray>((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; output:\n${output.slice(-4000)}`));
        }, timeoutMs);
        const check = () => {
          const match = pattern.exec(output);
          if (!match) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(match);
        };
        listeners.add(check);
        check();
      });
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("the web process's signal handling", () => {
  const web = (mode: "dev" | "start") =>
    processSpecs({ mode, partitionCount: 1, webPort: 3000, chatPort: 4000, simulatorDevices: [], simulatorSpeed: 1 }).find((spec) => spec.name === "web");
  it("under npm start is the app's own (it stops its outbox relays and broker), as in the image", () => {
    expect(web("start")?.env).toEqual({ NEXT_MANUAL_SIG_HANDLE: "true" });
    expect(web("dev")?.env).toBeUndefined();
  });
});

describe("restart backoff (as Swarm's restart policy)", () => {
  it("starts at 1 s, doubles up to 30 s, and starts over after a minute up", () => {
    const delays: number[] = [];
    let previous: number | undefined;
    for (let i = 0; i < 8; i++) delays.push((previous = restartDelay(DEFAULT_RESTART_POLICY, previous, 500)));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    expect(restartDelay(DEFAULT_RESTART_POLICY, 30_000, 59_999)).toBe(30_000);
    expect(restartDelay(DEFAULT_RESTART_POLICY, 30_000, 60_000)).toBe(1_000);
  });
});

/**
 * The runner's supervision with two tiny processes instead of EMS: "flaky" exits with 3 on its first
 * two starts (then stays up), "steady" stays up. Driven through the same functions as run.ts
 * (startLocalRun with a restart policy, stopRunsOnSignals), in a process of its own that gets SIGTERM.
 */
describe("local run supervision", () => {
  it("restarts a process that exits, with doubling delays, and stops everything on SIGTERM", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "ems-local-run-"));
    const localRun = fileURLToPath(new URL("./local-run.ts", import.meta.url));
    // Counts its starts in a file; exits with 3 on the first `exitOnStarts` of them, else stays up.
    const tiny = (name: string, exitOnStarts: number) => `
      const fs = require("node:fs");
      const file = ${JSON.stringify(path.join(dir, name))};
      const n = (fs.existsSync(file) ? Number(fs.readFileSync(file, "utf8")) : 0) + 1;
      fs.writeFileSync(file, String(n));
      console.log("start " + n + " pid " + process.pid + " ready");
      if (n <= ${exitOnStarts}) setTimeout(() => process.exit(3), 150);
      else setInterval(() => {}, 1000);
      process.on("SIGTERM", () => { console.log("got SIGTERM"); process.exit(0); });
    `;
    const driver = `
      const { startLocalRun, stopRunsOnSignals } = await import(${JSON.stringify(localRun)});
      const spec = (name, code) => ({ name, command: process.execPath, args: ["-e", code], ready: { log: /ready/ } });
      const specs = [spec("flaky", ${JSON.stringify(tiny("flaky", 2))}), spec("steady", ${JSON.stringify(tiny("steady", 0))})];
      const restart = { firstDelayMs: 200, maxDelayMs: 400, resetAfterMs: 60000 };
      stopRunsOnSignals([startLocalRun(specs, process.env, undefined, { restart })]);
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", driver], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    const output = watchOutput(child);
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await output.seen(/flaky\s*\|.* flaky exited with 3; restarting in 0\.2 s/, 10_000);
      await output.seen(/flaky\s*\|.* flaky exited with 3; restarting in 0\.4 s/, 10_000);
      const [, flakyPid] = await output.seen(/flaky\s*\|.* start 3 pid (\d+) ready/, 10_000);
      const [, steadyPid] = await output.seen(/steady\s*\|.* start 1 pid (\d+) ready/, 10_000);
      // Started three times, and then left alone: up and not restarted again.
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(output.text).not.toMatch(/start 4/);
      expect(output.text).not.toMatch(/steady exited/);
      expect([isAlive(Number(flakyPid)), isAlive(Number(steadyPid))]).toEqual([true, true]);

      child.kill("SIGTERM");
      await output.seen(/all processes stopped cleanly/, 15_000);
      expect(await exited).toBe(0);
      expect(output.text.match(/got SIGTERM/g)).toHaveLength(2);
      expect([isAlive(Number(flakyPid)), isAlive(Number(steadyPid))]).toEqual([false, false]);
    } finally {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      }
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/**
 * `npm run dev` as a newcomer runs it: every process must report healthy (web's /api/health, chat's
 * /healthz, each worker's ready line), then one SIGINT must stop them all with exit code 0. Uses this
 * test run's databases, its own queue prefix and its own ports, so it never meets a developer's system.
 */
describe("local run (npm run dev)", () => {
  it("brings every process to healthy and stops them all cleanly on Ctrl-C", async () => {
    const prefix = `stack-smoke-${randomBytes(3).toString("hex")}.`;
    const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "packages/stack/src/run.ts"), "dev"], {
      cwd: repoRoot,
      env: {
        // eslint-disable-next-line no-restricted-properties -- the runner inherits the test databases' URLs
        ...process.env,
        QUEUE_PREFIX: prefix,
        WEB_PORT: "3190",
        // Not 4190: the Fetch standard blocks that port (ManageSieve).
        CHAT_PORT: "4290",
        CHAT_ALLOWED_ORIGINS: "http://localhost:3190",
        SIMULATOR_SPEED: "600",
        NEXT_TELEMETRY_DISABLED: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const seen = (pattern: RegExp, timeoutMs: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${output.slice(-4000)}`)), timeoutMs);
        const check = () => {
          if (pattern.test(output)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout.on("data", (chunk: Buffer) => ((output += chunk.toString()), check()));
        child.stderr.on("data", (chunk: Buffer) => ((output += chunk.toString()), check()));
        check();
      });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await seen(/EMS is up: 6 processes ready/, 150_000);
      for (const name of ["web", "chat", "balancer", "monitoring-0", "monitoring-1", "simulator"]) {
        expect(output).toMatch(new RegExp(`${name}\\s*\\|`));
      }
      child.kill("SIGINT");
      await seen(/all processes stopped cleanly/, 40_000);
      expect(await exited).toBe(0);
    } finally {
      // Never SIGKILL the runner first: its process groups would outlive it.
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
      }
      const connection = await amqp.connect("amqp://guest:guest@127.0.0.1:5672");
      await deleteTopology(await connection.createChannel(), queueNames(prefix), 2);
      await connection.close();
    }
  });
});
