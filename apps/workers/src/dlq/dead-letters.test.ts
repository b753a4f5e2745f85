import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import amqp from "amqplib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEAD_LETTER_COUNT_HEADER, DEAD_LETTER_FIRST_AT_HEADER, DEAD_LETTER_REASON_HEADER, queueNames, type QueueNames } from "@ems/contracts/queues";
import { Broker } from "@ems/messaging";
import { QueueProbe, testEnv, testLogger, uniqueQueuePrefix } from "../shared/testing.ts";
import { findDeadLetter, listDeadLetters, replayDeadLetters, type ReplayOptions } from "./commands.ts";
import { DeadLetterQueue } from "@ems/messaging/dead-letters";
import { formatShow } from "./format.ts";
import { peekQueue, produceDeadLetters, type DeadLetterSpec } from "./test-support.ts";

const run = promisify(execFile);
const HOUR = 3_600_000;
const T0 = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
const reading = (timestamp = T0) => JSON.stringify({ timestamp, device_id: randomUUID(), measurement_value: 0.25 });

let names: QueueNames;
let probe: QueueProbe;
let broker: Broker;
/** The dead letters of each test, in queue order: U = unknown device, M = malformed, S = sync event, F = future. */
let U1: DeadLetterSpec, M1: DeadLetterSpec, U2: DeadLetterSpec, S1: DeadLetterSpec, U3: DeadLetterSpec, F1: DeadLetterSpec;

beforeEach(async () => {
  names = queueNames(uniqueQueuePrefix("dlq"));
  probe = await QueueProbe.connect();
  await probe.declare(names, 2);
  U1 = { source: names.partition(0), body: reading(), reason: "unknown device" };
  M1 = { source: names.sensorData, body: "{not json", reason: "malformed JSON" };
  U2 = { source: names.partition(1), body: reading(T0 + 600_000), reason: "unknown device" };
  S1 = { source: names.monitoringSync, body: '{"type":"device.exploded"}', reason: "invalid sync event: type: Invalid input" };
  U3 = { source: names.partition(0), body: reading(T0 + 1_200_000), reason: "unknown device" };
  // Still ahead of the clock when replayed: does not validate.
  F1 = { source: names.sensorData, body: reading(Date.now() + 2 * HOUR), reason: "timestamp is in the future" };
  await produceDeadLetters(names, [U1, M1, U2, S1, U3, F1]);
  broker = new Broker({ url: testEnv.RABBITMQ_URL, name: `${names.deadLetter}-replay`, log: testLogger });
  await broker.start();
});

afterEach(async () => {
  await broker.close();
  await probe.close(names, 2);
});

const open = () => DeadLetterQueue.open(testEnv.RABBITMQ_URL, names.deadLetter, `${names.deadLetter}-tool`);

async function withQueue<T>(use: (dlq: DeadLetterQueue) => Promise<T>): Promise<T> {
  const dlq = await open();
  try {
    return await use(dlq);
  } finally {
    await dlq.close();
  }
}

const replay = (options: Partial<ReplayOptions>) => withQueue((dlq) => replayDeadLetters(dlq, names, broker, { force: false, ...options }));
const bodiesIn = async (queue: string) => (await peekQueue(queue)).map((m) => m.body);

describe("dlq list and show", () => {
  it("groups by reason with the replayable count, shows the first N, and leaves the queue as it was", async () => {
    const result = await withQueue((dlq) => listDeadLetters(dlq, names, { limit: 2 }));

    expect(result.total).toBe(6);
    expect(result.read).toBe(6);
    expect(result.groups.map(({ reason, count, replayable, sourceQueues }) => ({ reason, count, replayable, sourceQueues }))).toEqual([
      { reason: "unknown device", count: 3, replayable: 3, sourceQueues: [names.partition(0), names.partition(1)] },
      { reason: "malformed JSON", count: 1, replayable: 0, sourceQueues: [names.sensorData] },
      { reason: S1.reason, count: 1, replayable: 0, sourceQueues: [names.monitoringSync] },
      { reason: "timestamp is in the future", count: 1, replayable: 0, sourceQueues: [names.sensorData] },
    ]);
    expect(result.first.map((l) => [l.position, l.body.toString(), l.sourceQueue, l.count])).toEqual([
      [1, U1.body, U1.source, 1],
      [2, M1.body, M1.source, 1],
    ]);
    const firstAt = result.first[0]!.firstDeadLetteredAt;
    expect(Date.now() - Date.parse(firstAt!)).toBeLessThan(60_000);
    expect(result.groups[0]!.firstDeadLetteredAt).toBe(firstAt);

    const filtered = await withQueue((dlq) => listDeadLetters(dlq, names, { reason: "unknown", limit: 10 }));
    expect(filtered.groups.map((g) => [g.reason, g.count])).toEqual([["unknown device", 3]]);
    expect(filtered.first.map((l) => l.position)).toEqual([1, 3, 5]);

    expect(await bodiesIn(names.deadLetter)).toEqual([U1, M1, U2, S1, U3, F1].map((s) => s.body));
  });

  it("finds one dead letter by position or id and prints it in full, control characters escaped", async () => {
    const evil = { source: names.sensorData, body: '\u001b[2J{"x":1', reason: "malformed JSON" };
    await produceDeadLetters(names, [evil]);
    const byPosition = await withQueue((dlq) => findDeadLetter(dlq, { position: 7 }));
    expect(byPosition?.body.toString()).toBe(evil.body);
    const text = formatShow(names.deadLetter, 7, byPosition!, names).join("\n");
    expect(text).toContain("dead letter #7 of 7");
    expect(text).toContain(`source queue:        ${names.sensorData}`);
    expect(text).toContain("times dead-lettered: 1");
    expect(text).toContain("not replayable: not a valid reading: malformed JSON (--force replays it)");
    expect(text).toContain('\\x1b[2J{"x":1');
    expect(text).not.toContain("\u001b");

    const byId = await withQueue((dlq) => findDeadLetter(dlq, { id: byPosition!.id! }));
    expect(byId?.position).toBe(7);
    expect(formatShow(names.deadLetter, 7, (await withQueue((dlq) => findDeadLetter(dlq, { position: 3 })))!, names).join("\n")).toContain(
      `replay:              replayable`,
    );
    expect(await withQueue((dlq) => findDeadLetter(dlq, { position: 8 }))).toBeUndefined();
    expect(await peekQueue(names.deadLetter)).toHaveLength(7);
  });
});

