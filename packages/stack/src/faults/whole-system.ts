import { execFile } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { appendFileSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { io, type Socket } from "socket.io-client";
import { queueNames, type QueueNames } from "@ems/contracts/queues";
import { SOCKET_PATH, type AckResponse, type ClientToServerEvents, type ServerToClientEvents } from "@ems/contracts/socket";
import { DATABASES, DATABASE_URL_VARIABLES } from "@ems/db/databases";
import type { TestDatabaseUrls } from "@ems/db/testing";
import { Broker, declareTopology, deleteTopology } from "@ems/messaging";
import { DEFAULT_RESTART_POLICY, processSpecs, repoRoot, startLocalRun, type LocalRun } from "../local-run.ts";
import { mutation, type SignedIn } from "../swarm/ems-client.ts";
import type { FaultContext } from "./scenarios.ts";
import { sleep, waitUntil } from "./system.ts";

/**
 * The whole EMS as `npm start` runs it — web (`next start`, with its outbox relay), chat, the
 * balancer and two elastic monitoring replicas, each restarted with backoff if it exits — against the
 * fault run's test databases and a queue prefix of its own; plus the ways a real client reaches it:
 * REST and tRPC over HTTP (Bearer token or next-auth session cookie) and Socket.IO to chat.
 */

const PARTITIONS = 2;
const run = promisify(execFile);

/** Process name → its process id and how often the runner had to start it again. */
export type ProcessSnapshot = Map<string, { pid: number | undefined; restarts: number }>;

export interface WholeSystem {
  webUrl: string;
  chatUrl: string;
  names: QueueNames;
  /** Publishes readings as a meter would (confirmed; see publishReadings). */
  meter: Broker;
  admin: { username: string; password: string };
  snapshot(): ProcessSnapshot;
  stop(): Promise<void>;
}

/** The production build `next start` serves: the one there (CI's e2e tests make it first), else built once here. */
async function ensureWebBuild(ctx: FaultContext): Promise<void> {
  if (existsSync(path.join(repoRoot, "apps/web/.next/BUILD_ID"))) return;
  ctx.log.warn("no production build of the web app (apps/web/.next): running npm run build -w @ems/web once");
  await run("npm", ["run", "build", "-w", "@ems/web"], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

const ESCAPE = String.fromCharCode(27);

export async function startWholeSystem(ctx: FaultContext, urls: TestDatabaseUrls): Promise<WholeSystem> {
  await ensureWebBuild(ctx);
  const [webPort, chatPort] = [await freePort(), await freePort()];
  const webUrl = `http://127.0.0.1:${webPort}`;
  const queuePrefix = `faults.system.${randomBytes(3).toString("hex")}.`;
  const names = queueNames(queuePrefix);
  const socketKeys = generateKeyPairSync("ed25519");
  const admin = { username: "faults-admin", password: randomBytes(18).toString("base64url") };
  const env: NodeJS.ProcessEnv = {
    ...ctx.env,
    ...Object.fromEntries(DATABASES.map((name) => [DATABASE_URL_VARIABLES[name], urls[name]])),
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    QUEUE_PREFIX: queuePrefix,
    PARTITION_COUNT: String(PARTITIONS),
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    SOCKET_TOKEN_PRIVATE_KEY: socketKeys.privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    SOCKET_TOKEN_PUBLIC_KEY: socketKeys.publicKey.export({ format: "pem", type: "spki" }).toString(),
    NEXTAUTH_URL: webUrl,
    OUTBOX_RELAY: "on",
    OUTBOX_POLL_INTERVAL_MS: "200",
    ADMIN_USERNAME: admin.username,
    ADMIN_PASSWORD: admin.password,
    CHAT_PORT: String(chatPort),
    CHAT_ALLOWED_ORIGINS: webUrl,
    // A patient client re-sends what the chat refused while its database was away: more than a person types.
    CHAT_SEND_RATE_PER_MINUTE: "600",
    CHAT_SOCKET_BUDGET: "600",
    CHAT_SOCKET_BUDGET_REFILL_PER_SECOND: "50",
    XAI_API_KEY: "",
  };
  const specs = processSpecs({ mode: "start", partitionCount: PARTITIONS, webPort, chatPort, simulatorDevices: [], simulatorSpeed: 1 }).filter(
    (spec) => spec.name !== "simulator",
  );
  const write = (line: string) => appendFileSync(ctx.logFile, `system ${line.replaceAll(new RegExp(`${ESCAPE}\\[[0-9;]*m`, "g"), "")}\n`);
  const localRun: LocalRun = startLocalRun(specs, env, write, { restart: DEFAULT_RESTART_POLICY });
  const meter = new Broker({ url: ctx.rabbitmqUrl, name: "faults-system-meter", log: ctx.log, reconnectDelayMs: { initial: 100, max: 1_000 } });
  await meter.onConnect((channel) => declareTopology(channel, names, PARTITIONS));
  const stop = async () => {
    const codes = await localRun.stop(20_000);
    const unclean = Object.entries(codes).filter(([, code]) => code !== 0);
    if (unclean.length) ctx.log.warn(`system processes not stopped cleanly: ${unclean.map(([name, code]) => `${name} (${code})`).join(", ")}`);
    await meter.onConnect((channel) => deleteTopology(channel, names, PARTITIONS)).catch(() => undefined);
    await meter.close();
  };
  try {
    await meter.start();
    await Promise.race([localRun.ready, sleep(120_000).then(() => Promise.reject(new Error("the system was not ready in 120 s")))]);
  } catch (error) {
    await stop();
    throw new Error(`the whole system did not start (see ${ctx.logFile})`, { cause: error });
  }
  return {
    webUrl,
    chatUrl: `http://127.0.0.1:${chatPort}`,
    names,
    meter,
    admin,
    snapshot: () => new Map(localRun.processes.map((p) => [p.spec.name, { pid: p.current.child.pid, restarts: p.restarts }])),
    stop,
  };
}

/** The processes that exited (and were started again by the runner) between two snapshots. */
export function restartedProcesses(before: ProcessSnapshot, after: ProcessSnapshot): string[] {
  return [...before].filter(([name, was]) => {
    const now = after.get(name);
    return !now || now.pid !== was.pid || now.restarts !== was.restarts;
  }).map(([name]) => name);
}

// ---- HTTP clients ------------------------------------------------------------------------------

export interface HttpAnswer {
  status: number;
  body: unknown;
}

/** A tRPC query over HTTP (GET, superjson envelope), answered as it came: status and parsed body. */
export async function trpcQuery(webUrl: string, headers: Record<string, string>, procedure: string, input?: unknown): Promise<HttpAnswer> {
  const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  return answerOf(await fetch(`${webUrl}/api/trpc/${procedure}${query}`, { headers, signal: AbortSignal.timeout(15_000) }));
}

/** A GET of a REST route with a Bearer token, answered as it came. */
export async function restGet(webUrl: string, token: string, route: string): Promise<HttpAnswer> {
  return answerOf(await fetch(`${webUrl}${route}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) }));
}

async function answerOf(response: Response): Promise<HttpAnswer> {
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: response.status, body: text };
  }
}

/** What tRPC puts in `result.data.json` of a successful answer. */
export function trpcData<T>(answer: HttpAnswer): T {
  if (answer.status !== 200) throw new Error(`HTTP ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  return (answer.body as { result: { data: { json: T } } }).result.data.json;
}

/**
 * Signs in as the sign-in page does (next-auth's credentials callback with its CSRF token) and
 * returns the session cookie a browser would then send.
 */
export async function signInWithSession(webUrl: string, username: string, password: string): Promise<Record<string, string>> {
  const csrf = await fetch(`${webUrl}/api/auth/csrf`, { signal: AbortSignal.timeout(10_000) });
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const cookieOf = (response: Response) => response.headers.getSetCookie().map((cookie) => cookie.split(";")[0] ?? "");
  const response = await fetch(`${webUrl}/api/auth/callback/credentials`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookieOf(csrf).join("; ") },
    body: new URLSearchParams({ csrfToken, username, password, callbackUrl: `${webUrl}/`, json: "true" }),
    redirect: "manual",
    signal: AbortSignal.timeout(10_000),
  });
  const session = cookieOf(response).find((cookie) => cookie.startsWith("next-auth.session-token="));
  if (!session) throw new Error(`next-auth sign-in of ${username} set no session cookie (HTTP ${response.status})`);
  return { cookie: session };
}

// ---- Socket.IO client --------------------------------------------------------------------------

type EmsSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * A signed-in user's real-time connection, kept up as the web app's client keeps it (src/lib/socket.ts):
 * a fresh handshake token from the web app for every (re)connection, Socket.IO's own reconnection
 * after a dropped transport, and a retry after a refusal by the server (which Socket.IO gives up on).
 */
export class RealtimeClient {
  readonly socket: EmsSocket;
  connects = 0;
  disconnects = 0;
  /** Connection attempts refused (by the server's middleware, or the transport). */
  refusals = 0;
  private closed = false;

  constructor(chatUrl: string, origin: string, fetchToken: () => Promise<string>) {
    this.socket = io(chatUrl, {
      path: SOCKET_PATH,
      transports: ["websocket"],
      // Browsers send the page's origin; the chat admits only the web app's.
      extraHeaders: { origin },
      reconnectionDelay: 250,
      reconnectionDelayMax: 2_000,
      auth: (send) => void fetchToken().then((token) => send({ token }), () => send({ token: "" })),
    });
    this.socket.on("connect", () => this.connects++);
    this.socket.on("disconnect", (reason) => {
      this.disconnects++;
      if (reason === "io server disconnect") this.retrySoon();
    });
    this.socket.on("connect_error", () => {
      this.refusals++;
      if (!this.socket.active) this.retrySoon();
    });
  }

  /** For a user signed in through REST: handshake tokens from `chat.socketToken` with their Bearer token. */
  static forUser(system: Pick<WholeSystem, "webUrl" | "chatUrl">, user: SignedIn): RealtimeClient {
    return new RealtimeClient(system.chatUrl, system.webUrl, async () => (await mutation<{ token: string }>(system.webUrl, user.token, "chat.socketToken", undefined)).token);
  }

  connected(timeoutMs: number): Promise<boolean> {
    return waitUntil(() => Promise.resolve(this.socket.connected), timeoutMs, 100);
  }

  /**
   * An acknowledged event, sent only while connected (Socket.IO would otherwise buffer it and send it
   * again on reconnection); "timeout" when no answer came in `timeoutMs`.
   */
  async request<T>(event: keyof ClientToServerEvents, payload: unknown, timeoutMs = 5_000): Promise<AckResponse<T> | { error: { code: "timeout" | "disconnected"; message: string } }> {
    if (!this.socket.connected) return { error: { code: "disconnected", message: "not connected" } };
    try {
      return (await (this.socket as unknown as Socket).timeout(timeoutMs).emitWithAck(event, payload)) as AckResponse<T>;
    } catch {
      return { error: { code: "timeout", message: `no answer in ${timeoutMs} ms` } };
    }
  }

  close(): void {
    this.closed = true;
    this.socket.disconnect();
  }

  private retrySoon(): void {
    setTimeout(() => {
      if (!this.closed && !this.socket.connected) this.socket.connect();
    }, 1_000);
  }
}
