import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from "amqplib";
import { DEAD_LETTER_SOURCE_HEADER, queueNames } from "@ems/contracts/queues";
import { READINGS_BATCH_CONTENT_TYPE } from "@ems/contracts/readings-batch";
import { partitionOf } from "@ems/hashing";
import { declareTopology, deleteTopology } from "@ems/messaging";
import { QueueProbe, deadLetterReason, eventually, testEnv, testLogger, uniqueQueuePrefix } from "../shared/testing.ts";
import { startBalancer, type RunningBalancer } from "./balancer.ts";

const PARTITIONS = 3;
const names = queueNames(uniqueQueuePrefix("balancer"));
let probe: QueueProbe;
let balancer: RunningBalancer;
let partitions: ConsumeMessage[][];
let deadLetters: ConsumeMessage[];

beforeAll(async () => {
  probe = await QueueProbe.connect();
  await probe.declare(names, PARTITIONS);
  partitions = await Promise.all(Array.from({ length: PARTITIONS }, (_, i) => probe.record(names.partition(i))));
  deadLetters = await probe.record(names.deadLetter);
  balancer = await startBalancer({
    rabbitmqUrl: testEnv.RABBITMQ_URL,
    queuePrefix: names.sensorData.replace("sensor.data.queue", ""),
    partitionCount: PARTITIONS,
    prefetch: 100,
    statsIntervalMs: 0,
    log: testLogger,
  });
});

afterAll(async () => {
  await balancer.stop();
  await probe.close(names, PARTITIONS);
});

/** The readings a partition message carries: its body, or each reading of a readings batch. */
const readingsOf = (message: ConsumeMessage): unknown[] => {
  const json = JSON.parse(message.content.toString()) as unknown;
  return message.properties.contentType === READINGS_BATCH_CONTENT_TYPE ? (json as { readings: unknown[] }).readings : [json];
};
const total = (lists: ConsumeMessage[][]) => lists.reduce((sum, list) => sum + list.flatMap(readingsOf).length, 0);

describe("balancer", () => {
  it("forwards each reading unchanged to its device's partition queue", async () => {
    const devices = Array.from({ length: 30 }, () => randomUUID());
    const bodies = devices.map((deviceId, i) => JSON.stringify({ timestamp: Date.now() - i * 600_000, device_id: deviceId, measurement_value: i / 10 }));
    // One device in camelCase and upper case: still routed by its (normalised) id.
    const shouted = devices[0]!.toUpperCase();
    bodies.push(JSON.stringify({ timestamp: Date.now(), deviceId: shouted, measurementValue: 1 }));
    for (const body of bodies) await probe.publish(names.sensorData, body);

    await eventually("all readings forwarded", () => total(partitions) === bodies.length);
    const sent = bodies.map((body) => JSON.parse(body) as unknown);
    partitions.forEach((messages, partition) => {
      for (const reading of messages.flatMap(readingsOf)) {
        expect(sent).toContainEqual(reading);
        const { device_id, deviceId } = reading as { device_id?: string; deviceId?: string };
        expect(partition).toBe(partitionOf((device_id ?? deviceId)!.toLowerCase(), PARTITIONS));
      }
    });
    // Every partition got some of the 30 devices (1 in ~18,000 chance of a false failure).
    expect(partitions.every((messages) => messages.length > 0)).toBe(true);
    // Counted just after the forward is confirmed, so possibly a moment after it arrived.
    await eventually("forwards counted", () => balancer.counts().forwarded.reduce((a, b) => a + b, 0) === bodies.length);
  });

  it("dead-letters each kind of invalid reading with its reason and keeps forwarding", async () => {
    const forwardedBefore = total(partitions);
    const deviceId = randomUUID();
    const valid = { timestamp: Date.now(), device_id: deviceId, measurement_value: 0.5 };
    const invalid: [string, string][] = [
      ["{not json", "malformed JSON"],
      [JSON.stringify({ ...valid, device_id: undefined }), "device_id must be a UUID"],
      [JSON.stringify({ ...valid, device_id: "meter-1" }), "device_id must be a UUID"],
      [JSON.stringify({ ...valid, measurement_value: -1 }), "measurement_value must not be negative"],
      [`{"timestamp": ${valid.timestamp}, "device_id": "${deviceId}", "measurement_value": 1e999}`, "measurement_value must be finite"],
      [JSON.stringify({ ...valid, measurement_value: "lots" }), "measurement_value must be a number"],
      [JSON.stringify({ ...valid, timestamp: Date.now() + 3_600_000 }), "timestamp is in the future"],
    ];
    for (const [body] of invalid) await probe.publish(names.sensorData, body);
    await probe.publish(names.sensorData, valid);

    await eventually("invalid readings dead-lettered", () => deadLetters.length === invalid.length);
    expect(deadLetters.map((m) => [m.content.toString(), deadLetterReason(m)])).toEqual(invalid);
    expect(deadLetters.every((m) => m.properties.headers?.[DEAD_LETTER_SOURCE_HEADER] === names.sensorData)).toBe(true);
    await eventually("the valid reading forwarded", () => total(partitions) === forwardedBefore + 1);
    expect(readingsOf(partitions[partitionOf(deviceId, PARTITIONS)]!.at(-1)!)).toEqual([valid]);
    await eventually("dead letters counted", () => balancer.counts().deadLettered === invalid.length);
  });
});

