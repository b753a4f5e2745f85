import { parseMeasurement, type Measurement } from "@ems/contracts/measurement";
import { READINGS_BATCH_CONTENT_TYPE, parseReadingsBatch, type BatchReading } from "@ems/contracts/readings-batch";

/**
 * A message on a partition queue: one reading (the body is the measurement, as the device sent it), or
 * a readings batch (its content type says so; see @ems/contracts/readings-batch). Both are accepted, so
 * replicas and balancers of different versions can run side by side during a rolling update.
 */
export type ReadingMessage =
  | { ok: true; batch: false; measurement: Measurement }
  | { ok: true; batch: true; readings: BatchReading[] }
  /** Refused whole: the message is dead-lettered as it is. */
  | { ok: false; reason: string };

export function parseReadingMessage(body: Buffer, contentType: string | undefined, now: number = Date.now()): ReadingMessage {
  // A media type is case-insensitive and may carry parameters (e.g. "; charset=utf-8").
  if (contentType?.split(";")[0]?.trim().toLowerCase() === READINGS_BATCH_CONTENT_TYPE) {
    const batch = parseReadingsBatch(body, now);
    return batch.ok ? { ok: true, batch: true, readings: batch.readings } : batch;
  }
  const single = parseMeasurement(body, now);
  return single.ok ? { ok: true, batch: false, measurement: single.measurement } : single;
}
