import { randomBytes } from "node:crypto";
import amqp from "amqplib";
import { queueNames } from "@ems/contracts/queues";
import { deviceSyncEventSchema, type DeviceSyncEvent } from "@ems/contracts/sync";
import { deviceDb, type OutboxEvent } from "@ems/db/device";
import { Broker, type Logger } from "@ems/messaging";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { env } from "~/env.ts";
import { assignDevice, updateDevice } from "../domain/devices.ts";
import { createCast, createTestDevice, outboxOf, type Cast } from "../../../test/fixtures.ts";
import { startTcpProxy } from "../../../test/tcp-proxy.ts";
import { brokerPublisher } from "./broker-publisher.ts";
import { OutboxRelay, type OutboxPublisher, type OutboxRow, type OutboxStore } from "./relay.ts";
import { deviceOutboxStore } from "./stores.ts";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

let cast: Cast;
beforeAll(async () => {
  cast = await createCast();
});

function relayWith(publisher: OutboxPublisher, batchSize = 100) {
  return new OutboxRelay({ store: deviceOutboxStore(), publisher, log: quiet, pollIntervalMs: 50, maxBackoffMs: 200, batchSize });
}

/** Runs passes until the given devices have no unpublished outbox rows. */
async function publishAllOf(relay: OutboxRelay, deviceIds: string[]) {
  for (let pass = 0; pass < 100; pass++) {
    const pending = await deviceDb.outboxEvent.count({ where: { deviceId: { in: deviceIds }, publishedAt: null } });
    if (pending === 0) return;
    await relay.publishPending();
  }
  throw new Error("outbox rows still pending after 100 passes");
}

async function makeChanges(deviceId: string, count: number) {
  for (let i = 1; i <= count; i++) await updateDevice(cast.admin, { id: deviceId, maxHourlyConsumption: `${i}.5` });
}

describe("outbox relay (publishing order and failures)", () => {
  it("stops at the first failed publish and resumes there, in id order", async () => {
    const device = await createTestDevice(cast.admin, null);
    await makeChanges(device.id, 3);
    const rows = await outboxOf(device.id);
    const failing = rows[2]!;
    const seen: bigint[] = [];
    const flaky = relayWith({
      publish: (event) => {
        if (event.id === failing.id) return Promise.reject(new Error("broker said no"));
        seen.push(event.id);
        return Promise.resolve();
      },
    });
    // Rows of earlier tests may be pending too, and a batch may end right after rows[1]: run passes
    // until the failing row has been tried, not merely until the row before it went out.
    for (let pass = 0; pass < 50; pass++) {
      await flaky.publishPending();
      if ((await outboxOf(device.id))[2]!.attempts > 0) break;
    }

    const afterFailure = await outboxOf(device.id);
    expect(afterFailure.map((r) => r.publishedAt !== null)).toEqual([true, true, false, false]);
    expect(afterFailure[2]).toMatchObject({ attempts: 1, lastError: "broker said no" });
    expect(seen).not.toContain(rows[3]!.id);

    const delivered: bigint[] = [];
    await publishAllOf(relayWith({ publish: (event) => (delivered.push(event.id), Promise.resolve()) }), [device.id]);
    const mine = delivered.filter((id) => rows.some((r) => r.id === id));
    expect(mine).toEqual([rows[2]!.id, rows[3]!.id]);
    expect((await outboxOf(device.id)).every((r) => r.publishedAt !== null && r.lastError === null)).toBe(true);
  });

  it("lets only one relay publish at a time, so no event is published twice by concurrent relays", async () => {
    const device = await createTestDevice(cast.admin, null);
    await makeChanges(device.id, 5);
    const published: bigint[] = [];
    const slow: OutboxPublisher = {
      publish: async (event: OutboxEvent) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        published.push(event.id);
      },
    };
    const [a, b] = [relayWith(slow), relayWith(slow)];
    for (let round = 0; round < 50; round++) {
      await Promise.all([a.publishPending(), b.publishPending()]);
      if ((await deviceDb.outboxEvent.count({ where: { deviceId: device.id, publishedAt: null } })) === 0) break;
    }
    const ids = (await outboxOf(device.id)).map((r) => r.id);
    expect(published.filter((id) => ids.includes(id))).toEqual(ids);
  });
});

