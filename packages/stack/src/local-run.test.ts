import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import amqp from "amqplib";
import { describe, expect, it } from "vitest";
import { queueNames } from "@ems/contracts/queues";
import { deleteTopology } from "@ems/messaging";
import { repoRoot } from "./local-run.ts";

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
