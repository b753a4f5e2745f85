import { randomBytes } from "node:crypto";
import amqp, { type Channel, type ChannelModel } from "amqplib";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEAD_LETTER_COUNT_HEADER, DEAD_LETTER_FIRST_AT_HEADER, DEAD_LETTER_REASON_HEADER, DEAD_LETTER_SOURCE_HEADER } from "@ems/contracts/queues";
import { DeadLetterQueue, DeadLetterQueueError, countByReason, examineDeadLetters } from "./dead-letters.ts";

/** Reading dead letters by reason against the real RabbitMQ, on a queue of this test's own. */
const RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672";

interface Letter {
  body: string;
  /** Absent: a message without the header (e.g. put there by hand). */
  reason?: string;
  source?: string;
  firstAt?: string;
}

let connection: ChannelModel;
let channel: Channel;
let queue: string;

beforeAll(async () => {
  connection = await amqp.connect(RABBITMQ_URL);
  channel = await connection.createChannel();
});

afterAll(async () => {
  await connection.close();
});

beforeEach(async () => {
  queue = `test.dead-letters.${randomBytes(4).toString("hex")}.ems.dead-letter.queue`;
  await channel.assertQueue(queue, { durable: false });
});

afterEach(async () => {
  await channel.deleteQueue(queue);
});

/** Puts `letters` in the queue in this order, with the headers a Broker's deadLetter() writes, and waits until all are there. */
async function fill(letters: Letter[]): Promise<void> {
  for (const letter of letters) {
    const headers: Record<string, unknown> = { [DEAD_LETTER_COUNT_HEADER]: 1 };
    if (letter.reason !== undefined) headers[DEAD_LETTER_REASON_HEADER] = letter.reason;
    if (letter.source !== undefined) headers[DEAD_LETTER_SOURCE_HEADER] = letter.source;
    if (letter.firstAt !== undefined) headers[DEAD_LETTER_FIRST_AT_HEADER] = letter.firstAt;
    channel.sendToQueue(queue, Buffer.from(letter.body), { headers, persistent: false });
  }
  while ((await channel.checkQueue(queue)).messageCount < letters.length) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** The queue's bodies and reasons, head first, read by a connection of the test's own and left in place. */
async function peek(): Promise<{ body: string; reason: unknown }[]> {
  const reader = await connection.createChannel();
  const messages: { body: string; reason: unknown }[] = [];
  for (let message = await reader.get(queue); message; message = await reader.get(queue)) {
    messages.push({ body: message.content.toString(), reason: message.properties.headers?.[DEAD_LETTER_REASON_HEADER] });
  }
  reader.nackAll(true);
  await reader.close();
  return messages;
}

const open = () => DeadLetterQueue.open(RABBITMQ_URL, queue, `${queue}-test`);
const U = (n: number, firstAt: string) => ({ body: `u${n}`, reason: "unknown device", source: "sensor.queue.0", firstAt });
const M = (n: number, firstAt: string) => ({ body: `m${n}`, reason: "malformed JSON", source: "sensor.data.queue", firstAt });

describe("counting dead letters by reason", () => {
  it("counts by reason (largest first), with each group's earliest first time and sources, and leaves the queue in its order", async () => {
    const letters: Letter[] = [
      M(1, "2026-03-02T10:00:00.000Z"),
      U(1, "2026-03-03T10:00:00.000Z"),
      { body: "s1", reason: "invalid sync event", source: "monitoring.sync.queue", firstAt: "2026-03-05T10:00:00.000Z" },
      U(2, "2026-03-01T09:00:00.000Z"),
      { body: "bare" },
      { ...U(3, "2026-03-04T10:00:00.000Z"), source: "sensor.queue.1" },
      M(2, "2026-03-01T10:00:00.000Z"),
    ];
    await fill(letters);

    const summary = await examineDeadLetters(RABBITMQ_URL, queue, { connectionName: `${queue}-test`, limit: 1_000 });

    expect(summary).toEqual({
      total: 7,
      examined: 7,
      reasons: [
        { reason: "unknown device", count: 3, sourceQueues: ["sensor.queue.0", "sensor.queue.1"], firstDeadLetteredAt: "2026-03-01T09:00:00.000Z" },
        { reason: "malformed JSON", count: 2, sourceQueues: ["sensor.data.queue"], firstDeadLetteredAt: "2026-03-01T10:00:00.000Z" },
        { reason: "invalid sync event", count: 1, sourceQueues: ["monitoring.sync.queue"], firstDeadLetteredAt: "2026-03-05T10:00:00.000Z" },
        { reason: undefined, count: 1, sourceQueues: [], firstDeadLetteredAt: undefined },
      ],
    });
    // Every message is back where it was: a reader right after sees the same queue.
    expect(await peek()).toEqual(letters.map((letter) => ({ body: letter.body, reason: letter.reason })));
  });

  it("reads at most the bound from the head, says how many the queue holds, and puts them back in their order", async () => {
    const letters = [U(1, "2026-03-01T10:00:00.000Z"), M(1, "2026-03-01T11:00:00.000Z"), M(2, "2026-03-01T12:00:00.000Z"), U(2, "2026-03-01T13:00:00.000Z"), U(3, "2026-03-01T14:00:00.000Z")];
    await fill(letters);

    const dlq = await open();
    let summary;
    try {
      summary = await countByReason(dlq, 3);
      // The ones past the bound were not read: still ready in the queue while the first three are held.
      expect((await channel.checkQueue(queue)).messageCount).toBe(2);
    } finally {
      await dlq.close();
    }

    expect(summary).toMatchObject({ total: 5, examined: 3 });
    expect(summary.reasons.map((r) => [r.reason, r.count])).toEqual([
      ["malformed JSON", 2],
      ["unknown device", 1],
    ]);
    expect((await peek()).map((m) => m.body)).toEqual(letters.map((letter) => letter.body));
  });

  it("an empty queue: nothing examined", async () => {
    expect(await examineDeadLetters(RABBITMQ_URL, queue, { connectionName: `${queue}-test`, limit: 10 })).toEqual({ total: 0, examined: 0, reasons: [] });
  });

  it("says why it cannot read: no such queue, or no broker at that address (within the connect timeout)", async () => {
    const missing = await examineDeadLetters(RABBITMQ_URL, `${queue}.absent`, { connectionName: `${queue}-test`, limit: 10 }).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(DeadLetterQueueError);
    expect(missing).toMatchObject({ failure: "missing", message: expect.stringContaining(`there is no queue ${queue}.absent`) as unknown });

    const started = Date.now();
    // Port 1: nothing listens there, so the connection is refused at once.
    const unreachable = await examineDeadLetters("amqp://guest:guest@127.0.0.1:1", queue, { connectionName: `${queue}-test`, limit: 10, connectTimeoutMs: 2_000 }).catch(
      (error: unknown) => error,
    );
    expect(unreachable).toBeInstanceOf(DeadLetterQueueError);
    expect(unreachable).toMatchObject({ failure: "unreachable", message: expect.stringMatching(/^cannot connect to RabbitMQ: /) as unknown });
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});