describe("outbox relay wake-up", () => {
  it("poke() runs the next pass at once instead of after the backoff (RabbitMQ is back: what waited goes now)", async () => {
    let passes = 0;
    let failing = true;
    const store: OutboxStore<OutboxRow> = {
      hasPending: () => Promise.resolve(true),
      withLock: (pass) => {
        passes++;
        return pass({ pending: () => Promise.resolve([{ id: 1n, eventType: "e", payload: {} }]), failed: () => Promise.resolve(), published: () => Promise.resolve() });
      },
    };
    const publisher: OutboxPublisher = { publish: () => (failing ? Promise.reject(new Error("broker away")) : Promise.resolve()) };
    // After the first failure the relay would wait a minute before trying again.
    const relay = new OutboxRelay({ store, publisher, log: quiet, pollIntervalMs: 30_000, maxBackoffMs: 60_000 });
    relay.start();
    try {
      await expect.poll(() => relay.status().consecutiveFailures).toBe(1);
      failing = false;
      relay.poke();
      await expect.poll(() => relay.status().consecutiveFailures, { timeout: 1_000 }).toBe(0);
      expect(passes).toBe(2);
      expect(relay.status().lastPublishedAt).not.toBeNull();
    } finally {
      await relay.stop();
    }
  });
});

describe("outbox relay with RabbitMQ unreachable, then back", () => {
  const prefix = `t.web.${randomBytes(4).toString("hex")}.`;
  const queue = queueNames(prefix).monitoringSync;
  let consumerConnection: amqp.ChannelModel;
  let consumerChannel: amqp.Channel;
  const received: DeviceSyncEvent[] = [];

  beforeAll(async () => {
    consumerConnection = await amqp.connect(env.RABBITMQ_URL);
    consumerChannel = await consumerConnection.createChannel();
    await consumerChannel.assertQueue(queue, { durable: true });
    await consumerChannel.consume(queue, (message) => {
      if (!message) return;
      received.push(deviceSyncEventSchema.parse(JSON.parse(message.content.toString("utf8"))));
      consumerChannel.ack(message);
    });
  });

  afterAll(async () => {
    await consumerChannel.deleteQueue(queue);
    await consumerConnection.close();
  });

  async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error("timed out");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it("keeps admin changes working during the outage and delivers every event, in order per device, once it is back", async () => {
    const proxy = await startTcpProxy(Number(new URL(env.RABBITMQ_URL).port || 5672));
    const url = new URL(env.RABBITMQ_URL);
    url.port = String(proxy.port);
    const broker = new Broker({ url: url.toString(), name: "web-outbox-test", log: quiet, reconnectDelayMs: { initial: 50, max: 200 } });
    const relay = new OutboxRelay({
      store: deviceOutboxStore(),
      publisher: await brokerPublisher(broker, queue, 300),
      log: quiet,
      pollIntervalMs: 50,
      maxBackoffMs: 200,
    });
    const started = broker.start();
    relay.start();
    try {
      await started;
      const [first, second] = [await createTestDevice(cast.admin, null), await createTestDevice(cast.admin, null)];
      const ours = (event: DeviceSyncEvent) => event.deviceId === first.id || event.deviceId === second.id;
      await waitFor(() => received.filter(ours).length === 2);

      await proxy.cut();
      await assignDevice(cast.admin, { deviceId: first.id, userId: cast.clientA.id });
      await makeChanges(first.id, 3);
      await makeChanges(second.id, 2);
      await assignDevice(cast.admin, { deviceId: second.id, userId: cast.clientB.id });
      // The relay keeps trying while the broker is away; the events wait in the outbox. (Counted on the
      // relay: a failed pass charges the attempt to the oldest pending row, which need not be ours.)
      await waitFor(() => relay.status().consecutiveFailures >= 2);
      expect((await outboxOf(first.id)).some((r) => r.publishedAt === null)).toBe(true);
      expect(received.filter(ours)).toHaveLength(2);

      await proxy.restore();
      await waitFor(() => received.filter(ours).length === 2 + 4 + 3);
      // The relay stamps published_at when its pass commits, just after the broker's confirms.
      await waitFor(async () => (await deviceDb.outboxEvent.count({ where: { deviceId: { in: [first.id, second.id] }, publishedAt: null } })) === 0);

      for (const device of [first, second]) {
        const events = received.filter((e) => e.deviceId === device.id);
        expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));
      }
      expect(received.filter((e) => e.deviceId === first.id).at(-1)).toMatchObject({ ownerId: cast.clientA.id, maxHourlyConsumption: "3.5" });
      expect(received.filter((e) => e.deviceId === second.id).at(-1)).toMatchObject({ type: "device.assigned", ownerId: cast.clientB.id });
      expect(relay.status()).toMatchObject({ consecutiveFailures: 0 });
    } finally {
      await relay.stop();
      await broker.close();
      await proxy.close();
    }
  });
});
