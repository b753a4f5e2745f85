import { databaseUrls } from "@ems/db/env";
import { testEnv, testLogger } from "../shared/testing.ts";
import type { MonitoringConfig } from "./monitoring.ts";

/**
 * A monitoring replica's settings for tests against the real broker and the run's monitoring database:
 * small pools and batches, no periodic logs, quick retries; each test says what it is about. The run's
 * database is shared by every test file, so no device is called silent (the longest setting) unless a
 * test of the silence alarm says so, on a database of its own.
 */
export function testMonitoringConfig(queuePrefix: string, overrides: Partial<MonitoringConfig> & Pick<MonitoringConfig, "partitionCount">): MonitoringConfig {
  return {
    rabbitmqUrl: testEnv.RABBITMQ_URL,
    queuePrefix,
    databaseUrl: databaseUrls.monitoring,
    databasePoolSize: 2,
    prefetch: 100,
    batchSize: 50,
    batchConcurrency: 1,
    syncPrefetch: 10,
    consumptionUpdateIntervalMs: 0,
    retryDelayMs: 50,
    statsIntervalMs: 0,
    silentAfterMinutes: 7 * 24 * 60,
    silenceSweepIntervalMs: 1_000,
    log: testLogger,
    ...overrides,
  };
}
