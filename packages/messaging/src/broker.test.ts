import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Channel } from "amqplib";
import {
  DEAD_LETTER_COUNT_HEADER,
  DEAD_LETTER_FIRST_AT_HEADER,
  DEAD_LETTER_REASON_HEADER,
  DEAD_LETTER_SOURCE_HEADER,
  queueNames,
  type QueueNames,
} from "@ems/contracts/queues";
import { Broker, PublishError, declareTopology, deleteTopology, type Delivery, type Logger } from "./index.ts";

const RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672";
const run = promisify(execFile);
const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Closes this connection from the broker's side, as a RabbitMQ restart or a network cut would. */
async function killConnection(connectionName: string): Promise<void> {
  const { stdout } = await run("rabbitmqctl", ["-q", "list_connections", "pid", "client_properties"]);
  const line = stdout.split("\n").find((l) => l.includes(connectionName));
  const pid = line?.match(/<[^>]+>/)?.[0];
  if (!pid) throw new Error(`no connection named ${connectionName}`);
  await run("rabbitmqctl", ["close_connection", pid, "test: simulated failure"]);
}

function collector() {
  const received: Delivery[] = [];
  let wake: (() => void) | undefined;
  return {
    received,
    handler: (delivery: Delivery) => {
      received.push(delivery);
      wake?.();
      return Promise.resolve();
    },
    async waitFor(count: number, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`got ${received.length} of ${count} messages`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
      }
    },
  };
}

