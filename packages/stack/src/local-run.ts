import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Runs every EMS process on this machine (no Docker): web, balancer, PARTITION_COUNT monitoring
 * replicas (elastic: they claim the partitions among themselves), chat and the simulator, against the
 * local PostgreSQL and RabbitMQ. Output is prefixed with each process's name; a process that exits on
 * its own is restarted with backoff (as Swarm's restart policy would), and only Ctrl-C (SIGINT) or
 * SIGTERM stops them all, gracefully.
 */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export type Mode = "dev" | "start";

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  /** Ready when this URL answers 2xx, or when a line of output matches this pattern. */
  ready: { url: string } | { log: RegExp };
  /** Added to the environment the runner passes on (not NodeJS.ProcessEnv: Next.js makes NODE_ENV required there). */
  env?: Record<string, string>;
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
  /** Chat's read-only connections for the AI's tools (the ems_chat_bot role), as in the stack. */
  chatBotDatabaseUrls?: { device: string; monitoring: string };
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
      // As in the image: Next.js's own signal handler would exit at once; the app's stops its outbox
      // relays and broker first (apps/web/src/server/shutdown.ts). `next dev` keeps its own handling.
      ...(options.mode === "start" ? { env: { NEXT_MANUAL_SIG_HANDLE: "true" } } : {}),
    },
    {
      ...worker("chat", "chat"),
      ready: { url: `http://127.0.0.1:${options.chatPort}/healthz` },
      ...(options.chatBotDatabaseUrls
        ? {
            env: {
              CHAT_BOT_DEVICE_DATABASE_URL: options.chatBotDatabaseUrls.device,
              CHAT_BOT_MONITORING_DATABASE_URL: options.chatBotDatabaseUrls.monitoring,
            },
          }
        : {}),
    },
    worker("balancer", "balancer"),
    // PARTITION_COUNT replicas; each claims its partition(s) by itself (elastic), as in the Swarm stack.
    ...Array.from({ length: options.partitionCount }, (_, i) => worker(`monitoring-${i}`, "monitoring")),
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

/**
 * When a process exits on its own, it is started again after a delay that starts at `firstDelayMs`
 * and doubles with every exit up to `maxDelayMs`; a process that stayed up `resetAfterMs` is
 * considered healthy again, and its next exit waits `firstDelayMs` (Swarm: restart_policy delay/window).
 */
export interface RestartPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
  resetAfterMs: number;
}

/** `npm run dev` / `npm start`: 1 s, 2 s, 4 s, … 30 s; back to 1 s after a minute up. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = { firstDelayMs: 1_000, maxDelayMs: 30_000, resetAfterMs: 60_000 };

/** The delay before the next start of a process that exited after `uptimeMs`, its previous restart having waited `previousDelayMs`. */
export function restartDelay(policy: RestartPolicy, previousDelayMs: number | undefined, uptimeMs: number): number {
  if (previousDelayMs === undefined || uptimeMs >= policy.resetAfterMs) return policy.firstDelayMs;
  return Math.min(previousDelayMs * 2, policy.maxDelayMs);
}

/** One process of a local run, kept running: `current` is the latest start of it. */
export interface SupervisedProcess {
  spec: ProcessSpec;
  readonly current: RunningProcess;
  /** How many times it has been started again after exiting on its own. */
  readonly restarts: number;
  /**
   * Resolves when a start of it first reports ready; rejects if it is stopped first or, without a
   * restart policy, if it exits first.
   */
  ready: Promise<void>;
  /**
   * Stops it for good: no more restarts; SIGTERM, SIGKILL after `graceMs`. Resolves with its exit code
   * (0 after a clean stop); when it was waiting to be restarted, with the code of its last exit.
   */
  stop(graceMs?: number): Promise<number | null>;
}

export interface LocalRun {
  processes: SupervisedProcess[];
  /** Resolves when every process reports ready; rejects if one exits first (without a restart policy) or is stopped. */
  ready: Promise<void>;
  /** SIGTERM to every process group, SIGKILL after `graceMs`; resolves with each exit code. */
  stop(graceMs?: number): Promise<Record<string, number | null>>;
}

