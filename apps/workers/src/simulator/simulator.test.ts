import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMeasurement } from "@ems/contracts/measurement";
import { queueNames } from "@ems/contracts/queues";
import { Broker, declareTopology } from "@ems/messaging";
import type { ConsumeMessage } from "amqplib";
import { QueueProbe, eventually, testEnv, testLogger, uniqueQueuePrefix } from "../shared/testing.ts";
import { runSimulator, type SimulatorConfig } from "./simulator.ts";

const names = queueNames(uniqueQueuePrefix("simulator"));
const TEN_MINUTES = 600_000;
let probe: QueueProbe;
let broker: Broker;
let received: ConsumeMessage[];

beforeAll(async () => {
  probe = await QueueProbe.connect();
  await probe.declare(names, 1);
  received = await probe.record(names.sensorData);
  broker = new Broker({ url: testEnv.RABBITMQ_URL, name: "simulator-test", log: testLogger });
  await broker.onConnect((channel) => declareTopology(channel, names, 1));
  await broker.start();
});

afterAll(async () => {
  await broker.close();
  await probe.close(names, 1);
});

const config = (overrides: Partial<SimulatorConfig>): SimulatorConfig => ({
  deviceIds: [randomUUID(), randomUUID()],
  start: Date.UTC(2026, 0, 1),
  speed: "max",
  timeZone: "UTC",
  maxInFlight: 50,
  ...overrides,
});

const readingsOf = (deviceIds: readonly string[]) =>
  received
    .map((m) => parseMeasurement(m.content))
    .flatMap((r) => (r.ok ? [r.measurement] : []))
    .filter((m) => deviceIds.includes(m.deviceId));

describe("runSimulator", () => {
  it("publishes one valid reading per device per 10 simulated minutes", async () => {
    const run = config({ readingsPerDevice: 12 });
    const progress: number[] = [];
    const published = await runSimulator(run, { queue: names.sensorData, broker, log: testLogger, signal: new AbortController().signal, onProgress: (n) => progress.push(n) });
    expect(published).toBe(24);
    expect(progress.at(-1)).toBe(24);
    await eventually("all readings arrived", () => readingsOf(run.deviceIds).length === 24);
    for (const deviceId of run.deviceIds) {
      const timestamps = readingsOf([deviceId]).map((m) => m.timestamp);
      expect(timestamps).toEqual(Array.from({ length: 12 }, (_, i) => run.start + i * TEN_MINUTES));
    }
  });

  it("replays CSV values in order, cycling, up to --end", async () => {
    const run = config({ deviceIds: [randomUUID()], end: Date.UTC(2026, 0, 1, 0, 50), csvValues: [0.5, 0.25, 1] });
    expect(await runSimulator(run, { queue: names.sensorData, broker, log: testLogger, signal: new AbortController().signal })).toBe(5);
    await eventually("readings arrived", () => readingsOf(run.deviceIds).length === 5);
    expect(readingsOf(run.deviceIds).map((m) => m.value)).toEqual([0.5, 0.25, 1, 0.5, 0.25]);
  });

  it("never runs ahead of the real clock, and stops cleanly when aborted", async () => {
    // 40 minutes in the past: five steps are due now (0, 10, 20, 30, 40 min ago), the sixth in the future.
    const start = Math.floor(Date.now() / TEN_MINUTES) * TEN_MINUTES - 4 * TEN_MINUTES;
    const run = config({ start, readingsPerDevice: 100 });
    const stop = new AbortController();
    const finished = runSimulator(run, { queue: names.sensorData, broker, log: testLogger, signal: stop.signal });
    await eventually("due readings published", () => readingsOf(run.deviceIds).length === 10);
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop.abort();
    expect(await finished).toBe(10);
    expect(Math.max(...readingsOf(run.deviceIds).map((m) => m.timestamp))).toBeLessThanOrEqual(Date.now());
  });
});
