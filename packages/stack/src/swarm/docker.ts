import { execFile, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** Runs the docker CLI and returns its standard output; an error carries docker's own message. */
export async function docker(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  if (options.input !== undefined) return dockerWithInput(args, options.input, options.timeoutMs ?? 120_000);
  try {
    const { stdout } = await execFileAsync("docker", args, { timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(`docker ${args.slice(0, 3).join(" ")}…: ${(stderr ?? "").trim() || message}`, { cause: error });
  }
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/** Runs one of the repository's operator scripts (e.g. docker/dlq.sh) as an operator would; its standard output. */
export async function runRepoScript(script: string, args: readonly string[], env: Record<string, string> = {}): Promise<string> {
  try {
    // env(1) adds the variables to this process's environment, which the child inherits.
    const assignments = Object.entries(env).map(([name, value]) => `${name}=${value}`);
    const { stdout } = await execFileAsync("env", [...assignments, "bash", script, ...args], { cwd: repoRoot, timeout: 120_000 });
    return stdout.trim();
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(`${script} ${args.join(" ")}: ${(stderr ?? "").trim() || message}`, { cause: error });
  }
}

function dockerWithInput(args: readonly string[], input: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("docker", args, { stdio: ["pipe", "pipe", "pipe"], timeout: timeoutMs });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(stdout.trim()) : reject(new Error(`docker ${args.slice(0, 3).join(" ")}… exited ${code}: ${stderr.trim()}`))));
    child.stdin.end(input);
  });
}

export interface Task {
  id: string;
  slot: number;
  /** Swarm's state: "running" only once the container's health check passed. */
  state: string;
  desiredState: string;
  containerId: string | undefined;
  /** Container port → the host port Swarm published it on (host-mode ports). */
  hostPorts: Map<number, number>;
}

interface TaskInspect {
  ID: string;
  Slot?: number;
  DesiredState: string;
  Status: { State: string; ContainerStatus?: { ContainerID?: string }; PortStatus?: { Ports?: { TargetPort: number; PublishedPort: number }[] } };
}

/** The tasks of a service that Swarm wants running (and, with `all`, those it is stopping too). */
export async function tasksOf(service: string, options: { all?: boolean } = {}): Promise<Task[]> {
  const ids = (await docker(["service", "ps", "-q", "--no-trunc", ...(options.all ? [] : ["--filter", "desired-state=running"]), service]))
    .split("\n")
    .filter(Boolean);
  if (ids.length === 0) return [];
  const inspected = JSON.parse(await docker(["inspect", "--type", "task", ...ids])) as TaskInspect[];
  return inspected.map((task) => ({
    id: task.ID,
    slot: task.Slot ?? 0,
    state: task.Status.State,
    desiredState: task.DesiredState,
    containerId: task.Status.ContainerStatus?.ContainerID || undefined,
    hostPorts: new Map((task.Status.PortStatus?.Ports ?? []).map((port) => [port.TargetPort, port.PublishedPort])),
  }));
}

/** `docker service ls`: service name → running and desired replica counts. */
export async function replicaCounts(stack: string): Promise<Map<string, { running: number; desired: number }>> {
  const lines = (await docker(["service", "ls", "--filter", `label=com.docker.stack.namespace=${stack}`, "--format", "{{.Name}} {{.Replicas}}"])).split("\n");
  const counts = new Map<string, { running: number; desired: number }>();
  for (const line of lines.filter(Boolean)) {
    const [name, replicas] = line.split(" ");
    const match = /^(\d+)\/(\d+)/.exec(replicas ?? "");
    if (name && match) counts.set(name, { running: Number(match[1]), desired: Number(match[2]) });
  }
  return counts;
}

/** The container of a running task of `service` (the one in `slot` when given). */
export async function containerOf(service: string, slot?: number): Promise<string> {
  const task = (await tasksOf(service)).find((t) => t.state === "running" && t.containerId && (slot === undefined || t.slot === slot));
  if (!task?.containerId) throw new Error(`no running task of ${service}${slot === undefined ? "" : ` in slot ${slot}`}`);
  return task.containerId;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 1_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : "";
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${reason}`);
    }
    await sleep(intervalMs);
  }
}
