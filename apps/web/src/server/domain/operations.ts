import "server-only";
import amqp from "amqplib";
import { z } from "zod";
import { partitionLockClass } from "@ems/contracts/partition-locks";
import { queueNames } from "@ems/contracts/queues";
import { deviceDb } from "@ems/db/device";
import { monitoringDb } from "@ems/db/monitoring";
import { isDatabaseUnavailable } from "@ems/db/unavailable";
import { userDb } from "@ems/db/user";
import { partitionOf } from "@ems/hashing";
import { DeadLetterQueueError, examineDeadLetters } from "@ems/messaging/dead-letters";
import { env } from "~/env.ts";
import { alertKindSchema, alertStateSchema, uuidSchema } from "~/lib/schemas.ts";
import { serviceUnavailable } from "../errors.ts";
import { assertAdmin, type Viewer } from "../viewer.ts";
import { acknowledgeAlert, alertPage, alertSchemaWith, type AlertDto } from "./monitoring.ts";
import { within } from "./health.ts";

/**
 * The admin console's operations view: the fleet (which devices report), alerts across all clients
 * and the data plane (partition queues, their consumers and replicas; dead letters by reason). Admins
 * only; every function checks. Reads the device, user and monitoring databases separately (never a
 * query across them) and RabbitMQ; writes nothing but an alert's acknowledgement (through
 * monitoring.ts). Dead letters are only read: each one counted goes back to its place in the queue.
 *
 * Where "last reading" comes from: the latest hour of a device in `hourly_consumption` (one probe of its
 * primary key (device_id, hour_start) per device), whose `updated_at` monitoring sets to now() each time
 * it counts a reading into that hour. That is when monitoring last heard from the device, to the
 * second, without touching `readings` (the largest table, partitioned by day, whose layout is monitoring's
 * own business). A late reading for an older hour does not move it; a device is judged by its newest hour.
 */

async function fromMonitoring<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isDatabaseUnavailable(error)) throw serviceUnavailable("The monitoring database is temporarily unavailable; please try again in a moment");
    throw error;
  }
}

/** Per device: when monitoring last counted a reading of it (its newest hour's updated_at), null if never. */
async function lastReadings(deviceIds: string[]): Promise<Map<string, Date | null>> {
  if (deviceIds.length === 0) return new Map();
  const rows = await fromMonitoring(() =>
    monitoringDb.$queryRaw<{ device_id: string; updated_at: Date | null }[]>`
      SELECT d.device_id::text AS device_id, latest.updated_at
        FROM unnest(${deviceIds}::uuid[]) AS d(device_id)
        LEFT JOIN LATERAL (SELECT updated_at FROM hourly_consumption h
                            WHERE h.device_id = d.device_id ORDER BY h.hour_start DESC LIMIT 1) AS latest ON true`,
  );
  return new Map(rows.map((row) => [row.device_id, row.updated_at]));
}

async function usernamesOf(userIds: (string | null)[]): Promise<Map<string, string>> {
  const ids = [...new Set(userIds.filter((id): id is string => id !== null))];
  if (ids.length === 0) return new Map();
  const profiles = await userDb.profile.findMany({ where: { id: { in: ids } }, select: { id: true, username: true } });
  return new Map(profiles.map((p) => [p.id, p.username]));
}

// ---------------------------------------------------------------------------------------------------
// Fleet

export const deviceStateSchema = z.enum(["reporting", "silent", "never"]);
export type DeviceState = z.infer<typeof deviceStateSchema>;

export const fleetInputSchema = z
  .object({
    /** Only devices in this state; all when absent. */
    state: deviceStateSchema.optional(),
    limit: z.number().int().min(1).max(1_000).default(500),
  })
  .default({ limit: 500 });
export type FleetInput = z.infer<typeof fleetInputSchema>;

export const fleetSchema = z.object({
  silentAfterMinutes: z.number().int(),
  generatedAt: z.date(),
  counts: z.object({ total: z.number().int(), reporting: z.number().int(), silent: z.number().int(), never: z.number().int() }),
  devices: z.array(
    z.object({
      deviceId: z.uuid(),
      name: z.string(),
      ownerId: z.uuid().nullable(),
      /** null: unassigned, or the owner's profile is gone. */
      ownerUsername: z.string().nullable(),
      lastReadingAt: z.date().nullable(),
      state: deviceStateSchema,
    }),
  ),
  /** More devices matched than `limit`. */
  truncated: z.boolean(),
});
export type Fleet = z.infer<typeof fleetSchema>;

