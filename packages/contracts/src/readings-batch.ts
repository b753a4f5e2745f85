import { z } from "zod";
import { parseMeasurementJson, type Measurement } from "./measurement.ts";

/**
 * A readings batch: several readings in one message on a partition queue (sensor.queue.{i}), so the
 * broker carries fewer messages per reading. The message's content type says it is one; a message
 * without it is a single reading (application/json), as before batches existed.
 *
 *     content-type: application/vnd.ems.readings-batch+json
 *     {"v":1,"readings":[<reading>,<reading>,...]}
 *
 * Each reading is a measurement exactly as the device sent it to sensor.data.queue (snake_case or
 * camelCase), unchanged. `v` is the envelope's version: a consumer refuses (dead-letters) a version it
 * does not know rather than guessing at it.
 */
export const READINGS_BATCH_CONTENT_TYPE = "application/vnd.ems.readings-batch+json";
export const READINGS_BATCH_VERSION = 1;
/** Most readings in one batch (a producer's batches are far smaller; see the balancer's settings). */
export const MAX_READINGS_PER_BATCH = 10_000;
/** Largest batch body a consumer parses (the stack's RabbitMQ refuses anything over 64 KiB anyway). */
export const MAX_READINGS_BATCH_BYTES = 1024 * 1024;

const PREFIX = Buffer.from(`{"v":${READINGS_BATCH_VERSION},"readings":[`);
const SUFFIX = Buffer.from("]}");
const COMMA = Buffer.from(",");

/** Size of the batch body holding `count` readings of `readingBytes` bytes in all. */
export function readingsBatchBytes(count: number, readingBytes: number): number {
  return PREFIX.length + readingBytes + Math.max(0, count - 1) + SUFFIX.length;
}

/**
 * The batch body of readings given as their message bodies, spliced in unchanged (no re-serialising).
 * Each must be a JSON object text already validated as a measurement (e.g. by `parseMeasurement`).
 */
export function serializeReadingsBatch(readings: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [PREFIX];
  readings.forEach((reading, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(reading);
  });
  parts.push(SUFFIX);
  return Buffer.concat(parts);
}

/** One reading of a batch: valid, or refused with its reason and its JSON (what a dead letter carries). */
export type BatchReading = { ok: true; measurement: Measurement } | { ok: false; reason: string; body: string };

export type ReadingsBatchParse = { ok: true; readings: BatchReading[] } | { ok: false; reason: string };

const envelope = z.object({
  readings: z
    .array(z.unknown(), { error: "readings must be an array" })
    .min(1, { error: "readings must not be empty" })
    .max(MAX_READINGS_PER_BATCH, { error: `readings must hold at most ${MAX_READINGS_PER_BATCH} readings` }),
});

/**
 * Parses a batch body. Never throws. A body that is not a batch of this version is refused whole; a bad
 * reading inside a good batch is refused alone (its own reason, as `parseMeasurement` gives it), the
 * others stay valid.
 */
export function parseReadingsBatch(body: Buffer, now: number = Date.now()): ReadingsBatchParse {
  if (body.length > MAX_READINGS_BATCH_BYTES) return { ok: false, reason: `readings batch too large (over ${MAX_READINGS_BATCH_BYTES} bytes)` };
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    return { ok: false, reason: "malformed JSON" };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return { ok: false, reason: "readings batch must be a JSON object" };
  const version = (json as { v?: unknown }).v;
  if (version !== READINGS_BATCH_VERSION) {
    return { ok: false, reason: `unsupported readings batch version ${JSON.stringify(version) ?? "(none)"} (expected ${READINGS_BATCH_VERSION})` };
  }
  const parsed = envelope.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `invalid readings batch: ${parsed.error.issues[0]?.message ?? "unknown error"}` };
  return {
    ok: true,
    readings: parsed.data.readings.map((reading): BatchReading => {
      const result = parseMeasurementJson(reading, now);
      return result.ok ? result : { ok: false, reason: result.reason, body: JSON.stringify(reading) };
    }),
  };
}
