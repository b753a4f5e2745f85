import { describe, expect, it } from "vitest";
import { serializeMeasurement } from "./measurement.ts";
import { MAX_READINGS_PER_BATCH, parseReadingsBatch, readingsBatchBytes, serializeReadingsBatch } from "./readings-batch.ts";

const DEVICE = "5c2494a3-1140-4c7a-991a-a1a2561c6bc2";
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const reasonOf = (body: string) => {
  const result = parseReadingsBatch(Buffer.from(body), NOW);
  return result.ok ? "ok" : result.reason;
};

describe("readings batch", () => {
  it("splices the readings in unchanged, and parses them back in order", () => {
    const snake = Buffer.from(serializeMeasurement({ timestamp: NOW, deviceId: DEVICE, value: 0.1 }));
    const camel = Buffer.from(`{ "timestamp": ${NOW - 600_000}, "deviceId": "${DEVICE.toUpperCase()}", "measurementValue": 2 }`);
    const body = serializeReadingsBatch([snake, camel]);
    expect(body.length).toBe(readingsBatchBytes(2, snake.length + camel.length));
    expect(JSON.parse(body.toString())).toEqual({ v: 1, readings: [JSON.parse(snake.toString()), JSON.parse(camel.toString())] });
    expect(parseReadingsBatch(body, NOW)).toEqual({
      ok: true,
      readings: [
        { ok: true, measurement: { timestamp: NOW, deviceId: DEVICE, value: 0.1 } },
        { ok: true, measurement: { timestamp: NOW - 600_000, deviceId: DEVICE, value: 2 } },
      ],
    });
  });

  it("refuses a bad reading alone, with its reason and its JSON", () => {
    const bad = { timestamp: NOW, device_id: DEVICE, measurement_value: -1 };
    const result = parseReadingsBatch(Buffer.from(JSON.stringify({ v: 1, readings: [bad, { timestamp: NOW, device_id: DEVICE, measurement_value: 1 }] })), NOW);
    expect(result).toEqual({
      ok: true,
      readings: [
        { ok: false, reason: "measurement_value must not be negative", body: JSON.stringify(bad) },
        { ok: true, measurement: { timestamp: NOW, deviceId: DEVICE, value: 1 } },
      ],
    });
  });

  it.each([
    ["{oops", "malformed JSON"],
    ["[1]", "readings batch must be a JSON object"],
    [JSON.stringify({ readings: [] }), "unsupported readings batch version (none) (expected 1)"],
    [JSON.stringify({ v: 2, readings: [] }), "unsupported readings batch version 2 (expected 1)"],
    [JSON.stringify({ v: "1", readings: [] }), 'unsupported readings batch version "1" (expected 1)'],
    [JSON.stringify({ v: 1 }), "invalid readings batch: readings must be an array"],
    [JSON.stringify({ v: 1, readings: [] }), "invalid readings batch: readings must not be empty"],
    [JSON.stringify({ v: 1, readings: new Array(MAX_READINGS_PER_BATCH + 1).fill(0) }), `invalid readings batch: readings must hold at most ${MAX_READINGS_PER_BATCH} readings`],
  ])("refuses the whole message %#: %s", (body, reason) => {
    expect(reasonOf(body)).toBe(reason);
  });
});
