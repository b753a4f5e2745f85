import { randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
import { queueNames, type QueueNames } from "@ems/contracts/queues";
import { serializeMeasurement } from "@ems/contracts/measurement";
import { Broker, consoleLogger, declareTopology, deleteTopology, type Logger } from "@ems/messaging";
import {
  DataPlane,
  drainDeadLetters,
  outboxRelay,
  publishReadings,
  readStored,
  registerDevices,
  serialize,
  services,
  sleep,
  storedAgainstTruth,
  waitUntil,
  type WorkerName,
} from "./system.ts";
import { makeStream } from "./truth.ts";

export interface ScenarioResult {
  name: string;
  passed: boolean;
  published: number;
  counted: number;
  lost: number;
  duplicated: number;
  recoverySeconds: number;
  /** What else was checked, in words (dead letters, clean stops, owners). */
  notes: string[];
  /** Scenario-specific measurements (e.g. how long the balancer took to use a new partition count). */
  figures?: Record<string, number>;
}

export interface FaultContext {
  rabbitmqUrl: string;
  monitoringUrl: string;
  /** Environment for the worker processes (test databases, quiet logs). */
  env: NodeJS.ProcessEnv;
  logFile: string;
  log: Logger;
}

/** Readings start two days ago at midnight UTC: well inside the accepted range, crossing hour boundaries. */
export function streamStart(): number {
  const today = new Date();
  return Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - 2);
}

const DEVICES = 100;
const READINGS_PER_DEVICE = 30; // 5 hours of readings per device
const RATE_PER_SECOND = 600;
const RECOVERY_TIMEOUT_MS = 90_000;

