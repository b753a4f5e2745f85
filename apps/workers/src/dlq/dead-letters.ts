import { parseMeasurement } from "@ems/contracts/measurement";
import type { QueueNames } from "@ems/contracts/queues";
import type { DeadLetter } from "@ems/messaging/dead-letters";

// Reading the queue is @ems/messaging/dead-letters' (the web's console reads it too); what replay may move is decided here.

export type ReplayVerdict =
  | { replayable: true }
  /** `forceable`: a reading that does not validate; `--force` republishes it anyway. */
  | { replayable: false; why: string; forceable: boolean };

/**
 * Monitoring's refusals that time cannot change (src/monitoring/held-readings.ts): a replayed reading
 * would only be dead-lettered again.
 */
const FINAL_REASONS = ["device deleted", "timestamp is older than the retention window"];

/**
 * Whether a dead letter may go back into sensor.data.queue. Decided mostly by what it is now rather
 * than by its reason text: a reading (from the raw or a partition queue, or of unknown origin) whose
 * body validates today is replayable (unknown device, a transient database refusal, a clock that was
 * ahead) unless monitoring refused it for good; one that does not validate or was refused for good
 * would only be dead-lettered again (`--force` overrides that); messages of other queues (sync events,
 * notifications) are never readings.
 */
export function replayVerdict(letter: DeadLetter, names: QueueNames): ReplayVerdict {
  const source = letter.sourceQueue;
  if (source !== undefined && !isReadingQueue(source, names)) {
    return { replayable: false, why: `not a reading (from ${source})`, forceable: false };
  }
  const parsed = parseMeasurement(letter.body);
  if (!parsed.ok) return { replayable: false, why: `not a valid reading: ${parsed.reason}`, forceable: true };
  const final = FINAL_REASONS.find((reason) => letter.reason?.startsWith(reason));
  if (final !== undefined) return { replayable: false, why: `refused for good: ${final}`, forceable: true };
  return { replayable: true };
}

function isReadingQueue(queue: string, names: QueueNames): boolean {
  if (queue === names.sensorData) return true;
  const prefix = names.partition(0).slice(0, -1);
  return queue.startsWith(prefix) && /^\d+$/.test(queue.slice(prefix.length));
}
