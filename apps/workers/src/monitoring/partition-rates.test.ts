import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueNames } from "@ems/contracts/queues";
import { READINGS_BATCH_CONTENT_TYPE } from "@ems/contracts/readings-batch";
import { databaseUrls } from "@ems/db/env";
import { Broker } from "@ems/messaging";
import { QueueProbe, eventually, testEnv, testLogger, uniqueQueuePrefix } from "../shared/testing.ts";
import { startMonitoring, type RunningMonitoring } from "./monitoring.ts";
import { testMonitoringConfig } from "./test-support.ts";

/**
 * An elastic replica records, per window, the readings it newly counted from the partition it holds
 * (monitoring_partitions.recent_*), on the real database and broker with a short window. Each burst is
 * one readings-batch message, committed in one statement, so it falls into one window.
 */
const WINDOW_MS = 500;
const HOUR = 3_600_000;
const T0 = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;

const prefix = uniqueQueuePrefix("rates");
const names = queueNames(prefix);
let db: pg.Pool;
let probe: QueueProbe;
let publisher: Broker;
let replica: RunningMonitoring;

beforeAll(async () => {
  db = new pg.Pool({ connectionString: databaseUrls.monitoring, max: 2 });
  probe = await QueueProbe.connect();
  await probe.declare(names, 1);
  publisher = new Broker({ url: testEnv.RABBITMQ_URL, name: `${prefix}publisher`, log: testLogger });
  await publisher.start();
  replica = await startMonitoring(testMonitoringConfig(prefix, { partitionCount: 1, rateWindowMs: WINDOW_MS, elastic: { rebalanceIntervalMs: 100 } }));
});

afterAll(async () => {
  await replica.stop();
  await publisher.close();
  await probe.close(names, 1);
  await db.end();
});

interface RecentWindow {
  readings: number;
  startedAt: Date;
  endedAt: Date;
}

async function recentWindow(partition: number): Promise<RecentWindow | undefined> {
  const { rows } = await db.query<{ readings: number | null; started_at: Date | null; ended_at: Date | null }>(
    "SELECT recent_readings AS readings, recent_window_start AS started_at, recent_window_end AS ended_at FROM monitoring_partitions WHERE queue_prefix = $1 AND partition_index = $2",
    [prefix, partition],
  );
  const row = rows[0];
  return row?.readings != null && row.started_at && row.ended_at ? { readings: row.readings, startedAt: row.started_at, endedAt: row.ended_at } : undefined;
}

/** The first window recorded after `after` (its end) in which partition 0 counted anything. */
const nextBusyWindow = (after: Date) =>
  eventually("a window with new readings recorded", async () => {
    const window = await recentWindow(0);
    return window && window.endedAt > after && window.readings > 0 ? window : undefined;
  });

async function devices(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  await db.query("INSERT INTO devices (device_id, owner_id, max_hourly_consumption, version) SELECT id, NULL, 1000, 1 FROM unnest($1::uuid[]) AS id", [ids]);
  return ids;
}

const reading = (deviceId: string, minute: number) => ({ timestamp: T0 + minute * 60_000, device_id: deviceId, measurement_value: 0.01 });

async function publishBatch(readings: object[]): Promise<void> {
  await publisher.sendToQueue(names.partition(0), JSON.stringify({ v: 1, readings }), { contentType: READINGS_BATCH_CONTENT_TYPE });
}

describe("partition rates", () => {
  it("records each window's newly counted readings for the partition the replica holds, not its duplicates", async () => {
    expect(replica.partitions()).toEqual([0]);
    const [a, b] = await devices(2);
    const first = [reading(a!, 0), reading(a!, 1), reading(b!, 0), reading(b!, 70)];

    const start = new Date();
    await publishBatch(first);
    const busy = await nextBusyWindow(start);
    expect(busy.readings).toBe(4);
    // Windows last about WINDOW_MS (the first one of a partition between half and one and a half).
    const lengthMs = busy.endedAt.getTime() - busy.startedAt.getTime();
    expect(lengthMs).toBeGreaterThanOrEqual(WINDOW_MS / 2 - 5);
    expect(lengthMs).toBeLessThan(3 * WINDOW_MS);
    // The next windows count from zero again.
    await eventually("a quiet window recorded", async () => {
      const window = await recentWindow(0);
      return window && window.endedAt > busy.endedAt && window.readings === 0;
    });

    // Redelivered readings (each counted before) and a reading repeated in the batch count nothing.
    const again = new Date();
    await publishBatch([...first, reading(a!, 2), reading(b!, 71), reading(a!, 2)]);
    expect((await nextBusyWindow(again)).readings).toBe(2);
    expect(replica.counts()).toMatchObject({ counted: 6, duplicates: 5 });
  });
});
