import amqp from "amqplib";
import { DEAD_LETTER_REASON_HEADER, type QueueNames } from "@ems/contracts/queues";
import { Broker } from "@ems/messaging";
import { testEnv, testLogger } from "../shared/testing.ts";

export interface DeadLetterSpec {
  /** The queue the message was consumed from when it was dead-lettered. */
  source: string;
  body: string;
  reason: string;
}

/**
 * Fills the dead-letter queue, in this order, the way every EMS consumer does it: each message is
 * published to its source queue, consumed there and `Delivery.deadLetter(reason)`-ed by a Broker.
 * Nothing else may consume the source queues meanwhile.
 */
export async function produceDeadLetters(names: QueueNames, specs: DeadLetterSpec[]): Promise<void> {
  const broker = new Broker({ url: testEnv.RABBITMQ_URL, name: `${names.deadLetter}-producer`, log: testLogger, deadLetterQueue: names.deadLetter });
  await broker.start();
  let settled: (() => void) | undefined;
  try {
    for (const source of new Set(specs.map((s) => s.source))) {
      await broker.consume(source, { prefetch: 1 }, async (delivery) => {
        await delivery.deadLetter(String(delivery.message.properties.headers?.["x-test-reason"]));
        settled?.();
      });
    }
    // One at a time, so the dead-letter queue holds them in exactly this order.
    for (const spec of specs) {
      const done = new Promise<void>((resolve) => (settled = resolve));
      await broker.sendToQueue(spec.source, spec.body, { headers: { "x-test-reason": spec.reason } });
      await done;
    }
  } finally {
    await broker.close();
  }
}

export interface QueuedMessage {
  body: string;
  reason: unknown;
  headers: Record<string, unknown>;
}

/** What a queue holds, head first, read independently of the tool under test (and left in place). */
export async function peekQueue(queue: string): Promise<QueuedMessage[]> {
  const connection = await amqp.connect(testEnv.RABBITMQ_URL);
  try {
    const channel = await connection.createChannel();
    const messages: QueuedMessage[] = [];
    for (let message = await channel.get(queue); message; message = await channel.get(queue)) {
      const headers = message.properties.headers ?? {};
      messages.push({ body: message.content.toString(), reason: headers[DEAD_LETTER_REASON_HEADER], headers });
    }
    channel.nackAll(true);
    await channel.close();
    return messages;
  } finally {
    await connection.close();
  }
}
