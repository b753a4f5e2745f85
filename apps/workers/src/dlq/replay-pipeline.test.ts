import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEAD_LETTER_COUNT_HEADER, DEAD_LETTER_FIRST_AT_HEADER, queueNames } from "@ems/contracts/queues";
import type { DeviceSyncEvent } from "@ems/contracts/sync";
import { databaseUrls } from "@ems/db/env";
import { Broker } from "@ems/messaging";
import { startBalancer, type RunningBalancer } from "../balancer/balancer.ts";
import { startMonitoring, type RunningMonitoring } from "../monitoring/monitoring.ts";
import { testMonitoringConfig } from "../monitoring/test-support.ts";
import { QueueProbe, eventually, testEnv, testLogger, uniqueQueuePrefix } from "../shared/testing.ts";
import { replayDeadLetters } from "./commands.ts";
import { DeadLetterQueue } from "@ems/messaging/dead-letters";
import { peekQueue, produceDeadLetters } from "./test-support.ts";

/** Replay into the real data plane: balancer and one monitoring replica on the real broker and database. */
const HOUR = 3_600_000;
const T0 = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
const prefix = uniqueQueuePrefix("dlq-pipeline");
const names = queueNames(prefix);

let probe: QueueProbe;
let db: pg.Pool;
let balancer: RunningBalancer | undefined;
let monitoring: RunningMonitoring | undefined;

beforeAll(async () => {
  probe = await QueueProbe.connect();
  await probe.declare(names, 1);
  db = new pg.Pool({ connectionString: databaseUrls.monitoring, max: 2 });
});

afterAll(async () => {
  await Promise.all([balancer?.stop(), monitoring?.stop()]);
  await probe.close(names, 1);
  await db.end();
});

async function readingCount(deviceId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>("SELECT coalesce(sum(reading_count), 0)::integer AS n FROM hourly_consumption WHERE device_id = $1", [deviceId]);
  return rows[0]!.n;
}

async function hourTotal(deviceId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ total: string }>(
    "SELECT trim_scale(total_kwh)::text AS total FROM hourly_consumption WHERE device_id = $1 AND hour_start = $2",
    [deviceId, new Date(T0)],
  );
  return rows[0]?.total;
}

describe("dlq replay into the data plane", () => {
  it("counts each replayed reading once, also one counted before; one that fails again keeps its history", async () => {
    const deviceId = randomUUID();
    const reading = (minute: number, value: number) => JSON.stringify({ timestamp: T0 + minute * 60_000, device_id: deviceId, measurement_value: value });
    const [r1, r2, r3] = [reading(0, 0.5), reading(10, 0.25), reading(20, 0.125)];
    const unknown = (body: string) => ({ source: names.partition(0), body, reason: "unknown device" });
    // Dead-lettered before monitoring knew the device; r1 twice (e.g. a replay that died between the
    // confirm and the ack leaves its dead letter behind).
    await produceDeadLetters(names, [unknown(r1), unknown(r2), unknown(r1), { source: names.sensorData, body: "{oops", reason: "malformed JSON" }, unknown(r3)]);
    const [malformed] = (await peekQueue(names.deadLetter)).filter((m) => m.body === "{oops");

    balancer = await startBalancer({ rabbitmqUrl: testEnv.RABBITMQ_URL, queuePrefix: prefix, partitionCount: 1, prefetch: 100, statsIntervalMs: 0, log: testLogger });
    monitoring = await startMonitoring(testMonitoringConfig(prefix, { partitionCount: 1, partitionIndex: 0 }));
    const created: DeviceSyncEvent = { type: "device.created", deviceId, ownerId: null, maxHourlyConsumption: "100", version: 1, occurredAt: new Date().toISOString() };
    await probe.publish(names.monitoringSync, created);
    await eventually("device synced", async () => (await db.query("SELECT 1 FROM devices WHERE device_id = $1", [deviceId])).rowCount === 1);
    // The meter sent r1 again itself, after the device existed: counted already.
    await probe.publish(names.sensorData, r1);
    await eventually("r1 counted", async () => (await readingCount(deviceId)) === 1);

    const broker = new Broker({ url: testEnv.RABBITMQ_URL, name: `${prefix}dlq-replay`, log: testLogger });
    await broker.start();
    const dlq = await DeadLetterQueue.open(testEnv.RABBITMQ_URL, names.deadLetter, `${prefix}dlq`);
    const result = await replayDeadLetters(dlq, names, broker, { force: true }).finally(async () => {
      await dlq.close();
      await broker.close();
    });
    expect(result).toMatchObject({ replayed: 5, failure: undefined });

    await eventually("r2 and r3 counted", async () => (await readingCount(deviceId)) === 3);
    // The malformed one went round again: back in the dead-letter queue, with its first time and a count of 2.
    const [again] = await eventually("malformed dead-lettered again", async () => {
      const left = await peekQueue(names.deadLetter);
      return left.length === 1 && left;
    });
    expect(again!.body).toBe("{oops");
    expect(again!.reason).toBe("malformed JSON");
    expect(again!.headers[DEAD_LETTER_COUNT_HEADER]).toBe(2);
    expect(again!.headers[DEAD_LETTER_FIRST_AT_HEADER]).toBe(malformed!.headers[DEAD_LETTER_FIRST_AT_HEADER]);

    await new Promise((resolve) => setTimeout(resolve, 500)); // time for a wrong extra count to show
    expect(await readingCount(deviceId)).toBe(3);
    expect(await hourTotal(deviceId)).toBe("0.875");
  });
});
