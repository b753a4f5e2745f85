import { execFile } from "node:child_process";
import { appendFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import amqp from "amqplib";
import pg from "pg";
import { hourStart, serializeMeasurement, type Measurement } from "@ems/contracts/measurement";
import { DEAD_LETTER_REASON_HEADER, type QueueNames } from "@ems/contracts/queues";
import { Broker, PublishError, type Logger } from "@ems/messaging";
import { WORKER_READY, repoRoot, startProcess, stopProcess, signalProcess, type RunningProcess } from "../local-run.ts";
import { compare, toMilli, truthOf, type Comparison, type DeviceHourKey, type DeviceHourTruth, type StreamDevice } from "./truth.ts";

const run = promisify(execFile);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true or `timeoutMs` passes; returns whether it succeeded. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // The thing checked may be down on purpose (e.g. PostgreSQL stopped): try again.
    }
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}

export interface SystemOptions {
  env: NodeJS.ProcessEnv;
  logFile: string;
}

/**
 * "balancer"; "monitoring-0" and "monitoring-1" are replicas pinned to their partition (`--partition`);
 * any other name starting with "monitoring" is an elastic replica (claims its partitions, as in production).
 */
export type WorkerName = "balancer" | "monitoring-0" | "monitoring-1" | `monitoring-${string}`;

/** One line of a worker's output, as it arrived. */
export interface OutputLine {
  process: WorkerName;
  at: number;
  text: string;
}

/** The data plane as real processes: one balancer and monitoring replicas, restartable one by one. */
export class DataPlane {
  private readonly processes = new Map<WorkerName, RunningProcess>();
  private readonly listeners = new Set<(line: OutputLine) => void>();

  constructor(private readonly options: SystemOptions) {}

  async start(name: WorkerName): Promise<void> {
    const pinned = /^monitoring-([01])$/.exec(name)?.[1];
    const entry = name === "balancer" ? "balancer" : "monitoring";
    const spec = {
      name,
      command: process.execPath,
      args: ["--import", "tsx", path.join(repoRoot, "apps/workers/src", `${entry}.ts`), ...(pinned ? ["--partition", pinned] : [])],
      ready: { log: WORKER_READY },
    };
    const running = startProcess(spec, this.options.env, (line) => {
      appendFileSync(this.options.logFile, `${line}\n`);
      const event = { process: name, at: Date.now(), text: line };
      for (const listener of this.listeners) listener(event);
    });
    this.processes.set(name, running);
    await Promise.race([running.ready, sleep(30_000).then(() => Promise.reject(new Error(`${name} not ready in 30 s`)))]);
  }

  async startAll(): Promise<void> {
    await Promise.all((["balancer", "monitoring-0", "monitoring-1"] as const).map((name) => this.start(name)));
  }

