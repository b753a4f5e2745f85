import { serializeMeasurement } from "@ems/contracts/measurement";
import type { Broker, Logger } from "@ems/messaging";
import { READING_INTERVAL_MS, hourFormatter, localHourOf, profileReading } from "./load-profile.ts";
import { RateLimiter, Semaphore, sleep } from "./pacing.ts";

export interface SimulatorConfig {
  deviceIds: readonly string[];
  /** Simulated time of the first reading (epoch ms, a multiple of 10 minutes). */
  start: number;
  /** Simulated time to stop before (exclusive); with neither this nor readingsPerDevice it runs until stopped. */
  end?: number;
  readingsPerDevice?: number;
  /** Simulated minutes per real minute; "max" replays as fast as the broker (and rate) allow. */
  speed: number | "max";
  /** Upper bound on messages per second over all devices. */
  ratePerSecond?: number;
  /** Values to replay (one per 10 minutes, cycling) instead of the load profile. */
  csvValues?: readonly number[];
  /** Time zone whose clock the load profile follows (morning and evening peaks). */
  timeZone: string;
  /** Publishes awaiting the broker's confirm at once. */
  maxInFlight: number;
}

export interface SimulatorRun {
  queue: string;
  broker: Broker;
  log: Logger;
  signal: AbortSignal;
  /** Called after each confirmed publish. */
  onProgress?: (published: number) => void;
}

/** Number of 10-minute steps a configuration covers; Infinity when it runs until stopped. */
export function stepCount(config: Pick<SimulatorConfig, "start" | "end" | "readingsPerDevice">): number {
  const untilEnd = config.end === undefined ? Infinity : Math.max(0, Math.ceil((config.end - config.start) / READING_INTERVAL_MS));
  return Math.min(untilEnd, config.readingsPerDevice ?? Infinity);
}

/** The value device `deviceIndex` reports at a step: from the CSV (cycling) or the load profile. */
export function readingValue(config: SimulatorConfig, deviceId: string, step: number, timestamp: number, localHour: number): number {
  const csv = config.csvValues;
  if (csv && csv.length > 0) return csv[step % csv.length]!;
  return profileReading(deviceId, timestamp, localHour);
}

/**
 * Publishes one reading per device per 10 simulated minutes to sensor.data.queue, each confirmed by
 * the broker (a failed publish is retried until it is confirmed or the run is stopped). Simulated time
 * runs `speed` times faster than real time but never ahead of it: readings must not be from the
 * future, so a replay that catches up with the present continues live. Resolves with the number of
 * confirmed readings once every publish has settled (after `signal` aborted, or at the end).
 */
export async function runSimulator(config: SimulatorConfig, run: SimulatorRun): Promise<number> {
  const { signal, log } = run;
  const steps = stepCount(config);
  const formatter = hourFormatter(config.timeZone);
  const limiter = config.ratePerSecond ? new RateLimiter(config.ratePerSecond, signal) : undefined;
  const window = new Semaphore(config.maxInFlight);
  const inFlight = new Set<Promise<void>>();
  const wallStart = Date.now();
  let published = 0;

  const publish = async (body: string) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await run.broker.sendToQueue(run.queue, body);
        published++;
        run.onProgress?.(published);
        return;
      } catch (error) {
        if (signal.aborted) {
          log.warn(`stopped with a reading unconfirmed (${String(error)}): ${body}`);
          return;
        }
        if (attempt === 1) log.warn(`publish failed (${String(error)}); retrying`);
        await sleep(Math.min(5_000, 250 * attempt), signal);
      }
    }
  };

  for (let step = 0; step < steps && !signal.aborted; step++) {
    const timestamp = config.start + step * READING_INTERVAL_MS;
    const dueBySpeed = config.speed === "max" ? 0 : wallStart + (timestamp - config.start) / config.speed;
    await sleep(Math.max(dueBySpeed, timestamp) - Date.now(), signal);
    const localHour = localHourOf(timestamp, formatter);
    for (const deviceId of config.deviceIds) {
      await limiter?.take();
      await window.acquire();
      if (signal.aborted) {
        window.release();
        break;
      }
      const body = serializeMeasurement({ timestamp, deviceId, value: readingValue(config, deviceId, step, timestamp, localHour) });
      const sending = publish(body).finally(() => {
        window.release();
        inFlight.delete(sending);
      });
      inFlight.add(sending);
    }
  }
  await Promise.all([...inFlight]);
  return published;
}
