import { describe, expect, it } from "vitest";
import { READINGS_BATCH_CONTENT_TYPE } from "@ems/contracts/readings-batch";
import { parseReadingMessage } from "./reading-messages.ts";

const DEVICE = "5c2494a3-1140-4c7a-991a-a1a2561c6bc2";
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const reading = { timestamp: NOW, device_id: DEVICE, measurement_value: 0.5 };
const batchBody = Buffer.from(JSON.stringify({ v: 1, readings: [reading] }));

describe("parseReadingMessage", () => {
  it("reads a body without the batch content type as one reading", () => {
    const measurement = { timestamp: NOW, deviceId: DEVICE, value: 0.5 };
    expect(parseReadingMessage(Buffer.from(JSON.stringify(reading)), undefined, NOW)).toEqual({ ok: true, batch: false, measurement });
    expect(parseReadingMessage(Buffer.from(JSON.stringify(reading)), "application/json", NOW)).toEqual({ ok: true, batch: false, measurement });
    // A batch envelope without the content type is not a reading.
    expect(parseReadingMessage(batchBody, "application/json", NOW)).toEqual({ ok: false, reason: "timestamp must be a number (epoch milliseconds)" });
  });

  it("reads a body with the batch content type (any case, with parameters) as a batch", () => {
    const expected = { ok: true, batch: true, readings: [{ ok: true, measurement: { timestamp: NOW, deviceId: DEVICE, value: 0.5 } }] };
    expect(parseReadingMessage(batchBody, READINGS_BATCH_CONTENT_TYPE, NOW)).toEqual(expected);
    expect(parseReadingMessage(batchBody, `${READINGS_BATCH_CONTENT_TYPE.toUpperCase()}; charset=utf-8`, NOW)).toEqual(expected);
    expect(parseReadingMessage(Buffer.from(JSON.stringify(reading)), READINGS_BATCH_CONTENT_TYPE, NOW)).toEqual({
      ok: false,
      reason: "unsupported readings batch version (none) (expected 1)",
    });
  });
});