export interface Harness {
  names: QueueNames;
  plane: DataPlane;
  broker: Broker;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** A fresh queue prefix, topology (`partitions` partition queues) and data plane for one scenario. */
export async function harness(ctx: FaultContext, scenario: string, partitions = 2, extraEnv: NodeJS.ProcessEnv = {}): Promise<Harness> {
  const slug = scenario.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  const prefix = `faults.${slug}.${randomBytes(3).toString("hex")}.`;
  const names = queueNames(prefix);
  const env = { ...ctx.env, ...extraEnv, QUEUE_PREFIX: prefix };
  const broker = new Broker({ url: ctx.rabbitmqUrl, name: `faults-${slug}`, log: ctx.log, reconnectDelayMs: { initial: 100, max: 1_000 } });
  await broker.onConnect((channel) => declareTopology(channel, names, partitions));
  await broker.start();
  const plane = new DataPlane({ env, logFile: ctx.logFile });
  return {
    names,
    plane,
    broker,
    env,
    async close() {
      await broker.onConnect((channel) => deleteTopology(channel, names, partitions)).catch(() => undefined);
      await broker.close();
    },
  };
}

interface StreamScenario {
  name: string;
  /** Runs once 40 % of the stream is published; resolves when the fault is repaired. */
  fault?: (h: Harness) => Promise<void>;
  /** Publish every reading a second time, after the first pass. */
  publishTwice?: boolean;
  /** Poison messages mixed into the stream, each with the dead-letter reason it must get. */
  poison?: { body: string; reason: RegExp }[];
}

async function runStreamScenario(ctx: FaultContext, scenario: StreamScenario): Promise<ScenarioResult> {
  const h = await harness(ctx, scenario.name);
  const notes: string[] = [];
  try {
    const stream = makeStream(DEVICES, READINGS_PER_DEVICE, streamStart());
    await registerDevices(ctx.monitoringUrl, stream.devices);
    await h.plane.startAll();

    let bodies = serialize(stream.readings);
    if (scenario.publishTwice) bodies = [...bodies, ...bodies];
    const validCount = bodies.length;
    for (const [i, p] of (scenario.poison ?? []).entries()) {
      bodies.splice(Math.floor(((i + 1) * bodies.length) / ((scenario.poison?.length ?? 0) + 1)), 0, p.body);
    }

    let faultDone: Promise<number> = Promise.resolve(Date.now());
    let faultStartedAt: number | undefined;
    const streamStartedAt = Date.now();
    await publishReadings(h.broker, h.names.sensorData, bodies, RATE_PER_SECOND, (published) => {
      if (scenario.fault && faultStartedAt === undefined && published >= bodies.length * 0.4) {
        faultStartedAt = Date.now();
        faultDone = scenario.fault(h).then(() => Date.now());
      }
    });
    const publishedAt = Date.now();
    const faultRepairedAt = await faultDone;
    if (faultStartedAt !== undefined) {
      const at = (t: number) => ((t - streamStartedAt) / 1000).toFixed(1);
      notes.push(`fault from ${at(faultStartedAt)} s to ${at(faultRepairedAt)} s; stream published by ${at(publishedAt)} s`);
    }
    // Recovery: from the moment the fault is repaired, or publishing ended if later, to exact state.
    const repairedAt = Math.max(faultRepairedAt, Date.now());

    const checkStored = storedAgainstTruth(ctx.monitoringUrl, stream.devices, stream.readings);
    await waitUntil(async () => (await checkStored()).comparison.matches, RECOVERY_TIMEOUT_MS);
    const recoverySeconds = (Date.now() - repairedAt) / 1000;
    // Settle: nothing more may arrive later (e.g. a late duplicate).
    await sleep(1_000);
    const { comparison } = await checkStored();
    let passed = comparison.matches;
    if (comparison.wrongTotals || comparison.missingAlerts || comparison.extraAlerts) {
      notes.push(`wrong totals ${comparison.wrongTotals}, missing alerts ${comparison.missingAlerts}, extra alerts ${comparison.extraAlerts}`);
    } else {
      notes.push("hourly totals exact; one alert per over-limit device-hour");
    }

    if (scenario.poison) {
      const dead = await drainDeadLetters(ctx.rabbitmqUrl, h.names);
      const reasons = [...dead.entries()];
      const deadTotal = reasons.reduce((sum, [, n]) => sum + n, 0);
      const unexplained = scenario.poison.filter((p) => !reasons.some(([reason]) => p.reason.test(reason)));
      notes.push(`dead-lettered ${deadTotal} of ${scenario.poison.length} poison messages: ${reasons.map(([r, n]) => `${n}× "${r}"`).join(", ")}`);
      if (deadTotal !== scenario.poison.length || unexplained.length) passed = false;
    }

    const unclean = await h.plane.stopAll();
    if (unclean.length) {
      notes.push(`not stopped cleanly: ${unclean.join(", ")}`);
      passed = false;
    }
    return {
      name: scenario.name,
      passed,
      published: validCount,
      counted: comparison.counted,
      lost: comparison.lost,
      duplicated: comparison.duplicated,
      recoverySeconds: Math.round(recoverySeconds * 100) / 100,
      notes,
    };
  } finally {
    await h.plane.stopAll();
    await h.close();
  }
}

const restartWorker = (name: WorkerName) => async (h: Harness) => {
  await h.plane.kill(name);
  await sleep(1_000);
  await h.plane.start(name);
};

const poisonReading = (fields: Record<string, unknown>) =>
  JSON.stringify({ timestamp: streamStart(), device_id: randomUUID(), measurement_value: 0.1, ...fields });

export const streamScenarios: StreamScenario[] = [
  { name: "kill -9 monitoring replica", fault: restartWorker("monitoring-0") },
  { name: "kill -9 balancer", fault: restartWorker("balancer") },
  {
    name: "restart RabbitMQ",
    fault: async () => {
      await services.stopRabbitMq();
      await sleep(3_000);
      await services.startRabbitMq();
    },
  },
  {
    name: "stop PostgreSQL for 10 s",
    fault: async () => {
      await services.stopPostgres();
      await sleep(10_000);
      await services.startPostgres();
    },
  },
  {
    name: "poison messages",
    poison: [
      ...Array.from({ length: 3 }, () => ({ body: "{not json", reason: /malformed JSON/ })),
      ...Array.from({ length: 3 }, () => ({ body: poisonReading({ measurement_value: -1 }), reason: /negative/ })),
      // Refused whatever its device (an unknown one would be held for its sync event, not dead-lettered).
      ...Array.from({ length: 3 }, () => ({ body: poisonReading({ timestamp: streamStart() - 40 * 86_400_000 }), reason: /older than the retention window/ })),
      ...Array.from({ length: 3 }, () => ({ body: poisonReading({ padding: "x".repeat(100_000) }), reason: /too large/ })),
    ],
  },
  { name: "same readings published twice", publishTwice: true },
];

export function runStreamScenarios(ctx: FaultContext, selected: (name: string) => boolean): AsyncGenerator<ScenarioResult> {
  return (async function* () {
    for (const scenario of streamScenarios.filter((s) => selected(s.name))) {
      ctx.log.info(`scenario: ${scenario.name}`);
      yield await runStreamScenario(ctx, scenario);
    }
  })();
}

/**
 * The outbox relay (the web app's, run here on its own) with RabbitMQ down while devices are
 * re-assigned: every change must reach monitoring, in order, once the broker is back, and the next
 * alert must go to each device's final owner.
 */
export async function runOutboxScenario(ctx: FaultContext): Promise<ScenarioResult> {
  const name = "outbox relay with RabbitMQ down during re-assignments";
  const notes: string[] = [];
  const h = await harness(ctx, "outbox");
  const { deviceDb } = await import("@ems/db/device");
  const { outboxEventFor } = await import("@ems/db/device-outbox");
  // The web app's own relay and publisher (plain modules, no Next.js runtime needed).
  const { relay, close: closeRelay } = await outboxRelay(ctx.rabbitmqUrl, h.names.monitoringSync, ctx.log);
  const monitoring = new pg.Pool({ connectionString: ctx.monitoringUrl, max: 2 });
  try {
    await h.plane.startAll();
    relay.start();
    const owners = Array.from({ length: 4 }, () => randomUUID());
    const devices = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        deviceDb.$transaction(async (tx) => {
          const device = await tx.device.create({ data: { name: `faults ${i}`, maxHourlyConsumption: "0.5", ownerId: owners[0] ?? null } });
          await tx.outboxEvent.create({ data: outboxEventFor(device, "device.created") });
          return device;
        }),
      ),
    );
    const ids = devices.map((d) => d.id);
    const inSync = async () => {
      const current = await deviceDb.device.findMany({ where: { id: { in: ids } } });
      const copy = await monitoring.query<{ device_id: string; owner_id: string | null; version: number }>(
        "SELECT device_id, owner_id, version FROM devices WHERE device_id = ANY($1::uuid[])",
        [ids],
      );
      const byId = new Map(copy.rows.map((r) => [r.device_id, r]));
      return current.every((d) => byId.get(d.id)?.version === d.version && byId.get(d.id)?.owner_id === d.ownerId);
    };
    if (!(await waitUntil(inSync, 30_000))) notes.push("initial sync did not complete");