  /** Calls `listener` with every line any worker writes from now on; returns a function that stops it. */
  onOutput(listener: (line: OutputLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** kill -9: no chance to finish, ack or close anything. The process is forgotten (stopAll skips it). */
  async kill(name: WorkerName): Promise<void> {
    const running = this.processes.get(name);
    if (!running) return;
    signalProcess(running, "SIGKILL");
    await running.exited;
    this.processes.delete(name);
  }

  /** SIGTERM to one process; resolves with its exit code (0 after a clean stop). */
  async terminate(name: WorkerName): Promise<number | null> {
    const running = this.processes.get(name);
    if (!running) return null;
    const code = await stopProcess(running, 20_000);
    this.processes.delete(name);
    return code;
  }

  /** SIGTERM to every process; resolves with the names of those that did not exit cleanly. */
  async stopAll(): Promise<string[]> {
    const entries = [...this.processes.entries()];
    const codes = await Promise.all(entries.map(([, p]) => stopProcess(p, 20_000)));
    this.processes.clear();
    return entries.filter((_, i) => codes[i] !== 0).map(([name]) => name);
  }
}

/**
 * Publishes readings as a meter would, with confirms, retrying each until RabbitMQ confirms it —
 * so the test knows exactly what was published, whatever happens to the broker meanwhile.
 */
export async function publishReadings(
  broker: Broker,
  queue: string,
  bodies: readonly string[],
  ratePerSecond: number,
  onProgress: (published: number) => void = () => {},
  /** Checked before each window of 50: true stops publishing there. */
  until: () => boolean = () => false,
): Promise<void> {
  const started = Date.now();
  const window = 50;
  for (let i = 0; i < bodies.length && !until(); i += window) {
    await Promise.all(bodies.slice(i, i + window).map((body) => publishUntilConfirmed(broker, queue, body)));
    const published = Math.min(bodies.length, i + window);
    onProgress(published);
    const due = started + (published / ratePerSecond) * 1000;
    if (due > Date.now()) await sleep(due - Date.now());
  }
}

async function publishUntilConfirmed(broker: Broker, queue: string, body: string): Promise<void> {
  for (;;) {
    try {
      await broker.sendToQueue(queue, body);
      return;
    } catch (error) {
      if (!(error instanceof PublishError)) throw error;
      await sleep(200);
    }
  }
}

export const serialize = (readings: readonly Measurement[]) => readings.map(serializeMeasurement);

/** What monitoring stored for these devices: per device-hour totals and counts, and alert keys. */
export async function readStored(
  monitoringUrl: string,
  deviceIds: string[],
): Promise<{ totals: Map<DeviceHourKey, DeviceHourTruth>; alerts: DeviceHourKey[]; alertOwners: Map<DeviceHourKey, string | null> }> {
  const client = new pg.Client({ connectionString: monitoringUrl });
  await client.connect();
  try {
    const totals = await client.query<{ device_id: string; hour_start: Date; total_kwh: string; reading_count: number }>(
      "SELECT device_id, hour_start, total_kwh::text, reading_count FROM hourly_consumption WHERE device_id = ANY($1::uuid[])",
      [deviceIds],
    );
    const alerts = await client.query<{ device_id: string; hour_start: Date; owner_id: string | null }>(
      // Over-consumption alerts: the ones a stream's truth predicts (a silence alarm has no hour).
      "SELECT device_id, hour_start, owner_id FROM alerts WHERE kind = 'over_consumption' AND device_id = ANY($1::uuid[])",
      [deviceIds],
    );
    const key = (deviceId: string, hour: Date) => `${deviceId}@${hourStart(hour.getTime())}`;
    return {
      totals: new Map(totals.rows.map((r) => [key(r.device_id, r.hour_start), { totalMilli: toMilli(r.total_kwh), readings: r.reading_count }])),
      alerts: alerts.rows.map((r) => key(r.device_id, r.hour_start)),
      alertOwners: new Map(alerts.rows.map((r) => [key(r.device_id, r.hour_start), r.owner_id])),
    };
  } finally {
    await client.end();
  }
}

/** Puts the stream's devices into monitoring's device copy, as sync events would. */
/**
 * A check of monitoring's stored state against the truth of `readings` (totals, reading counts, one
 * alert per over-limit device-hour): each call reads the database again.
 */
export function storedAgainstTruth(
  monitoringUrl: string,
  devices: readonly StreamDevice[],
  readings: readonly Measurement[],
): () => Promise<{ comparison: Comparison; alerts: number }> {
  const truth = truthOf(readings);
  const limits = new Map(devices.map((d) => [d.id, d.limitMilli]));
  const limitOf = (id: string) => limits.get(id) ?? Number.POSITIVE_INFINITY;
  const deviceIds = devices.map((d) => d.id);
  return async () => {
    const stored = await readStored(monitoringUrl, deviceIds);
    return { comparison: compare(truth, stored.totals, stored.alerts, limitOf), alerts: stored.alerts.length };
  };
}

export async function registerDevices(monitoringUrl: string, devices: StreamDevice[]): Promise<void> {
  const client = new pg.Client({ connectionString: monitoringUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO devices (device_id, owner_id, max_hourly_consumption, version)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::numeric[], $4::int[])`,
      [devices.map((d) => d.id), devices.map((d) => d.ownerId), devices.map((d) => (d.limitMilli / 1000).toFixed(3)), devices.map(() => 1)],
    );
  } finally {
    await client.end();
  }
}

/** Takes every message off the dead-letter queue; returns the count per reason. */
export async function drainDeadLetters(rabbitmqUrl: string, names: QueueNames): Promise<Map<string, number>> {
  const reasons = new Map<string, number>();
  const connection = await amqp.connect(rabbitmqUrl);
  try {
    const channel = await connection.createChannel();
    for (;;) {
      const message = await channel.get(names.deadLetter, { noAck: true });
      if (message === false) break;
      const reason = String(message.properties.headers?.[DEAD_LETTER_REASON_HEADER] ?? "(none)");
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
  } finally {
    await connection.close();
  }
  return reasons;
}

/**
 * The web app's outbox relay for the device database (run here on its own), publishing to `queue`; not
 * started: `relay.start()` starts it. Import this module only once DEVICE_DATABASE_URL is set (run.ts).
 */
export async function outboxRelay(rabbitmqUrl: string, queue: string, log: Logger) {
  const { OutboxRelay } = await import("../../../../apps/web/src/server/outbox/relay.ts");
  const { brokerPublisher } = await import("../../../../apps/web/src/server/outbox/broker-publisher.ts");
  const { deviceOutboxStore } = await import("../../../../apps/web/src/server/outbox/stores.ts");
  const broker = new Broker({ url: rabbitmqUrl, name: "faults-outbox-relay", log, reconnectDelayMs: { initial: 100, max: 1_000 } });
  void broker.start();
  const relay = new OutboxRelay({ store: deviceOutboxStore(), publisher: await brokerPublisher(broker, queue), log, pollIntervalMs: 100, maxBackoffMs: 1_000 });
  return {
    relay,
    close: async () => {
      await relay.stop();
      await broker.close();
    },
  };
}

/** Service control on this machine (CI and a developer's machine alike run both locally). */
export const services = {
  async stopRabbitMq(): Promise<void> {
    await run("rabbitmqctl", ["-q", "stop_app"]);
  },
  async startRabbitMq(): Promise<void> {
    await run("rabbitmqctl", ["-q", "start_app"]);
    await run("rabbitmqctl", ["-q", "await_startup"]);
  },
  async stopPostgres(): Promise<void> {
    await run("pg_ctlcluster", ["--skip-systemctl-redirect", await postgresVersion(), "main", "stop", "-m", "fast"]);
  },
  async startPostgres(): Promise<void> {
    await run("pg_ctlcluster", ["--skip-systemctl-redirect", await postgresVersion(), "main", "start"]);
  },
};

async function postgresVersion(): Promise<string> {
  const { stdout } = await run("ls", ["/etc/postgresql"]);
  const version = stdout.split("\n").find(Boolean);
  if (!version) throw new Error("no PostgreSQL cluster under /etc/postgresql");
  return version.trim();
}
