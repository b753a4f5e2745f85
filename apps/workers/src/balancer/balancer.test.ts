import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from "amqplib";
import { DEAD_LETTER_SOURCE_HEADER, queueNames } from "@ems/contracts/queues";
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

const total = (lists: ConsumeMessage[][]) => lists.reduce((sum, list) => sum + list.length, 0);

describe("balancer", () => {
  it("forwards each reading unchanged to its device's partition queue", async () => {
    const devices = Array.from({ length: 30 }, () => randomUUID());
    const bodies = devices.map((deviceId, i) => JSON.stringify({ timestamp: Date.now() - i * 600_000, device_id: deviceId, measurement_value: i / 10 }));
    // One device in camelCase and upper case: still routed by its (normalised) id.
    const shouted = devices[0]!.toUpperCase();
    bodies.push(JSON.stringify({ timestamp: Date.now(), deviceId: shouted, measurementValue: 1 }));
    for (const body of bodies) await probe.publish(names.sensorData, body);

    await eventually("all readings forwarded", () => total(partitions) === bodies.length);
    partitions.forEach((messages, partition) => {
      for (const message of messages) {
        const body = message.content.toString();
        expect(bodies).toContain(body);
        const parsed = JSON.parse(body) as { device_id?: string; deviceId?: string };
        const deviceId = (parsed.device_id ?? parsed.deviceId)!.toLowerCase();
        expect(partition).toBe(partitionOf(deviceId, PARTITIONS));
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
    expect(partitions[partitionOf(deviceId, PARTITIONS)]!.at(-1)!.content.toString()).toBe(JSON.stringify(valid));
    await eventually("dead letters counted", () => balancer.counts().deadLettered === invalid.length);
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
