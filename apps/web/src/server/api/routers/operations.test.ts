import { randomBytes } from "node:crypto";
import amqp from "amqplib";
import pg from "pg";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { partitionLockClass } from "@ems/contracts/partition-locks";
import { DEAD_LETTER_FIRST_AT_HEADER, DEAD_LETTER_REASON_HEADER, DEAD_LETTER_SOURCE_HEADER, queueNames } from "@ems/contracts/queues";
import { databaseUrls } from "@ems/db/env";
import { monitoringDb } from "@ems/db/monitoring";
import { partitionOf } from "@ems/hashing";
import { startTcpProxy, type TcpProxy } from "../../../../test/tcp-proxy.ts";
import type * as Fixtures from "../../../../test/fixtures.ts";

// The operations router through createCaller, against the test databases and RabbitMQ on queue names of
// this file's own, reached through a TCP proxy the broker test cuts. The prefix and the broker's address
// must be in the environment before ~/env.ts is first imported, hence the dynamic import below.
const prefix = `t.operations.${randomBytes(4).toString("hex")}.`;
const names = queueNames(prefix);
const RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672";

let proxy: TcpProxy;
let connection: Awaited<ReturnType<typeof amqp.connect>>;
let channel: Awaited<ReturnType<typeof connection.createChannel>>;
/** Stands in for a monitoring replica's lock session. */
let replica: pg.Client;
let fixtures: typeof Fixtures;
let cast: Fixtures.Cast;

beforeAll(async () => {
  proxy = await startTcpProxy(5672);
  /* eslint-disable no-restricted-properties -- test wiring, before the env module loads */
  process.env.QUEUE_PREFIX = prefix;
  process.env.RABBITMQ_URL = `amqp://guest:guest@127.0.0.1:${proxy.port}`;
  /* eslint-enable no-restricted-properties */
  connection = await amqp.connect(RABBITMQ_URL);
  channel = await connection.createChannel();
  replica = new pg.Client({ connectionString: databaseUrls.monitoring, application_name: `${prefix}monitoring-a-locks` });
  await replica.connect();
  fixtures = await import("../../../../test/fixtures.ts");
  cast = await fixtures.createCast();
});

