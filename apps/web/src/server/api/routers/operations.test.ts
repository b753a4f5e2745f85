import { randomBytes } from "node:crypto";
import amqp from "amqplib";
import pg from "pg";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { partitionLockClass } from "@ems/contracts/partition-locks";
import { queueNames } from "@ems/contracts/queues";
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
    const listed = await asAdmin.operations.alerts({ ownerId: cast.clientB.id, state: "acknowledged" });
    expect(listed.items.map((a) => a.id)).toContain(alert.id);
    expect(await codeOf(asAdmin.operations.acknowledgeAlert({ alertId: "00000000-0000-4000-8000-000000000000" }))).toBe("NOT_FOUND");
  });

  it("bad filters are BAD_REQUEST", async () => {
    expect(await codeOf(fixtures.callerFor(cast.admin).operations.alerts({ ownerId: "not-a-uuid" }))).toBe("BAD_REQUEST");
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
    // A device with 36 readings counted in the current hour (the other tests' devices add to the sums).
    const device = await fixtures.createTestDevice(cast.admin, cast.clientA.id);
    await fixtures.seedMonitoring(device.id, cast.clientA.id, []);
    const hourStart = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const countedAt = new Date(Date.now() + 60_000); // newer than anything else seeded: its partition's last reading
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
    const seconds = (plane.generatedAt.getTime() - plane.rateSince.getTime()) / 1_000;
    expect(own?.readingsPerSecond).toBeGreaterThanOrEqual(Math.floor((36 / seconds) * 1_000) / 1_000);
    expect(own?.lastReadingAt).toEqual(countedAt);
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