describe("dlq replay", () => {
  it("moves only the matching replayable readings, at most --limit, and leaves the others in their order", async () => {
    const first = await replay({ reason: "unknown device", limit: 2 });
    expect(first).toMatchObject({ replayed: 2, failure: undefined });
    expect(first.refused.size).toBe(0);
    const republished = await peekQueue(names.sensorData);
    expect(republished.map((m) => m.body)).toEqual([U1.body, U2.body]);
    // History kept, reason and source dropped: they describe the dead letter, not the reading.
    expect(republished[0]!.headers[DEAD_LETTER_COUNT_HEADER]).toBe(1);
    expect(republished[0]!.headers[DEAD_LETTER_FIRST_AT_HEADER]).toEqual(expect.any(String));
    expect(republished[0]!.headers[DEAD_LETTER_REASON_HEADER]).toBeUndefined();
    expect(await bodiesIn(names.deadLetter)).toEqual([M1, S1, U3, F1].map((s) => s.body));

    const second = await replay({});
    expect(second.replayed).toBe(1);
    expect(Object.fromEntries(second.refused)).toEqual({
      "not a valid reading: malformed JSON": { count: 1, forceable: true },
      [`not a reading (from ${names.monitoringSync})`]: { count: 1, forceable: false },
      "not a valid reading: timestamp is in the future": { count: 1, forceable: true },
    });
    expect(await bodiesIn(names.sensorData)).toEqual([U1.body, U2.body, U3.body]);
    expect(await bodiesIn(names.deadLetter)).toEqual([M1, S1, F1].map((s) => s.body));
  });

  it("replays a reading that does not validate only with --force, and a message of another queue never", async () => {
    const refused = await replay({ reason: "malformed" });
    expect(refused.replayed).toBe(0);
    expect(await bodiesIn(names.sensorData)).toEqual([]);
    expect(await peekQueue(names.deadLetter)).toHaveLength(6);

    const forced = await replay({ reason: "malformed", force: true });
    expect(forced.replayed).toBe(1);
    expect(await bodiesIn(names.sensorData)).toEqual([M1.body]);

    const all = await replay({ force: true });
    expect(all.replayed).toBe(4);
    expect(await bodiesIn(names.deadLetter)).toEqual([S1.body]);

    // A valid reading monitoring refused for good (it would only come back) is held back like a malformed one.
    const deleted = { source: names.partition(1), body: reading(), reason: "device deleted" };
    await produceDeadLetters(names, [deleted]);
    expect(Object.fromEntries((await replay({})).refused)).toMatchObject({ "refused for good: device deleted": { count: 1, forceable: true } });
    expect(await bodiesIn(names.deadLetter)).toEqual([S1.body, deleted.body]);
  });

  it("leaves a dead letter whose republish is not confirmed where it was", async () => {
    const connection = await amqp.connect(testEnv.RABBITMQ_URL);
    try {
      const channel = await connection.createChannel();
      await channel.deleteQueue(names.sensorData); // unroutable now: RabbitMQ returns the publish
      const result = await replay({ reason: "unknown device" });
      expect(result.replayed).toBe(0);
      expect(result.failure?.message).toMatch(/unroutable/);
      expect(await bodiesIn(names.deadLetter)).toEqual([U1, M1, U2, S1, U3, F1].map((s) => s.body));
      await channel.assertQueue(names.sensorData, { durable: true });
    } finally {
      await connection.close();
    }
  });

  it("as a command: honours QUEUE_PREFIX, refuses a malformed reading with a clear message and exit status 1", async () => {
    // eslint-disable-next-line no-restricted-properties -- the child process gets this test's broker and prefix
    const env = { ...process.env, RABBITMQ_URL: testEnv.RABBITMQ_URL, QUEUE_PREFIX: names.sensorData.replace("sensor.data.queue", "") };
    const failed = await run(process.execPath, ["--import", "tsx", "src/dlq.ts", "replay", "--reason", "malformed JSON"], { env }).catch((error: { code: number; stdout: string }) => error);
    expect("code" in failed && failed.code).toBe(1);
    expect(failed.stdout).toContain("left 1 in the queue, not a valid reading: malformed JSON — add --force to replay them anyway");

    const listed = await run(process.execPath, ["--import", "tsx", "src/dlq.ts", "list", "--limit", "1"], { env });
    expect(listed.stdout).toContain(`${names.deadLetter}: 6 dead letter(s)`);
    expect(listed.stdout).toMatch(/^\s+3\s+3\s+unknown device\s+\(from /m);
    expect(await peekQueue(names.deadLetter)).toHaveLength(6);
  });
});
