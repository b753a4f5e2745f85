import { describe, expect, it } from "vitest";
import { MAX_CLOCK_SKEW_MS, hourStart, parseMeasurement, serializeMeasurement, MAX_MEASUREMENT_BYTES } from "./measurement.ts";

const DEVICE = "5c2494a3-1140-4c7a-991a-a1a2561c6bc2";
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const body = (fields: Record<string, unknown>) => JSON.stringify({ timestamp: NOW, device_id: DEVICE, measurement_value: 0.1, ...fields });
const reasonOf = (input: string) => {
  const result = parseMeasurement(input, NOW);
  return result.ok ? "ok" : result.reason;
};

describe("parseMeasurement", () => {
  it("accepts the contract's snake_case and the camelCase form, lower-casing the device id", () => {
    expect(parseMeasurement(Buffer.from(body({})), NOW)).toEqual({ ok: true, measurement: { timestamp: NOW, deviceId: DEVICE, value: 0.1 } });
    const camel = JSON.stringify({ timestamp: NOW, deviceId: DEVICE.toUpperCase(), measurementValue: 0 });
    expect(parseMeasurement(camel, NOW)).toEqual({ ok: true, measurement: { timestamp: NOW, deviceId: DEVICE, value: 0 } });
  });

  it("accepts a timestamp up to the allowed clock skew ahead", () => {
    expect(reasonOf(body({ timestamp: NOW + MAX_CLOCK_SKEW_MS }))).toBe("ok");
  });

  it.each([
    ["not json", "malformed JSON"],
    ["", "malformed JSON"],
    ["[1]", "body must be a JSON object"],
    ["null", "body must be a JSON object"],
    ["{}", "timestamp must be a number (epoch milliseconds)"],
    [body({ device_id: undefined }), "device_id must be a UUID"],
    [body({ device_id: "meter-7" }), "device_id must be a UUID"],
    [body({ device_id: null }), "device_id must be a UUID"],
    [body({ measurement_value: undefined }), "measurement_value must be a number"],
    [body({ measurement_value: "0.1" }), "measurement_value must be a number"],
    [body({ measurement_value: -0.1 }), "measurement_value must not be negative"],
    [body({ measurement_value: 5_000 }), "measurement_value must be at most 1000 kWh"],
    [`{"timestamp": ${NOW}, "device_id": "${DEVICE}", "measurement_value": 1e999}`, "measurement_value must be finite"],
    [body({ timestamp: "2026-11-27T12:00:00Z" }), "timestamp must be a number (epoch milliseconds)"],
    [body({ timestamp: NOW + 0.5 }), "timestamp must be an integer number of milliseconds"],
    [body({ timestamp: NOW / 1000 }), "timestamp is before 2000-01-01 (expected epoch milliseconds, not seconds)"],
    [body({ timestamp: -1 }), "timestamp is before 2000-01-01 (expected epoch milliseconds, not seconds)"],
    [body({ timestamp: NOW + MAX_CLOCK_SKEW_MS + 1 }), "timestamp is in the future"],
    [body({ padding: "x".repeat(MAX_MEASUREMENT_BYTES) }), `message too large (over ${MAX_MEASUREMENT_BYTES} bytes)`],
  ])("rejects %s: %s", (input, reason) => {
    expect(reasonOf(input)).toBe(reason);
  });
});

describe("serializeMeasurement", () => {
  it("writes the contract's snake_case body, which parses back to the same reading", () => {
    const measurement = { timestamp: NOW, deviceId: DEVICE, value: 0.25 };
    const text = serializeMeasurement(measurement);
    expect(JSON.parse(text)).toEqual({ timestamp: NOW, device_id: DEVICE, measurement_value: 0.25 });
    expect(parseMeasurement(text, NOW)).toEqual({ ok: true, measurement });
  });
});

describe("hourStart", () => {
  it("truncates to the UTC clock hour", () => {
    expect(hourStart(Date.UTC(2026, 0, 1, 13, 59, 59, 999))).toBe(Date.UTC(2026, 0, 1, 13));
    expect(hourStart(Date.UTC(2026, 0, 1, 14))).toBe(Date.UTC(2026, 0, 1, 14));
  });
});
