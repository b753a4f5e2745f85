import { z } from "zod";

/** How far in the future a reading's timestamp may be before it is rejected as impossible. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
/**
 * Earliest accepted reading (2000-01-01 UTC). Anything older is impossible for this system and is
 * almost always a timestamp in seconds rather than milliseconds, which would otherwise be counted
 * silently in January 1970.
 */
export const MIN_TIMESTAMP_MS = Date.UTC(2000, 0, 1);
/** A reading is ~100 bytes of JSON; anything far larger is not one and is not worth parsing. */
export const MAX_MEASUREMENT_BYTES = 4_096;
/** Readings are counted per 10 minutes; a single one above this is not a household meter. */
export const MAX_MEASUREMENT_KWH = 1_000;

const epochMs = z
  .number({ error: "timestamp must be a number (epoch milliseconds)" })
  .int({ error: "timestamp must be an integer number of milliseconds" })
  .min(MIN_TIMESTAMP_MS, { error: "timestamp is before 2000-01-01 (expected epoch milliseconds, not seconds)" });

const kwh = z
  // JSON has no NaN, but 1e999 parses to Infinity, which z.number() rejects as a type error.
  .number({ error: (issue) => (typeof issue.input === "number" ? "measurement_value must be finite" : "measurement_value must be a number") })
  .min(0, { error: "measurement_value must not be negative" })
  .max(MAX_MEASUREMENT_KWH, { error: `measurement_value must be at most ${MAX_MEASUREMENT_KWH} kWh` });

const deviceId = z.uuid({ error: "device_id must be a UUID" });

/** The wire format accepts the assignment's snake_case and camelCase alike. */
const wireMeasurement = z.union([
  z.object({ timestamp: epochMs, device_id: deviceId, measurement_value: kwh }),
  z.object({ timestamp: epochMs, deviceId, measurementValue: kwh }),
]);

export interface Measurement {
  timestamp: number;
  deviceId: string;
  value: number;
}

export type ParseResult = { ok: true; measurement: Measurement } | { ok: false; reason: string };

/**
 * Parses one message body. Never throws: every way a body can be wrong becomes a readable reason,
 * which the consumer puts on the dead-lettered message.
 */
export function parseMeasurement(body: Buffer | string, now: number = Date.now()): ParseResult {
  if (Buffer.byteLength(body) > MAX_MEASUREMENT_BYTES) {
    return { ok: false, reason: `message too large (over ${MAX_MEASUREMENT_BYTES} bytes)` };
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof body === "string" ? body : body.toString("utf8"));
  } catch {
    return { ok: false, reason: "malformed JSON" };
  }
  return parseMeasurementJson(json, now);
}

/**
 * Validates one reading already parsed from JSON (e.g. one of a readings batch, see readings-batch.ts),
 * with the same rules and reasons as `parseMeasurement`, except the byte limit on the body.
 */
export function parseMeasurementJson(json: unknown, now: number = Date.now()): ParseResult {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { ok: false, reason: "body must be a JSON object" };
  }
  const parsed = wireMeasurement.safeParse(json);
  if (!parsed.success) {
    // A union reports every branch; prefer the branch matching the keys the sender used.
    const snake = "device_id" in json || "measurement_value" in json;
    const branch = snake ? 0 : 1;
    const issue =
      parsed.error.issues.find((i) => i.code === "invalid_union")?.errors[branch]?.[0] ?? parsed.error.issues[0];
    const path = issue?.path.join(".");
    const reason =
      issue?.code === "invalid_type" && issue.message.startsWith("Invalid input") ? `missing or invalid ${path}` : issue?.message;
    return { ok: false, reason: reason ?? "invalid measurement" };
  }
  const data = parsed.data;
  const measurement: Measurement =
    "device_id" in data
      ? { timestamp: data.timestamp, deviceId: data.device_id.toLowerCase(), value: data.measurement_value }
      : { timestamp: data.timestamp, deviceId: data.deviceId.toLowerCase(), value: data.measurementValue };
  if (measurement.timestamp > now + MAX_CLOCK_SKEW_MS) {
    return { ok: false, reason: "timestamp is in the future" };
  }
  return { ok: true, measurement };
}

/** The contract's canonical (snake_case) body. */
export function serializeMeasurement(m: Measurement): string {
  return JSON.stringify({ timestamp: m.timestamp, device_id: m.deviceId, measurement_value: m.value });
}

/** Start of the UTC clock hour a timestamp falls in. */
export function hourStart(timestampMs: number): number {
  return timestampMs - (timestampMs % 3_600_000);
}
