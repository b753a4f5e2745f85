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
  /** The simulator's --speed: simulated minutes per real minute, or "max". */
  simulatorSpeed: number | "max";
}

// Each worker logs one line like this once it consumes (or, for the simulator, publishes).
export const WORKER_READY = /\b(ready|consuming|forwarding|publishing)\b/i;

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
    {
      // Replays today from midnight UTC at the given speed, then continues live: the chart fills at once.
      ...worker("simulator", "simulator", [
        ...options.simulatorDevices.flatMap((id) => ["--device", id]),
        "--start",
        new Date(new Date().setUTCHours(0, 0, 0, 0)).toISOString(),
        "--speed",
        String(options.simulatorSpeed),
      ]),
      // The simulator announces what it is about to publish once connected.
      ready: { log: /device\(s\) from/ },
    },
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

/**
 * Starts one process in its own process group (so that signals reach npm's and tsx's children too),
 * prefixing each line of its output.
 */
export function startProcess(spec: ProcessSpec, env: NodeJS.ProcessEnv, write: (line: string) => void, prefix = `${spec.name} |`): RunningProcess {
  const child = spawn(spec.command, spec.args, { cwd: repoRoot, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let markReady: () => void = () => {};
  let failReady: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  // Callers that only wait for exit must not see an unhandled rejection.
  ready.catch(() => undefined);
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
}

/** Sends `signal` to the process's whole group, if it is still running. */
export function signalProcess(running: RunningProcess, signal: NodeJS.Signals): void {
  const { child } = running;
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (0 after a clean stop). */
export async function stopProcess(running: RunningProcess, graceMs = 20_000): Promise<number | null> {
  signalProcess(running, "SIGTERM");
  const timer = setTimeout(() => signalProcess(running, "SIGKILL"), graceMs);
  const code = await running.exited;
  clearTimeout(timer);
  return code;
}

export function startLocalRun(
  specs: ProcessSpec[],
  env: NodeJS.ProcessEnv,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  /** For a run started in stages: the prefix width and first colour, so all lines line up. */
  layout: { width?: number; firstColour?: number } = {},
): LocalRun {
  const width = layout.width ?? Math.max(...specs.map((s) => s.name.length));
  const processes = specs.map((spec, index) => {
    const colour = COLOURS[((layout.firstColour ?? 0) + index) % COLOURS.length];
    return startProcess(spec, env, write, `\u001b[${colour}m${spec.name.padEnd(width)} |\u001b[0m`);
  });
  // If the runner itself exits (even on an uncaught error), its children must not live on.
  process.once("exit", () => processes.forEach((p) => signalProcess(p, "SIGTERM")));
  const stop = async (graceMs = 20_000) => {
    const codes = await Promise.all(processes.map((p) => stopProcess(p, graceMs)));
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
