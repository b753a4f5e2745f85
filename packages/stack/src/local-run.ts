import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Runs every EMS process on this machine (no Docker): web, balancer, one monitoring replica per
 * partition, chat and the simulator, against the local PostgreSQL and RabbitMQ. Output is prefixed
 * with each process's name; Ctrl-C (SIGINT) or SIGTERM stops them all gracefully.
 */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export type Mode = "dev" | "start";

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  /** Ready when this URL answers 2xx, or when a line of output matches this pattern. */
  ready: { url: string } | { log: RegExp };
}

export interface LocalRunOptions {
  mode: Mode;
  partitionCount: number;
  webPort: number;
  chatPort: number;
  /** Device ids the simulator feeds (the seeded demo device by default). */
  simulatorDevices: string[];
  /** Simulated minutes per real second for the simulator. */
  simulatorSpeed: number;
}

const WORKER_READY = /\bready\b/i;

export function processSpecs(options: LocalRunOptions): ProcessSpec[] {
  const worker = (name: string, entry: string, args: string[] = []): ProcessSpec => ({
    name,
    command: process.execPath,
    args: ["--import", "tsx", path.join(repoRoot, "apps/workers/src", `${entry}.ts`), ...args],
    ready: { log: WORKER_READY },
  });
  return [
    {
      name: "web",
      command: "npm",
      args: ["run", options.mode, "-w", "@ems/web", "--", "-p", String(options.webPort)],
      ready: { url: `http://127.0.0.1:${options.webPort}/api/health` },
    },
    { ...worker("chat", "chat"), ready: { url: `http://127.0.0.1:${options.chatPort}/healthz` } },
    worker("balancer", "balancer"),
    ...Array.from({ length: options.partitionCount }, (_, i) => worker(`monitoring-${i}`, "monitoring", ["--partition", String(i)])),
    worker("simulator", "simulator", ["--devices", options.simulatorDevices.join(","), "--speed", String(options.simulatorSpeed)]),
  ];
}

const COLOURS = [36, 33, 35, 32, 34, 91, 96, 93];

export interface RunningProcess {
  spec: ProcessSpec;
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<number | null>;
}

export interface LocalRun {
  processes: RunningProcess[];
  /** Resolves when every process reports ready; rejects if one exits first. */
  ready: Promise<void>;
  /** SIGTERM to every process group, SIGKILL after `graceMs`; resolves with each exit code. */
  stop(graceMs?: number): Promise<Record<string, number | null>>;
}

export function startLocalRun(
  specs: ProcessSpec[],
  env: NodeJS.ProcessEnv,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): LocalRun {
  const width = Math.max(...specs.map((s) => s.name.length));
  const processes = specs.map((spec, index): RunningProcess => {
    const prefix = `\u001b[${COLOURS[index % COLOURS.length]}m${spec.name.padEnd(width)} |\u001b[0m`;
    // Own process group, so that stop() reaches npm's and tsx's children too.
    const child = spawn(spec.command, spec.args, { cwd: repoRoot, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let markReady: () => void = () => {};
    let failReady: (error: Error) => void = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    const onOutput = (chunk: Buffer) => {
      for (const line of chunk.toString().split(/\r?\n/)) {
        if (!line) continue;
        write(`${prefix} ${line}`);
        if ("log" in spec.ready && spec.ready.log.test(line)) markReady();
      }
    };
    child.stdout?.on("data", onOutput);
    child.stderr?.on("data", onOutput);
    const exited = new Promise<number | null>((resolve) => {
      child.on("exit", (code, signal) => {
        write(`${prefix} exited (${signal ?? `code ${code}`})`);
        failReady(new Error(`${spec.name} exited before it was ready`));
        resolve(code ?? (signal === "SIGTERM" || signal === "SIGINT" ? 0 : null));
      });
    });
    if ("url" in spec.ready) void pollUntilHealthy(spec.ready.url, exited).then(markReady, () => undefined);
    return { spec, child, ready, exited };
  });

  const stop = async (graceMs = 20_000) => {
    const signalGroup = (child: ChildProcess, signal: NodeJS.Signals) => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // Already gone.
      }
    };
    for (const p of processes) signalGroup(p.child, "SIGTERM");
    const timer = setTimeout(() => processes.forEach((p) => signalGroup(p.child, "SIGKILL")), graceMs);
    const codes = await Promise.all(processes.map((p) => p.exited));
    clearTimeout(timer);
    return Object.fromEntries(processes.map((p, i) => [p.spec.name, codes[i] ?? null]));
  };

  return { processes, ready: Promise.all(processes.map((p) => p.ready)).then(() => undefined), stop };
}

async function pollUntilHealthy(url: string, exited: Promise<unknown>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  while (!gone) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`exited before ${url} answered`);
}
