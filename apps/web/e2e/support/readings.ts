import { expect } from "@playwright/test";
import type pg from "pg";
import { serializeMeasurement } from "@ems/contracts/measurement";
import { queueNames } from "@ems/contracts/queues";
import { Broker, consoleLogger } from "@ems/messaging";
import { e2eEnv } from "./env.ts";

export interface Reading {
  deviceId: string;
  /** Epoch milliseconds. */
  timestamp: number;
  kwh: number;
}

/**
 * Publishes readings the way a meter does: the contract's body on `sensor.data.queue` (this run's
 * prefixed name), each confirmed by the broker before the call returns.
 */
export async function publishReadings(queuePrefix: string, readings: Reading[]): Promise<void> {
  const broker = new Broker({ url: e2eEnv.RABBITMQ_URL, name: "e2e-meter", log: consoleLogger("e2e-meter", "warn") });
  await broker.start();
  try {
    const queue = queueNames(queuePrefix).sensorData;
    for (const reading of readings) {
      const body = serializeMeasurement({ deviceId: reading.deviceId, timestamp: reading.timestamp, value: reading.kwh });
      await broker.sendToQueue(queue, body, { persistent: true, contentType: "application/json" });
    }
  } finally {
    await broker.close();
  }
}

/**
 * Publishes one reading and waits until monitoring stored it (its row in `readings`), so that what a test
 * does to the device's stored hours afterwards is not undone by the reading being counted later.
 */
export async function publishReadingAndAwaitStored(monitoring: pg.Client, queuePrefix: string, reading: Reading): Promise<void> {
  await publishReadings(queuePrefix, [reading]);
  await expect(async () => {
    const { rows } = await monitoring.query("SELECT 1 FROM readings r JOIN devices d USING (device_no) WHERE d.device_id = $1 AND r.reading_at = $2", [
      reading.deviceId,
      new Date(reading.timestamp),
    ]);
    expect(rows.length).toBe(1);
  }).toPass({ timeout: 60_000 });
}