afterAll(async () => {
  await proxy.close();
  for (const queue of [names.partition(0), names.partition(1), names.deadLetter]) await channel.deleteQueue(queue);
  await connection.close();
  await monitoringDb.monitoringPartition.deleteMany({ where: { queuePrefix: prefix } });
  await replica.end();
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return (error as TRPCError).code;
}

describe("operations router", () => {
  it("is for admins only: a client gets FORBIDDEN, no one signed in UNAUTHORIZED", async () => {
    const device = await fixtures.createTestDevice(cast.admin, cast.clientA.id);
    await fixtures.seedMonitoring(device.id, cast.clientA.id, []);
    const alert = await fixtures.seedAlert(device.id, cast.clientA.id, "2026-03-10T10:00:00Z");
    const asClient = fixtures.callerFor(cast.clientA);
    expect(await codeOf(asClient.operations.fleet())).toBe("FORBIDDEN");
    expect(await codeOf(asClient.operations.alerts({ ownerId: cast.clientA.id }))).toBe("FORBIDDEN");
    expect(await codeOf(asClient.operations.acknowledgeAlert({ alertId: alert.id }))).toBe("FORBIDDEN");
    expect(await codeOf(asClient.operations.dataPlane())).toBe("FORBIDDEN");
    expect(await codeOf(fixtures.callerFor(null).operations.fleet())).toBe("UNAUTHORIZED");
    // Not even their own alert is acknowledged through the admin's door.
    expect((await monitoringDb.alert.findUniqueOrThrow({ where: { id: alert.id } })).acknowledgedAt).toBeNull();
  });

  it("an admin acknowledges any client's alert; a second acknowledgement keeps the first time", async () => {
    const device = await fixtures.createTestDevice(cast.admin, cast.clientB.id);
    await fixtures.seedMonitoring(device.id, cast.clientB.id, []);
    const alert = await fixtures.seedAlert(device.id, cast.clientB.id, "2026-03-11T10:00:00Z");
    const asAdmin = fixtures.callerFor(cast.admin);
    const acknowledged = await asAdmin.operations.acknowledgeAlert({ alertId: alert.id });
    expect(acknowledged).toMatchObject({ id: alert.id, ownerUsername: cast.clientB.username, deviceName: device.name });
    expect(acknowledged.acknowledgedAt).toBeInstanceOf(Date);
    const again = await asAdmin.operations.acknowledgeAlert({ alertId: alert.id });
    expect(again.acknowledgedAt).toEqual(acknowledged.acknowledgedAt);
    const listed = await asAdmin.operations.alerts({ ownerId: cast.clientB.id, acknowledgement: "acknowledged" });
    expect(listed.items.map((a) => a.id)).toContain(alert.id);
    expect(await codeOf(asAdmin.operations.acknowledgeAlert({ alertId: "00000000-0000-4000-8000-000000000000" }))).toBe("NOT_FOUND");
  });

  it("an admin acknowledges a silence alarm: it stays active, and leaves the unacknowledged list", async () => {
    const device = await fixtures.createTestDevice(cast.admin, cast.clientA.id);
    await fixtures.seedMonitoring(device.id, cast.clientA.id, []);
    const silence = await fixtures.seedSilenceAlarm(device.id, cast.clientA.id, new Date(Date.now() - 40 * 60_000));
    const asAdmin = fixtures.callerFor(cast.admin);
    const open = await asAdmin.operations.alerts({ deviceId: device.id, kind: "device_silent", state: "active", acknowledgement: "unacknowledged" });
    expect(open.items.map((a) => a.id)).toEqual([silence.id]);
    const acknowledged = await asAdmin.operations.acknowledgeAlert({ alertId: silence.id });
    expect(acknowledged).toMatchObject({ id: silence.id, kind: "device_silent", state: "active", clearedAt: null, ownerUsername: cast.clientA.username });
    expect(acknowledged.acknowledgedAt).toBeInstanceOf(Date);
    expect((await asAdmin.operations.alerts({ deviceId: device.id, state: "active", acknowledgement: "unacknowledged" })).items).toEqual([]);
    expect((await asAdmin.operations.alerts({ deviceId: device.id, state: "active", acknowledgement: "acknowledged" })).items.map((a) => a.id)).toEqual([silence.id]);
  });

  it("bad filters are BAD_REQUEST", async () => {
    expect(await codeOf(fixtures.callerFor(cast.admin).operations.alerts({ ownerId: "not-a-uuid" }))).toBe("BAD_REQUEST");
    // @ts-expect-error -- a kind and a state the API does not know
    expect(await codeOf(fixtures.callerFor(cast.admin).operations.alerts({ kind: "offline", state: "silent" }))).toBe("BAD_REQUEST");
    expect(await codeOf(fixtures.callerFor(cast.admin).operations.fleet({ limit: 0 }))).toBe("BAD_REQUEST");
  });
});

describe("data plane", () => {
  it("shows each partition's consumers, depth, lock holder and traffic, and the dead-letter depth", async () => {
    await channel.assertQueue(names.partition(0), { durable: true });
    await channel.assertQueue(names.partition(1), { durable: true });
    await channel.assertQueue(names.deadLetter, { durable: true });
    await channel.consume(names.partition(0), () => undefined);
    for (let i = 0; i < 3; i++) channel.sendToQueue(names.partition(1), Buffer.from("{}"));
    channel.sendToQueue(names.deadLetter, Buffer.from("{}"));
    // Replica "a" claimed both partitions once; it holds partition 0's lock now.
    await monitoringDb.monitoringPartition.createMany({
      data: [0, 1].map((partitionIndex) => ({ queuePrefix: prefix, partitionIndex, lastClaimedBy: `${prefix}monitoring-a-locks` })),
    });
    await replica.query("SELECT pg_advisory_lock($1, 0)", [partitionLockClass(prefix)]);
    const replicaPid = (await replica.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
    // A device counted into after every other one seeded: its partition's last reading.
    const device = await fixtures.createTestDevice(cast.admin, cast.clientA.id);
    await fixtures.seedMonitoring(device.id, cast.clientA.id, []);
    const hourStart = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const countedAt = new Date(Date.now() + 60_000);
    await monitoringDb.hourlyConsumption.create({ data: { deviceId: device.id, hourStart, totalKwh: "1", readingCount: 36, updatedAt: countedAt } });

    let plane = await fixtures.callerFor(cast.admin).operations.dataPlane();
    // Published messages reach the queue's count asynchronously.
    for (let i = 0; i < 50 && (plane.partitions[1]?.depth !== 3 || plane.deadLetter.depth !== 1); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      plane = await fixtures.callerFor(cast.admin).operations.dataPlane();
    }
    expect(plane.broker).toBe("ok");
    expect(plane.livePartitionCount).toBe(0); // no replica consumes this prefix's sync queue
    expect(plane.partitions.map((p) => p.queue)).toEqual([names.partition(0), names.partition(1)]);
    expect(plane.partitions[0]).toMatchObject({ consumers: 1, depth: 0, inUse: true, holder: { pid: replicaPid, applicationName: `${prefix}monitoring-a-locks` } });
    expect(plane.partitions[1]).toMatchObject({ consumers: 0, depth: 3, holder: null, lastClaimedBy: `${prefix}monitoring-a-locks` });
    expect(plane.deadLetter).toEqual({ queue: names.deadLetter, depth: 1 });
    // With no replica live, devices are spread over every known partition (2), as the balancer would.
    const own = plane.partitions[partitionOf(device.id, 2)];
    expect(own?.lastReadingAt).toEqual(countedAt);
    // No replica recorded a window for these partitions: no current rate (domain/operations.test.ts has them).
    expect(plane.partitions.map((p) => p.readingsPerSecond)).toEqual([null, null]);
    expect(own?.devices).toBeGreaterThanOrEqual(1);
  });

  it("RabbitMQ unreachable: the panel says so and still lists the partitions from the database", async () => {
    await proxy.cut();
    try {
      const plane = await fixtures.callerFor(cast.admin).operations.dataPlane();
      expect(plane.broker).toBe("unreachable");
      expect(plane.livePartitionCount).toBeNull();
      expect(plane.partitions.map((p) => [p.queue, p.consumers, p.depth])).toEqual([
        [names.partition(0), null, null],
        [names.partition(1), null, null],
      ]);
      expect(plane.partitions[0]?.holder?.applicationName).toBe(`${prefix}monitoring-a-locks`);
      expect(plane.deadLetter.depth).toBeNull();
    } finally {
      await proxy.restore();
    }
  });
});

describe("dead letters by reason", () => {
  /** Appends dead letters as a Broker's deadLetter() writes them, and waits until the queue holds `expected`. */
  async function deadLetter(letters: { body: string; reason?: string; source?: string; firstAt?: string }[], expected: number) {
    for (const { body, reason, source, firstAt } of letters) {
      const headers: Record<string, string> = {};
      if (reason !== undefined) headers[DEAD_LETTER_REASON_HEADER] = reason;
      if (source !== undefined) headers[DEAD_LETTER_SOURCE_HEADER] = source;
      if (firstAt !== undefined) headers[DEAD_LETTER_FIRST_AT_HEADER] = firstAt;
      channel.sendToQueue(names.deadLetter, Buffer.from(body), { headers });
    }
    while ((await channel.checkQueue(names.deadLetter)).messageCount !== expected) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** The queue's bodies, head first, read and put back by the test's own connection. */
  async function bodies(): Promise<string[]> {
    const reader = await connection.createChannel();
    const found: string[] = [];
    for (let message = await reader.get(names.deadLetter); message; message = await reader.get(names.deadLetter)) found.push(message.content.toString());
    reader.nackAll(true);
    // The broker requeues them bit by bit: wait until all are ready again for what comes next.
    while ((await reader.checkQueue(names.deadLetter)).messageCount < found.length) await new Promise((resolve) => setTimeout(resolve, 20));
    await reader.close();
    return found;
  }

  /** A moment past the cache of every examination before it (each 31 s after the last, from a minute ahead). */
  let later = Date.now() + 60_000;
  const fresh = () => new Date((later += 31_000));

  it("counts them by reason, largest first, puts every one back in its place, and reads the queue at most every 30 s", async () => {
    const { deadLetterReasons } = await import("../../domain/operations.ts");
    await channel.assertQueue(names.deadLetter, { durable: true });
    await channel.purgeQueue(names.deadLetter);
    const letters = [
      { body: "m1", reason: "malformed JSON", source: names.sensorData, firstAt: "2026-03-02T10:00:00.000Z" },
      { body: "u1", reason: "unknown device", source: names.partition(0), firstAt: "2026-03-03T10:00:00.000Z" },
      { body: "bare" },
      { body: "u2", reason: "unknown device", source: names.partition(1), firstAt: "2026-03-01T10:00:00.000Z" },
      { body: "m2", reason: "malformed JSON", source: names.sensorData, firstAt: "not a time" },
      { body: "u3", reason: "unknown device", source: names.partition(0) },
    ];
    await deadLetter(letters, letters.length);
    const asAdmin = fixtures.callerFor(cast.admin);

    expect(await codeOf(fixtures.callerFor(cast.clientA).operations.deadLetterReasons())).toBe("FORBIDDEN");
    const counted = await asAdmin.operations.deadLetterReasons();
    expect(counted).toMatchObject({ status: "ok", queue: names.deadLetter, total: 6, examined: 6, limit: 1_000 });
    expect(counted.status === "ok" && counted.reasons).toEqual([
      { reason: "unknown device", count: 3, sourceQueues: [names.partition(0), names.partition(1)], firstDeadLetteredAt: new Date("2026-03-01T10:00:00.000Z") },
      { reason: "malformed JSON", count: 2, sourceQueues: [names.sensorData], firstDeadLetteredAt: new Date("2026-03-02T10:00:00.000Z") },
      { reason: null, count: 1, sourceQueues: [], firstDeadLetteredAt: null },
    ]);
    expect(await bodies()).toEqual(letters.map((letter) => letter.body));

    // Polled again within 30 s: the same examination, the queue not read again.
    await deadLetter([{ body: "u4", reason: "unknown device" }], 7);
    const again = await asAdmin.operations.deadLetterReasons();
    expect(again).toEqual(counted);
    // Once 30 s are over, read again.
    const recounted = await deadLetterReasons(cast.admin, fresh());
    expect(recounted).toMatchObject({ status: "ok", total: 7, examined: 7 });
    expect(recounted.status === "ok" && recounted.reasons[0]).toMatchObject({ reason: "unknown device", count: 4 });
  });

  it("counts only the first 1,000 of a longer queue and says how many it holds", async () => {
    const { deadLetterReasons } = await import("../../domain/operations.ts");
    await channel.purgeQueue(names.deadLetter);
    const letters = Array.from({ length: 1_005 }, (_, i) => ({ body: `r${i}`, reason: i < 1_000 ? "unknown device" : "malformed JSON" }));
    await deadLetter(letters, letters.length);

    const counted = await deadLetterReasons(cast.admin, fresh());
    expect(counted).toMatchObject({ status: "ok", total: 1_005, examined: 1_000, limit: 1_000 });
    expect(counted.status === "ok" && counted.reasons.map((r) => [r.reason, r.count])).toEqual([["unknown device", 1_000]]);
    expect(await bodies()).toEqual(letters.map((letter) => letter.body));
  });

  it("RabbitMQ unreachable or the queue missing: an answer that says so, not an error, and not kept", async () => {
    const { deadLetterReasons } = await import("../../domain/operations.ts");
    const at = fresh();
    await proxy.cut();
    let cut;
    try {
      cut = await deadLetterReasons(cast.admin, at);
    } finally {
      await proxy.restore();
    }
    expect(cut).toEqual({ status: "unavailable", queue: names.deadLetter, failure: "unreachable", message: `RabbitMQ could not be reached, so ${names.deadLetter} was not examined.` });
    // A failed examination is not kept: asking again at the same moment tries again.
    expect(await deadLetterReasons(cast.admin, at)).toMatchObject({ status: "ok", total: 1_005 });

    await channel.deleteQueue(names.deadLetter);
    try {
      const missing = await deadLetterReasons(cast.admin, fresh());
      expect(missing).toMatchObject({ status: "unavailable", failure: "missing", message: expect.stringContaining(`There is no queue ${names.deadLetter}`) as unknown });
    } finally {
      await channel.assertQueue(names.deadLetter, { durable: true });
    }
  });
});