describe("balancer forwarding in batches", () => {
  const batchNames = queueNames(uniqueQueuePrefix("balancer-batches"));
  let connection: ChannelModel;
  let channel: ConfirmChannel;
  let batching: RunningBalancer;
  let received: ConsumeMessage[][];
  let dead: ConsumeMessage[];

  beforeAll(async () => {
    connection = await amqp.connect(testEnv.RABBITMQ_URL);
    channel = await connection.createConfirmChannel();
    await declareTopology(channel, batchNames, 2);
    received = await Promise.all([0, 1].map((i) => probe.record(batchNames.partition(i))));
    dead = await probe.record(batchNames.deadLetter);
    batching = await startBalancer({
      rabbitmqUrl: testEnv.RABBITMQ_URL,
      queuePrefix: batchNames.sensorData.replace("sensor.data.queue", ""),
      partitionCount: 2,
      prefetch: 100,
      batch: { maxReadings: 10, lingerMs: 100, maxBytes: 800 },
      statsIntervalMs: 0,
      log: testLogger,
    });
  });

  afterAll(async () => {
    await batching.stop();
    await deleteTopology(channel, batchNames, 2);
    await connection.close();
  });

  it("sends each partition's readings in batches within the limits, each reading unchanged, and settles every delivery once", async () => {
    // A burst: 60 readings of 12 devices, with an invalid one after every 12th, published without waiting.
    const devices = Array.from({ length: 12 }, () => randomUUID());
    const readings = Array.from({ length: 60 }, (_, i) => ({ timestamp: Date.now() - i * 600_000, device_id: devices[i % 12]!, measurement_value: i / 100 }));
    for (const [i, reading] of readings.entries()) {
      channel.sendToQueue(batchNames.sensorData, Buffer.from(JSON.stringify(reading)), { persistent: true });
      if (i % 12 === 11) channel.sendToQueue(batchNames.sensorData, Buffer.from(JSON.stringify({ ...reading, measurement_value: -1 })), { persistent: true });
    }
    await channel.waitForConfirms();

    await eventually("all readings forwarded", () => total(received) === readings.length);
    await eventually("the invalid ones dead-lettered", () => dead.length === 5);
    expect(dead.every((m) => deadLetterReason(m) === "measurement_value must not be negative")).toBe(true);
    received.forEach((messages, partition) => {
      for (const message of messages) {
        const batch = readingsOf(message);
        // A batch of one goes as the reading itself; more go in an envelope, within both limits.
        expect(message.properties.contentType).toBe(batch.length > 1 ? READINGS_BATCH_CONTENT_TYPE : "application/json");
        expect(batch.length).toBeLessThanOrEqual(10);
        expect(message.content.length).toBeLessThanOrEqual(800);
        for (const reading of batch) expect(partition).toBe(partitionOf((reading as { device_id: string }).device_id, 2));
      }
    });
    expect(received.flatMap((messages) => messages.flatMap(readingsOf))).toEqual(expect.arrayContaining(readings));
    const messages = received.reduce((sum, list) => sum + list.length, 0);
    expect(messages).toBeLessThan(readings.length / 2);
    await eventually("counted", () => batching.counts().messages === messages && batching.counts().forwarded.reduce((a, b) => a + b) === readings.length);

    // Every delivery was acknowledged exactly once: none is left, none came back (a double ack would have
    // closed the channel and brought them all back), and stopping the balancer returns nothing.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await batching.stop();
    expect((await channel.checkQueue(batchNames.sensorData)).messageCount).toBe(0);
    expect(total(received)).toBe(readings.length);
    expect(dead).toHaveLength(5);
  });
});