/** Silent first (longest silence first), then never reported, then reporting. */
const STATE_ORDER: Record<DeviceState, number> = { silent: 0, never: 1, reporting: 2 };

/** Every device of the device database with its owner, last reading and state; counts over all of them. */
export async function fleetOverview(viewer: Viewer, input: FleetInput, now = new Date()): Promise<Fleet> {
  assertAdmin(viewer);
  const silentAfterMinutes = env.FLEET_SILENT_AFTER_MINUTES;
  const silentBefore = now.getTime() - silentAfterMinutes * 60_000;
  const devices = await deviceDb.device.findMany({ select: { id: true, name: true, ownerId: true } });
  const [lastReadingOf, usernames] = await Promise.all([lastReadings(devices.map((d) => d.id)), usernamesOf(devices.map((d) => d.ownerId))]);
  const rows = devices.map((device) => {
    const lastReadingAt = lastReadingOf.get(device.id) ?? null;
    const state: DeviceState = lastReadingAt === null ? "never" : lastReadingAt.getTime() < silentBefore ? "silent" : "reporting";
    return {
      deviceId: device.id,
      name: device.name,
      ownerId: device.ownerId,
      ownerUsername: device.ownerId ? (usernames.get(device.ownerId) ?? null) : null,
      lastReadingAt,
      state,
    };
  });
  const counts = { total: rows.length, reporting: 0, silent: 0, never: 0 };
  for (const row of rows) counts[row.state]++;
  const matching = rows
    .filter((row) => input.state === undefined || row.state === input.state)
    .sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || (a.lastReadingAt?.getTime() ?? 0) - (b.lastReadingAt?.getTime() ?? 0) || a.name.localeCompare(b.name));
  return { silentAfterMinutes, generatedAt: now, counts, devices: matching.slice(0, input.limit), truncated: matching.length > input.limit };
}

// ---------------------------------------------------------------------------------------------------
// Alerts across clients

export const operationsAlertsInputSchema = z
  .object({
    /** The client the alert was raised for (alerts.owner_id). */
    ownerId: uuidSchema.optional(),
    deviceId: uuidSchema.optional(),
    /** Only alerts of this kind / in this state (active or cleared); all when absent. */
    kind: alertKindSchema.optional(),
    state: alertStateSchema.optional(),
    acknowledgement: z.enum(["all", "unacknowledged", "acknowledged"], { error: "acknowledgement must be all, unacknowledged or acknowledged" }).default("all"),
    limit: z.number().int().min(1).max(100).default(50),
    /** The last alert id of the previous page. */
    cursor: uuidSchema.optional(),
  })
  .default({ acknowledgement: "all", limit: 50 });
export type OperationsAlertsInput = z.infer<typeof operationsAlertsInputSchema>;

export const operationsAlertSchema = alertSchemaWith({
  /** null: no owner, or the owner's profile is gone. */
  ownerUsername: z.string().nullable(),
});
export type OperationsAlert = z.infer<typeof operationsAlertSchema>;

export const operationsAlertsSchema = z.object({ items: z.array(operationsAlertSchema), nextCursor: z.uuid().nullable() });

/** Adds the owner's username (user database). */
async function withUsernames(alerts: AlertDto[]): Promise<OperationsAlert[]> {
  const usernames = await usernamesOf(alerts.map((a) => a.ownerId));
  return alerts.map((a) => ({ ...a, ownerUsername: a.ownerId ? (usernames.get(a.ownerId) ?? null) : null }));
}

/** Every client's alerts, newest first, a page at a time, filtered by client, device, kind, state and acknowledgement. */
export async function alertsAcrossClients(viewer: Viewer, input: OperationsAlertsInput, now = new Date()): Promise<z.infer<typeof operationsAlertsSchema>> {
  assertAdmin(viewer);
  const acknowledged = input.acknowledgement === "all" ? undefined : input.acknowledgement === "acknowledged";
  const page = await alertPage({ ownerId: input.ownerId, deviceId: input.deviceId, kind: input.kind, state: input.state, acknowledged }, input, now);
  return { items: await withUsernames(page.items), nextCursor: page.nextCursor };
}

/** Acknowledges any client's alert of either kind (monitoring.ts's acknowledgement: the first time is kept). */
export async function acknowledgeAnyAlert(viewer: Viewer, alertId: string): Promise<OperationsAlert> {
  assertAdmin(viewer);
  const [named] = await withUsernames([await acknowledgeAlert(viewer, alertId)]);
  if (!named) throw new Error("an acknowledged alert went missing");
  return named;
}

// ---------------------------------------------------------------------------------------------------
// Data plane

