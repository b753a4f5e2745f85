import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueNames } from "@ems/contracts/queues";
import { databaseUrls } from "@ems/db/env";
import { QueueProbe, eventually, testEnv, testLogger, uniqueQueuePrefix } from "../shared/testing.ts";
import { startMonitoring, type RunningMonitoring } from "./monitoring.ts";

/**
 * Liveness that means progress: a replica whose batch hangs in the database (here: a lock it waits
 * for, as a query on a half-open connection would hang) reports unhealthy once the stall timeout has
 * passed, though every connection is up; idle, it stays healthy.
 */
const prefix = uniqueQueuePrefix("liveness");
const names = queueNames(prefix);
let probe: QueueProbe;
let db: pg.Pool;
let replica: RunningMonitoring;

beforeAll(async () => {
  probe = await QueueProbe.connect();
  await probe.declare(names, 1);
  db = new pg.Pool({ connectionString: databaseUrls.monitoring, max: 1 });
  replica = await startMonitoring({
    rabbitmqUrl: testEnv.RABBITMQ_URL,
    queuePrefix: prefix,
    partitionCount: 1,
    partitionIndex: 0,
    databaseUrl: databaseUrls.monitoring,
    databasePoolSize: 2,
    prefetch: 10,
    batchSize: 10,
    batchConcurrency: 1,
    syncPrefetch: 10,
    consumptionUpdateIntervalMs: 0,
    retryDelayMs: 50,
    stallTimeoutMs: 1_000,
    statsIntervalMs: 0,
    log: testLogger,
  });
});

afterAll(async () => {
  await replica.stop();
  await probe.close(names, 1);
  await db.end();
});

describe("monitoring health", () => {
  it("stays healthy while idle, turns unhealthy while a batch hangs with readings waiting, and healthy again once it commits", async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(replica.healthy()).toBe(true);

    const deviceId = randomUUID();
    await db.query("INSERT INTO devices (device_id, owner_id, max_hourly_consumption, version) VALUES ($1, $2, 100, 1)", [deviceId, randomUUID()]);
    const locker = await db.connect();
    try {
      await locker.query("BEGIN");
      await locker.query("LOCK TABLE devices IN ACCESS EXCLUSIVE MODE");
      await probe.publish(names.partition(0), { timestamp: Date.now() - 60_000, device_id: deviceId, measurement_value: 0.2 });
      await eventually("the stuck replica reports unhealthy", () => !replica.healthy(), 10_000);
      expect(replica.counts().counted).toBe(0);
    } finally {
      await locker.query("ROLLBACK");
      locker.release();
    }
    await eventually("the reading counted", () => replica.counts().counted === 1, 10_000);
    expect(replica.healthy()).toBe(true);
  });
});