/**
 * Elastic partitions, the balancer's side, with stand-in replicas: plain consumers on
 * monitoring.sync.queue (what makes a replica count as live) and on the partition queues.
 */
describe("balancer following the live monitoring replicas", () => {
  const elasticNames = queueNames(uniqueQueuePrefix("balancer-elastic"));
  let connection: ChannelModel;
  let channel: Channel;
  let elastic: RunningBalancer;
  const consume = async (queue: string) => (await channel.consume(queue, (m) => m && channel.ack(m))).consumerTag;

  beforeAll(async () => {
    connection = await amqp.connect(testEnv.RABBITMQ_URL);
    channel = await connection.createChannel();
    await declareTopology(channel, elasticNames, 4);
  });

  afterAll(async () => {
    await elastic.stop();
    await deleteTopology(channel, elasticNames, 4);
    await connection.close();
  });

  it("switches up only as far as partition queues have a consumer, down at once, and keeps n while no replica is live", async () => {
    const sync = [await consume(elasticNames.monitoringSync), await consume(elasticNames.monitoringSync)];
    await consume(elasticNames.partition(0));
    await consume(elasticNames.partition(1));
    elastic = await startBalancer({
      rabbitmqUrl: testEnv.RABBITMQ_URL,
      queuePrefix: elasticNames.sensorData.replace("sensor.data.queue", ""),
      partitionCount: 1,
      elastic: { pollIntervalMs: 100 },
      prefetch: 100,
      statsIntervalMs: 0,
      log: testLogger,
    });
    // Two replicas live at start: it starts with 2, not with PARTITION_COUNT (1 here).
    expect(elastic.partitionCount()).toBe(2);

    // A third replica counts as live but sensor.queue.2 has no consumer yet: no switch.
    sync.push(await consume(elasticNames.monitoringSync));
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(elastic.partitionCount()).toBe(2);
    const partition2 = await consume(elasticNames.partition(2));
    await eventually("3 partitions", () => elastic.partitionCount() === 3, 5_000);

    // That replica goes: down at once, even though sensor.queue.2 still has a consumer (draining).
    await channel.cancel(sync.pop()!);
    await eventually("2 partitions", () => elastic.partitionCount() === 2, 5_000);
    await channel.cancel(partition2);

    // No replica at all (RabbitMQ counts none): n stays, readings wait in the durable queues.
    for (const tag of sync) await channel.cancel(tag);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(elastic.partitionCount()).toBe(2);
  });
});

/**
 * Liveness that means progress: a balancer holding readings it cannot forward (here: its partition
 * queue is gone, so every forward is refused as unroutable and the reading requeued) reports
 * unhealthy once the stall timeout has passed, though it is still connected; idle, it stays healthy.
 */
describe("balancer health", () => {
  const stalledNames = queueNames(uniqueQueuePrefix("balancer-stall"));
  let connection: ChannelModel;
  let channel: Channel;
  let stalled: RunningBalancer;

  beforeAll(async () => {
    connection = await amqp.connect(testEnv.RABBITMQ_URL);
    channel = await connection.createChannel();
    await declareTopology(channel, stalledNames, 1);
    stalled = await startBalancer({
      rabbitmqUrl: testEnv.RABBITMQ_URL,
      queuePrefix: stalledNames.sensorData.replace("sensor.data.queue", ""),
      partitionCount: 1,
      prefetch: 10,
      stallTimeoutMs: 1_000,
      statsIntervalMs: 0,
      log: testLogger,
    });
  });

  afterAll(async () => {
    await stalled.stop();
    await deleteTopology(channel, stalledNames, 1);
    await connection.close();
  });

  it("stays healthy while idle, turns unhealthy when readings wait and none is forwarded, and healthy again once they move", async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(stalled.healthy()).toBe(true);

    await channel.deleteQueue(stalledNames.partition(0));
    const reading = { timestamp: Date.now(), device_id: randomUUID(), measurement_value: 0.5 };
    channel.sendToQueue(stalledNames.sensorData, Buffer.from(JSON.stringify(reading)), { persistent: true });
    await eventually("the stalled balancer reports unhealthy", () => !stalled.healthy(), 10_000);
    expect(stalled.counts().forwarded).toEqual([0]);

    await declareTopology(channel, stalledNames, 1);
    await eventually("the reading forwarded", () => stalled.counts().forwarded[0] === 1, 10_000);
    expect(stalled.healthy()).toBe(true);
  });
});