export const dataPlaneSchema = z.object({
  generatedAt: z.date(),
  broker: z.enum(["ok", "unreachable"]),
  /** Partitions in use: the live monitoring replicas as RabbitMQ counts them; null when the broker is unreachable. */
  livePartitionCount: z.number().int().nullable(),
  partitions: z.array(
    z.object({
      index: z.number().int(),
      queue: z.string(),
      /** A partition below the live count gets new readings; one above is only drained. */
      inUse: z.boolean(),
      /** null: broker unreachable, or the queue does not exist. */
      consumers: z.number().int().nullable(),
      depth: z.number().int().nullable(),
      /** The monitoring session holding the partition's lock now, if any. */
      holder: z.object({ pid: z.number().int(), applicationName: z.string().nullable() }).nullable(),
      lastClaimedBy: z.string().nullable(),
      lastClaimedAt: z.date().nullable(),
      devices: z.number().int(),
      /**
       * Readings per second its replica newly counted from this queue (duplicates not included) in the
       * last complete window it recorded (MONITORING_RATE_WINDOW_MS, 10 s by default); null when no window
       * ended within the last RATE_FRESH_WINDOWS window lengths (no replica holds it, or it stopped).
       */
      readingsPerSecond: z.number().nullable(),
      lastReadingAt: z.date().nullable(),
    }),
  ),
  deadLetter: z.object({ queue: z.string(), depth: z.number().int().nullable() }),
});
export type DataPlane = z.infer<typeof dataPlaneSchema>;

const BROKER_TIMEOUT_MS = 2_000;

/** A partition's recorded window counts as its current rate while it ended at most this many window lengths ago. */
const RATE_FRESH_WINDOWS = 3;

/** Readings per second of a partition's last recorded window (3 decimals), or null when there is none or it is stale. */
function currentRate(
  claim: { recentReadings: number | null; recentWindowStart: Date | null; recentWindowEnd: Date | null } | undefined,
  now: Date,
): number | null {
  if (!claim) return null;
  const { recentReadings: readings, recentWindowStart: start, recentWindowEnd: end } = claim;
  if (readings === null || start === null || end === null) return null;
  const lengthMs = end.getTime() - start.getTime();
  if (lengthMs <= 0 || now.getTime() - end.getTime() > RATE_FRESH_WINDOWS * lengthMs) return null;
  return Math.round((readings * 1_000_000) / lengthMs) / 1_000;
}

interface QueueCounts {
  messages: number;
  consumers: number;
}

type CheckQueue = (queue: string) => Promise<QueueCounts | undefined>;

/**
 * Runs `work` with a queue check (a passive declare: it creates and changes nothing; undefined for a
 * queue that does not exist) on a connection of its own, closed afterwards: the console polls every
 * few seconds, which a short-lived connection bears easily, and nothing stays open between polls.
 */