/** "exited with 1", "exited on SIGKILL": how a child ended, for the log. */
function describeExit(child: ChildProcess): string {
  return child.signalCode ? `exited on ${child.signalCode}` : `exited with ${child.exitCode}`;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/**
 * A process's readiness, settled from outside (Promise.withResolvers needs Node 22). Callers that only
 * wait for the exit must not see an unhandled rejection, so one handler is attached here.
 */
function readiness(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve: () => void = () => {};
  let reject: (error: Error) => void = () => {};
  const promise = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * Starts one process in its own process group (so that signals reach npm's and tsx's children too),
 * prefixing each line of its output. `logExit: false` leaves saying how it exited to the caller.
 */
export function startProcess(
  spec: ProcessSpec,
  env: NodeJS.ProcessEnv,
  write: (line: string) => void,
  prefix = `${spec.name} |`,
  { logExit = true }: { logExit?: boolean } = {},
): RunningProcess {
  const child = spawn(spec.command, spec.args, { cwd: repoRoot, env: { ...env, ...spec.env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const { promise: ready, resolve: markReady, reject: failReady } = readiness();
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
      if (logExit) write(`${prefix} exited (${signal ?? `code ${code}`})`);
      failReady(new Error(`${spec.name} exited before it was ready`));
      resolve(code ?? (signal === "SIGTERM" || signal === "SIGINT" ? 0 : null));
    });
    // Could not be started at all (e.g. the command is missing): there will be no 'exit'.
    child.on("error", (error) => {
      write(`${prefix} ${error.message}`);
      if (child.pid !== undefined) return;
      failReady(new Error(`${spec.name} could not be started: ${error.message}`));
      resolve(null);
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

/**
 * Starts a process and, with a restart policy, starts it again whenever it exits without having been
 * asked to stop, logging "<name> exited with <code>; restarting in <n> s".
 */
export function superviseProcess(
  spec: ProcessSpec,
  env: NodeJS.ProcessEnv,
  write: (line: string) => void,
  prefix = `${spec.name} |`,
  restart?: RestartPolicy,
): SupervisedProcess {
  let current: RunningProcess;
  let restarts = 0;
  let stopping = false;
  let lastDelayMs: number | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  const { promise: ready, resolve: markReady, reject: failReady } = readiness();

  const start = () => {
    const startedAt = Date.now();
    const running = startProcess(spec, env, write, prefix, { logExit: restart === undefined });
    current = running;
    running.ready.then(markReady, (error: Error) => {
      if (restart === undefined) failReady(error);
    });
    if (restart === undefined) return;
    void running.exited.then(() => {
      if (stopping) {
        write(`${prefix} exited (${running.child.signalCode ?? `code ${running.child.exitCode}`})`);
        return;
      }
      const delay = restartDelay(restart, lastDelayMs, Date.now() - startedAt);
      lastDelayMs = delay;
      write(`${prefix} ${spec.name} ${describeExit(running.child)}; restarting in ${formatSeconds(delay)}`);
      restartTimer = setTimeout(() => {
        if (stopping) return;
        // Anything the old process left behind in its group (npm's or tsx's children) goes first.
        if (running.child.pid !== undefined) {
          try {
            process.kill(-running.child.pid, "SIGKILL");
          } catch {
            // Nothing left.
          }
        }
        restarts++;
        start();
      }, delay);
    });
  };
  start();

  return {
    spec,
    get current() {
      return current;
    },
    get restarts() {
      return restarts;
    },
    ready,
    async stop(graceMs = 20_000) {
      stopping = true;
      clearTimeout(restartTimer);
      failReady(new Error(`${spec.name} was stopped before it was ready`));
      // Waiting to be restarted: its last exit is what there is to report.
      return current.child.exitCode !== null || current.child.signalCode !== null ? current.exited : stopProcess(current, graceMs);
    },
  };
}

export interface StartLocalRunOptions {
  /** For a run started in stages: the prefix width and first colour, so all lines line up. */
  width?: number;
  firstColour?: number;
  /** Restart processes that exit on their own (default: no restarts; the run's `ready` then fails). */
  restart?: RestartPolicy;
}

export function startLocalRun(
  specs: ProcessSpec[],
  env: NodeJS.ProcessEnv,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  options: StartLocalRunOptions = {},
): LocalRun {
  const width = options.width ?? Math.max(...specs.map((s) => s.name.length));
  const processes = specs.map((spec, index) => {
    const colour = COLOURS[((options.firstColour ?? 0) + index) % COLOURS.length];
    return superviseProcess(spec, env, write, `\u001b[${colour}m${spec.name.padEnd(width)} |\u001b[0m`, options.restart);
  });
  // If the runner itself exits (even on an uncaught error), its children must not live on.
  process.once("exit", () => processes.forEach((p) => signalProcess(p.current, "SIGTERM")));
  const stop = async (graceMs = 20_000) => {
    const codes = await Promise.all(processes.map((p) => p.stop(graceMs)));
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

/**
 * The runner's only way to stop (its processes are restarted otherwise): on SIGINT (Ctrl-C) or
 * SIGTERM, stops every run in `runs` — the last started first, so that producers stop before what
 * they feed — says how each ended, and exits 0 if all stopped cleanly, else 1. A second signal kills
 * what is left at once and exits 1. `runs` may grow after this is called (a run started in stages).
 */
export function stopRunsOnSignals(runs: LocalRun[], log: (line: string) => void = (line) => console.log(line)): { readonly stopping: boolean } {
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`${signal} again: killing what is left`);
      for (const run of runs) for (const p of run.processes) signalProcess(p.current, "SIGKILL");
      process.exit(1);
    }
    stopping = true;
    const count = runs.reduce((sum, run) => sum + run.processes.length, 0);
    log(`\n${signal}: stopping ${count} processes…`);
    const codes: Record<string, number | null> = {};
    for (const run of [...runs].reverse()) Object.assign(codes, await run.stop());
    const failed = Object.entries(codes).filter(([, code]) => code !== 0);
    log(failed.length ? `stopped; not clean: ${failed.map(([n, c]) => `${n} (${c})`).join(", ")}` : "all processes stopped cleanly");
    process.exit(failed.length ? 1 : 0);
  };
  process.on("SIGINT", (signal) => void shutdown(signal));
  process.on("SIGTERM", (signal) => void shutdown(signal));
  return {
    get stopping() {
      return stopping;
    },
  };
}