    await services.stopRabbitMq();
    for (const owner of owners.slice(1)) {
      for (const id of ids) {
        await deviceDb.$transaction(async (tx) => {
          const device = await tx.device.update({ where: { id }, data: { ownerId: owner, version: { increment: 1 } } });
          await tx.outboxEvent.create({ data: outboxEventFor(device, "device.assigned") });
        });
      }
    }
    await sleep(2_000);
    await services.startRabbitMq();
    const repairedAt = Date.now();
    const synced = await waitUntil(inSync, RECOVERY_TIMEOUT_MS);
    const recoverySeconds = (Date.now() - repairedAt) / 1000;

    const published = await deviceDb.outboxEvent.count({ where: { deviceId: { in: ids } } });
    const unpublished = await deviceDb.outboxEvent.count({ where: { deviceId: { in: ids }, publishedAt: null } });
    const versions = await monitoring.query<{ applied: string }>("SELECT coalesce(sum(version), 0)::text AS applied FROM devices WHERE device_id = ANY($1::uuid[])", [ids]);
    const counted = Number(versions.rows[0]?.applied ?? 0);
    notes.push(`${unpublished} outbox rows left unpublished`);

    // The next alert of each device goes to its owner after the last re-assignment.
    const finalOwner = owners.at(-1) ?? null;
    const over = ids.map((id) => serializeMeasurement({ deviceId: id, timestamp: streamStart(), value: 0.9 }));
    await publishReadings(h.broker, h.names.sensorData, over, RATE_PER_SECOND);
    const alertsOk = await waitUntil(async () => {
      const stored = await readStored(ctx.monitoringUrl, ids);
      return stored.alerts.length === ids.length && [...stored.alertOwners.values()].every((owner) => owner === finalOwner);
    }, 30_000);
    notes.push(alertsOk ? "every next alert went to the final owner" : "alerts missing or sent to a former owner");

    const unclean = await h.plane.stopAll();
    if (unclean.length) notes.push(`not stopped cleanly: ${unclean.join(", ")}`);
    return {
      name,
      passed: synced && unpublished === 0 && counted === published && alertsOk && unclean.length === 0,
      published,
      counted,
      lost: Math.max(0, published - counted),
      // Monitoring applies an event only over an older version, so more applied than written would be a replay.
      duplicated: Math.max(0, counted - published),
      recoverySeconds: Math.round(recoverySeconds * 100) / 100,
      notes,
    };
  } finally {
    await closeRelay();
    await monitoring.end();
    await h.plane.stopAll();
    await h.close();
  }
}

export const quietLogger = (name: string): Logger => consoleLogger(name, "warn");