async function withQueueCheck<T>(work: (check: CheckQueue) => Promise<T>): Promise<T> {
  const connection = await amqp.connect(env.RABBITMQ_URL, { timeout: BROKER_TIMEOUT_MS, clientProperties: { connection_name: "web-operations" } });
  connection.on("error", () => undefined); // reported by the call that meets it
  const openChannel = async () => {
    const channel = await connection.createChannel();
    channel.on("error", () => undefined); // a 404 arrives here too; check() reports it
    return channel;
  };
  try {
    let channel = await openChannel();
    return await work(async (queue) => {
      try {
        const { messageCount, consumerCount } = await channel.checkQueue(queue);
        return { messages: messageCount, consumers: consumerCount };
      } catch (error) {
        // 404 NOT_FOUND closes the channel (not the connection): the queue is not there.
        if ((error as { code?: number }).code !== 404) throw error;
        channel = await openChannel();
        return undefined;
      }
    });
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/**
 * Per partition queue: consumers and depth (RabbitMQ), the replica holding its lock (pg_locks) and the
 * last to claim it (monitoring_partitions), its current readings/s, and its devices and their last
 * reading. RabbitMQ unreachable is an answer (`broker: "unreachable"`), not an error: the rest still shows.
 *
 * readings/s is what the partition's replica recorded in monitoring_partitions for its last complete
 * window (the readings it newly counted from the queue over the window's length; apps/workers
 * PartitionRates), shown while that window ended at most RATE_FRESH_WINDOWS window lengths ago (by the
 * database's clock, which wrote the window):
 * a replica that stopped or lost its database leaves a window behind that nothing else clears.
 *
 * Devices are assigned to partitions as the balancer does (packages/hashing) with the live partition
 * count (consumers of monitoring.sync.queue, the number the balancer follows), or, with no replica live,
 * every partition known.
 */
export async function dataPlane(viewer: Viewer, now = new Date()): Promise<DataPlane> {
  assertAdmin(viewer);
  const names = queueNames(env.QUEUE_PREFIX);
  const [claims, locks, devices, [databaseClock]] = await fromMonitoring(() =>
    Promise.all([
      monitoringDb.monitoringPartition.findMany({ where: { queuePrefix: env.QUEUE_PREFIX }, orderBy: { partitionIndex: "asc" } }),
      monitoringDb.$queryRaw<{ partition: number; pid: number; application_name: string | null }[]>`
        SELECT l.objid::integer AS partition, l.pid, a.application_name
          FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = ${partitionLockClass(env.QUEUE_PREFIX)}::integer::oid
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      monitoringDb.monitoredDevice.findMany({ where: { deleted: false }, select: { deviceId: true } }),
      // The windows' ends are the database's clock: their age is judged by it, not by this server's.
      monitoringDb.$queryRaw<{ now: Date }[]>`SELECT now()`,
    ]),
  );
  const known = Math.max(0, ...claims.map((c) => c.partitionIndex + 1), ...locks.map((l) => l.partition + 1));
  const broker = await within(
    () =>
      withQueueCheck(async (check) => {
        const liveCount = (await check(names.monitoringSync))?.consumers ?? 0;
        const queues = Array.from({ length: Math.max(known, liveCount) }, (_, i) => names.partition(i));
        const counts = new Map<string, QueueCounts | undefined>();
        for (const queue of [...queues, names.deadLetter]) counts.set(queue, await check(queue));
        return { liveCount, counts };
      }),
    null,
    BROKER_TIMEOUT_MS * 2,
  );
  const partitionCount = Math.max(known, broker?.liveCount ?? 0);
  const queues = Array.from({ length: partitionCount }, (_, i) => names.partition(i));
  const routingCount = broker && broker.liveCount > 0 ? broker.liveCount : partitionCount;
  const lastReadingOf = await lastReadings(devices.map((d) => d.deviceId));
  const perPartition = Array.from({ length: partitionCount }, () => ({ devices: 0, lastReadingAt: null as Date | null }));
  if (routingCount > 0) {
    for (const [deviceId, lastReadingAt] of lastReadingOf) {
      const slot = perPartition[partitionOf(deviceId, routingCount)];
      if (!slot) continue;
      slot.devices++;
      if (lastReadingAt && (!slot.lastReadingAt || lastReadingAt > slot.lastReadingAt)) slot.lastReadingAt = lastReadingAt;
    }
  }
  const claimOf = new Map(claims.map((c) => [c.partitionIndex, c]));
  const lockOf = new Map(locks.map((l) => [l.partition, l]));
  return {
    generatedAt: now,
    broker: broker ? "ok" : "unreachable",
    livePartitionCount: broker?.liveCount ?? null,
    partitions: queues.map((queue, index) => {
      const lock = lockOf.get(index);
      const claim = claimOf.get(index);
      const slot = perPartition[index] ?? { devices: 0, lastReadingAt: null };
      return {
        index,
        queue,
        inUse: index < routingCount,
        consumers: broker?.counts.get(queue)?.consumers ?? null,
        depth: broker?.counts.get(queue)?.messages ?? null,
        holder: lock ? { pid: lock.pid, applicationName: lock.application_name } : null,
        lastClaimedBy: claim?.lastClaimedBy ?? null,
        lastClaimedAt: claim?.lastClaimedAt ?? null,
        devices: slot.devices,
        readingsPerSecond: currentRate(claim, databaseClock?.now ?? now),
        lastReadingAt: slot.lastReadingAt,
      };
    }),
    deadLetter: { queue: names.deadLetter, depth: broker?.counts.get(names.deadLetter)?.messages ?? null },
  };
}

// ---------------------------------------------------------------------------------------------------
// Dead letters by reason

/** Most dead letters counted per examination, from the head: each is held (unacknowledged) while it runs. */
export const DEAD_LETTER_EXAMINE_LIMIT = 1_000;
/** One examination answers every request for this long: however often the console asks, the queue is read at most this often. */
export const DEAD_LETTER_CACHE_MS = 30_000;
/** An examination not over by then is given up (a broker that took the connection but does not answer). */
const DEAD_LETTER_TIMEOUT_MS = 10_000;

export const deadLetterReasonsSchema = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("ok"),
    queue: z.string(),
    examinedAt: z.date(),
    /** Dead letters ready in the queue when it was examined. */
    total: z.number().int(),
    /** Read from the head and counted: all of them, or the first `limit`. */
    examined: z.number().int(),
    limit: z.number().int(),
    /** Largest count first. */
    reasons: z.array(
      z.object({
        /** null: messages without an `x-ems-reason` header. */
        reason: z.string().nullable(),
        count: z.number().int(),
        sourceQueues: z.array(z.string()),
        /** The group's earliest first dead-lettering, where its headers say. */
        firstDeadLetteredAt: z.date().nullable(),
      }),
    ),
  }),
  z.object({
    status: z.literal("unavailable"),
    queue: z.string(),
    failure: z.enum(["unreachable", "missing", "refused", "timeout"]),
    /** What happened and what to do, for the admin. */
    message: z.string(),
  }),
]);
export type DeadLetterReasons = z.infer<typeof deadLetterReasonsSchema>;

/** The latest examination (running or done), shared by every request while it is fresh. */
let lastExamination: { startedAt: number; answer: Promise<DeadLetterReasons> } | undefined;

/** A header's time, or null when absent or not a time (dead letters carry whatever their producer sent). */
function headerTime(iso: string | undefined): Date | null {
  const time = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isNaN(time) ? null : new Date(time);
}

function unavailable(queue: string, error: unknown): DeadLetterReasons {
  const failure = error instanceof DeadLetterQueueError ? error.failure : "unreachable";
  const message = {
    unreachable: `RabbitMQ could not be reached, so ${queue} was not examined.`,
    missing: `There is no queue ${queue}: no EMS process has run against this broker yet, or QUEUE_PREFIX is not the system's.`,
    refused: `The web app's RabbitMQ user may not read ${queue}: it needs read permission on that queue (docker/create-secrets.sh grants it in the Swarm stack; README, "Dead letters").`,
  }[failure];
  return { status: "unavailable", queue, failure, message };
}

async function examine(queue: string, now: Date): Promise<DeadLetterReasons> {
  try {
    const summary = await examineDeadLetters(env.RABBITMQ_URL, queue, {
      connectionName: "web-operations-dead-letters",
      limit: DEAD_LETTER_EXAMINE_LIMIT,
      connectTimeoutMs: BROKER_TIMEOUT_MS,
      // The next examination is DEAD_LETTER_CACHE_MS away: no need to wait long for the requeue to finish.
      requeueWaitMs: BROKER_TIMEOUT_MS,
    });
    return {
      status: "ok",
      queue,
      examinedAt: now,
      total: summary.total,
      examined: summary.examined,
      limit: DEAD_LETTER_EXAMINE_LIMIT,
      reasons: summary.reasons.map((group) => ({
        reason: group.reason ?? null,
        count: group.count,
        sourceQueues: group.sourceQueues,
        firstDeadLetteredAt: headerTime(group.firstDeadLetteredAt),
      })),
    };
  } catch (error) {
    return unavailable(queue, error);
  }
}

/**
 * The dead-letter queue counted by reason: at most DEAD_LETTER_EXAMINE_LIMIT messages from its head,
 * read with basic.get and all put back in their places (@ems/messaging/dead-letters, as `npm run dlq
 * -- list` does); a `dlq replay` running at the same moment passes over the few held meanwhile. An
 * examination answers every request for DEAD_LETTER_CACHE_MS, also while it runs; one that failed is
 * not kept, so asking again tries again. RabbitMQ unreachable, the queue missing or the web's user
 * not allowed to read it is an answer with a message, not an error.
 */
export async function deadLetterReasons(viewer: Viewer, now = new Date()): Promise<DeadLetterReasons> {
  assertAdmin(viewer);
  const last = lastExamination;
  const age = last ? now.getTime() - last.startedAt : Number.POSITIVE_INFINITY;
  if (last && age >= 0 && age < DEAD_LETTER_CACHE_MS) return last.answer;
  const queue = queueNames(env.QUEUE_PREFIX).deadLetter;
  const timedOut: DeadLetterReasons = {
    status: "unavailable",
    queue,
    failure: "timeout",
    message: `RabbitMQ did not finish answering within ${DEAD_LETTER_TIMEOUT_MS / 1_000} s; try again.`,
  };
  const examination = { startedAt: now.getTime(), answer: within(() => examine(queue, now), timedOut, DEAD_LETTER_TIMEOUT_MS) };
  lastExamination = examination;
  void examination.answer.then((answer) => {
    if (answer.status !== "ok" && lastExamination === examination) lastExamination = undefined;
  });
  return examination.answer;
}
