import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { queueNames } from "@ems/contracts/queues";
import { Broker, consoleLogger, deleteTopology } from "@ems/messaging";
import { processSpecs, startLocalRun, type Mode } from "../../../../packages/stack/src/local-run.ts";
import { e2eEnv } from "./env.ts";

/**
 * The whole EMS system for browser tests, on this machine: fresh databases (seeded with admin /
 * admin-password), a unique RabbitMQ queue prefix, and the web app, chat, balancer and two monitoring
 * replicas started with the lead's local runner. Readings are published by the tests themselves, so
 * the simulator is not started. Every process's output goes to one log file.
 */

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const webRoot = path.resolve(here, "../..");

export interface SystemOptions {
  mode: Mode;
  /** The host name the browser uses; Next's development server only serves its assets to "localhost". */
  host: "127.0.0.1" | "localhost";
  webPort: number;
  chatPort: number;
  /** Where the processes' output goes. */
  logFile: string;
  /** Signs the web app's sessions and API tokens (socket tokens get a key pair of their own, made per run). */
  authSecret: string;
}

export interface RunningSystem {
  baseURL: string;
  queuePrefix: string;
  partitionCount: number;
  /** The run's monitoring database, for specs that need a state no reading can produce (e.g. a long-silent device). */
  monitoringDatabaseUrl: string;
  stop(): Promise<void>;
}

export const PARTITION_COUNT = 2;

const ESCAPE = String.fromCharCode(27);
/** The runner colours each process's name for a terminal; a log file wants plain text. */
function stripColours(line: string): string {
  return line.replaceAll(new RegExp(`${ESCAPE}\\[[0-9;]*m`, "g"), "");
}

/** Removes this run's prefixed queues and exchange from the shared broker. */
async function deleteQueues(queuePrefix: string): Promise<void> {
  const broker = new Broker({ url: e2eEnv.RABBITMQ_URL, name: "e2e-cleanup", log: consoleLogger("e2e-cleanup", "warn") });
  await broker.onConnect((channel) => deleteTopology(channel, queueNames(queuePrefix), PARTITION_COUNT));
  await broker.start();
  await broker.close();
}

async function databases(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", path.join(here, "databases.ts"), ...args], { cwd: webRoot });
  return stdout.trim().split("\n").at(-1) ?? "";
}

export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  const queuePrefix = `e2e.${runId}.`;
  const urlsJson = await databases("create", "e2e");
  const urls = JSON.parse(urlsJson) as Record<"auth" | "user" | "device" | "monitoring" | "chat", string>;
  const baseURL = `http://${options.host}:${options.webPort}`;
  const socketKeys = generateKeyPairSync("ed25519");

  await mkdir(path.dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: "a" });
  const specs = processSpecs({ mode: options.mode, partitionCount: PARTITION_COUNT, webPort: options.webPort, chatPort: options.chatPort, simulatorDevices: [], simulatorSpeed: 1 })
    .filter((spec) => spec.name !== "simulator");
  const system = startLocalRun(
    specs,
    {
      // eslint-disable-next-line no-restricted-properties -- children inherit PATH and the like
      ...process.env,
      NODE_ENV: options.mode === "dev" ? "development" : "production",
      NEXT_TELEMETRY_DISABLED: "1",
      AUTH_DATABASE_URL: urls.auth,
      USER_DATABASE_URL: urls.user,
      DEVICE_DATABASE_URL: urls.device,
      MONITORING_DATABASE_URL: urls.monitoring,
      CHAT_DATABASE_URL: urls.chat,
      QUEUE_PREFIX: queuePrefix,
      PARTITION_COUNT: String(PARTITION_COUNT),
      AUTH_SECRET: options.authSecret,
      // The socket tokens' key pair of this run: web signs with the private key, chat gets the public one.
      SOCKET_TOKEN_PRIVATE_KEY: socketKeys.privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
      SOCKET_TOKEN_PUBLIC_KEY: socketKeys.publicKey.export({ format: "pem", type: "spki" }).toString(),
      NEXTAUTH_URL: baseURL,
      OUTBOX_RELAY: "on",
      OUTBOX_POLL_INTERVAL_MS: "200",
      CHAT_PORT: String(options.chatPort),
      CHAT_HOST: "0.0.0.0",
      CHAT_ALLOWED_ORIGINS: baseURL,
      NEXT_PUBLIC_CHAT_URL: `http://${options.host}:${options.chatPort}`,
      // No AI in tests: unmatched questions get the fallback reply.
      XAI_API_KEY: "",
      LOG_LEVEL: "info",
    },
    (line) => log.write(`${stripColours(line)}\n`),
  );

  const stop = async () => {
    await system.stop(10_000);
    log.end();
    await Promise.all([databases("drop", urlsJson), deleteQueues(queuePrefix)]);
  };
  try {
    await system.ready;
  } catch (error) {
    await stop();
    throw new Error(`the EMS processes did not start (see ${options.logFile})`, { cause: error });
  }
  return { baseURL, queuePrefix, partitionCount: PARTITION_COUNT, monitoringDatabaseUrl: urls.monitoring, stop };
}