describe("Broker", () => {
  let names: QueueNames;
  let name: string;
  let broker: Broker;

  beforeEach(async () => {
    name = `test-broker-${randomBytes(4).toString("hex")}`;
    names = queueNames(`${name}.`);
    broker = new Broker({ url: RABBITMQ_URL, name, log: quiet, deadLetterQueue: names.deadLetter, reconnectDelayMs: { initial: 50, max: 500 } });
    await broker.onConnect((channel) => declareTopology(channel, names, 2));
    await broker.start();
  });

  afterEach(async () => {
    await broker.onConnect((channel) => deleteTopology(channel, names, 2));
    await broker.close();
  });

  it("publishes with confirms and delivers to a consumer that acks explicitly", async () => {
    const inbox = collector();
    await broker.consume(names.partition(0), { prefetch: 10 }, async (d) => {
      await inbox.handler(d);
      d.ack();
    });
    await broker.sendToQueue(names.partition(0), JSON.stringify({ n: 1 }));
    await inbox.waitFor(1);
    expect(JSON.parse(inbox.received[0]!.body.toString())).toEqual({ n: 1 });
  });

  it("rejects a publish that no queue can take instead of losing it", async () => {
    await expect(broker.sendToQueue(`${name}.no-such-queue`, "{}")).rejects.toBeInstanceOf(PublishError);
  });

  it("dead-letters a message unchanged, with the reason and source queue in headers", async () => {
    await broker.consume(names.sensorData, { prefetch: 1 }, (d) => d.deadLetter("malformed JSON"));
    const dead = collector();
    await broker.consume(names.deadLetter, { prefetch: 1 }, async (d) => {
      await dead.handler(d);
      d.ack();
    });
    await broker.sendToQueue(names.sensorData, "not json");
    await dead.waitFor(1);
    const [message] = dead.received;
    expect(message!.body.toString()).toBe("not json");
    expect(message!.message.properties.headers?.[DEAD_LETTER_REASON_HEADER]).toBe("malformed JSON");
    expect(message!.message.properties.headers?.[DEAD_LETTER_SOURCE_HEADER]).toBe(names.sensorData);
    expect(Date.now() - Date.parse(String(message!.message.properties.headers?.[DEAD_LETTER_FIRST_AT_HEADER]))).toBeLessThan(60_000);
    expect(message!.message.properties.headers?.[DEAD_LETTER_COUNT_HEADER]).toBe(1);
  });

  it("requeues a message whose handler throws, so it is processed again", async () => {
    let attempts = 0;
    const inbox = collector();
    await broker.consume(names.partition(1), { prefetch: 1, retryDelayMs: 10 }, async (d) => {
      attempts++;
      if (attempts === 1) throw new Error("database unavailable");
      await inbox.handler(d);
      d.ack();
    });
    await broker.sendToQueue(names.partition(1), "{}");
    await inbox.waitFor(1);
    expect(attempts).toBe(2);
    expect(inbox.received[0]!.message.fields.redelivered).toBe(true);
  });

  it("reconnects after the broker drops the connection, re-declares and resumes consuming", async () => {
    const inbox = collector();
    await broker.consume(names.partition(0), { prefetch: 5 }, async (d) => {
      await inbox.handler(d);
      d.ack();
    });
    await broker.sendToQueue(names.partition(0), "1");
    await inbox.waitFor(1);
    const reconnected = new Promise((resolve) => broker.once("connected", resolve));
    await killConnection(name);
    await reconnected;
    await broker.sendToQueue(names.partition(0), "2");
    await inbox.waitFor(2);
    expect(inbox.received.map((d) => d.body.toString())).toEqual(["1", "2"]);
  });

  it("close() while still connecting leaves no connection behind", async () => {
    const lateName = `${name}-late`;
    const late = new Broker({ url: RABBITMQ_URL, name: lateName, log: quiet });
    const started = late.start().catch(() => undefined);
    await late.close();
    await started;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { stdout } = await run("rabbitmqctl", ["-q", "list_connections", "client_properties"]);
    expect(stdout).not.toContain(lateName);
  });

  it("close() waits for in-flight handlers to finish and ack", async () => {
    let finished = false;
    let started: () => void = () => {};
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    await broker.consume(names.partition(1), { prefetch: 1 }, async (d) => {
      started();
      await new Promise((resolve) => setTimeout(resolve, 300));
      finished = true;
      d.ack();
    });
    await broker.sendToQueue(names.partition(1), "slow");
    await handlerStarted;
    // Clean up the topology first, through a second connection, since close() ends this one.
    const other = new Broker({ url: RABBITMQ_URL, name: `${name}-cleanup`, log: quiet });
    await other.start();
    await broker.close();
    expect(finished).toBe(true);
    broker = other;
  });

  describe("ackTogether", () => {
    /**
     * Consumes partition 0 and holds each first delivery (its handler waits until the test ends) so the
     * test settles them; a redelivery is acked at once. Spies on amqplib's Channel#ack to see the frames.
     */
    async function holdDeliveries(bodies: string[]) {
      let channelPrototype: Channel | undefined;
      await broker.onConnect((channel) => {
        channelPrototype = Object.getPrototypeOf(channel) as Channel;
        return Promise.resolve();
      });
      const acks = vi.spyOn(channelPrototype!, "ack");
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      const inbox = collector();
      await broker.consume(names.partition(0), { prefetch: 20 }, async (d) => {
        await inbox.handler(d);
        if (d.message.fields.redelivered) d.ack();
        else await released;
      });
      for (const body of bodies) await broker.sendToQueue(names.partition(0), body);
      await inbox.waitFor(bodies.length);
      acks.mockClear();
      const sent = () =>
        acks.mock.calls
          .filter(([message]) => message.fields.routingKey === names.partition(0))
          .map(([message, upTo]) => `${message.content.toString()}${upTo ? "+" : ""}`);
      return { deliveries: [...inbox.received], inbox, sent, release, restore: () => acks.mockRestore() };
    }

    it("acks the oldest run with one multiple ack and never covers a delivery still in hand", async () => {
      let disconnected = false;
      broker.on("disconnected", () => (disconnected = true));
      const held = await holdDeliveries(["1", "2", "3", "4", "5", "6"]);
      const [d1, d2, d3, d4, d5, d6] = held.deliveries;
      d6!.ackTogether([d1!, d2!, d4!, d5!]);
      // "2+": one basic.ack multiple up to 2 (covering 1 and 2); 3 is still in hand, so the rest one by one.
      expect(held.sent()).toEqual(["2+", "6", "4", "5"]);

      // 3 was not acknowledged: returned, it comes back; nothing else does.
      d3!.nack(true);
      await held.inbox.waitFor(7);
      expect(held.inbox.received[6]!.body.toString()).toBe("3");
      expect(held.inbox.received[6]!.message.fields.redelivered).toBe(true);
      held.release();
      held.restore();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(held.inbox.received).toHaveLength(7);
      expect(disconnected).toBe(false);
    });

    it("does not cover a delivery dead-lettered in between: the others are acked one by one", async () => {
      let disconnected = false;
      broker.on("disconnected", () => (disconnected = true));
      const dead = collector();
      await broker.consume(names.deadLetter, { prefetch: 10 }, async (d) => {
        await dead.handler(d);
        d.ack();
      });
      const held = await holdDeliveries(["1", "2", "3", "4"]);
      const [d1, d2, d3, d4] = held.deliveries;
      await d2!.deadLetter("bad reading");
      d4!.ackTogether([d1!, d3!]);
      // 2 was acked once its dead letter was confirmed; 1 and 3 are not consecutive tags: no multiple ack.
      expect(held.sent()).toEqual(["2", "4", "1", "3"]);
      // Acking them again (another path settling the same delivery) sends nothing.
      d1!.ack();
      d4!.ackTogether([d3!]);
      expect(held.sent()).toEqual(["2", "4", "1", "3"]);

      await dead.waitFor(1);
      held.release();
      held.restore();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(dead.received.map((d) => d.body.toString())).toEqual(["2"]);
      // Nothing came back: every delivery was settled exactly once, and the channel never failed.
      expect(held.inbox.received).toHaveLength(4);
      expect(disconnected).toBe(false);
    });
  });
});
