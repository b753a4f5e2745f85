import { randomUUID } from "node:crypto";
import { DEAD_LETTER_REASON_HEADER, DEAD_LETTER_SOURCE_HEADER, type QueueNames } from "@ems/contracts/queues";
import type { PublishOptions } from "@ems/messaging";
import { ReasonTally, type DeadLetter, type DeadLetterQueue, type ReasonCount } from "@ems/messaging/dead-letters";
import { replayVerdict } from "./dead-letters.ts";

/** A reason filter: the dead letters whose reason starts with it (all when undefined). */
const matches = (letter: DeadLetter, reason: string | undefined) => reason === undefined || (letter.reason ?? "").startsWith(reason);

export interface ReasonGroup extends ReasonCount {
  /** Of those, how many `replay` would move without --force. */
  replayable: number;
}

export interface ListResult {
  /** Messages in the queue when it was opened. */
  total: number;
  /** Messages read: more than `total` if some were dead-lettered meanwhile, fewer if some were removed. */
  read: number;
  /** Matching dead letters by reason, largest group first. */
  groups: ReasonGroup[];
  /** The first `limit` matching dead letters, from the head. */
  first: DeadLetter[];
}

/** Reads the whole queue (holding, not removing) and groups the matching dead letters by reason. */
export async function listDeadLetters(dlq: DeadLetterQueue, names: QueueNames, options: { reason?: string; limit: number }): Promise<ListResult> {
  const tally = new ReasonTally();
  const replayable = new Map<string | undefined, number>();
  const first: DeadLetter[] = [];
  for (let letter = await dlq.next(); letter; letter = await dlq.next()) {
    if (!matches(letter, options.reason)) continue;
    tally.add(letter);
    if (replayVerdict(letter, names).replayable) replayable.set(letter.reason, (replayable.get(letter.reason) ?? 0) + 1);
    // Only the shown ones are kept: memory stays bounded however long the queue is.
    if (first.length < options.limit) first.push(letter);
  }
  return {
    total: dlq.total,
    read: dlq.readCount,
    groups: tally.groups().map((group) => ({ ...group, replayable: replayable.get(group.reason) ?? 0 })),
    first,
  };
}

/** Finds one dead letter by its position (from 1, as `list` shows it) or its id. */
export async function findDeadLetter(dlq: DeadLetterQueue, ref: { position: number } | { id: string }): Promise<DeadLetter | undefined> {
  for (let letter = await dlq.next(); letter; letter = await dlq.next()) {
    if ("position" in ref ? letter.position === ref.position : letter.id === ref.id) return letter;
  }
  return undefined;
}

export interface ReplayOptions {
  reason?: string;
  /** Most dead letters replayed (undefined: every matching one). */
  limit?: number;
  /** Also replay readings that do not validate (they will most likely be dead-lettered again). */
  force: boolean;
}

/** Where replayed readings go, with confirms (an @ems/messaging Broker). */
export interface ReplayTarget {
  sendToQueue(queue: string, body: Buffer, options?: PublishOptions): Promise<void>;
}

export interface ReplayResult {
  /** Messages read from the head (the matching ones and those passed over). */
  read: number;
  replayed: number;
  /** Matching dead letters left in the queue, by why (e.g. "not a valid reading: malformed JSON"). */
  refused: Map<string, { count: number; forceable: boolean }>;
  /** The publish that failed, if one did: replay stopped there, and that message and the rest stayed. */
  failure: Error | undefined;
}

/** Publishes confirmed at once (a window, so a large replay does not wait out one round trip each). */
const REPLAY_WINDOW = 2_000;

/**
 * Moves the matching, replayable dead letters into sensor.data.queue, from the head, at most `limit`.
 * A dead letter is acked (removed) only after RabbitMQ confirmed its republish, so none is lost. The
 * acks are sent together once reading is over: interleaved with the reads, each ack made the next
 * basic.get wait for it (20,000 dead letters: 52 s instead of 11 s). If the tool dies before, the
 * replayed messages are still dead letters too, and a second replay sends them again — monitoring
 * counts a reading once however often it arrives. Everything else read is returned to its place when
 * `dlq` closes.
 *
 * The republished message carries the body unchanged and the dead-letter history headers (first time,
 * count), without the reason and source, which no longer apply.
 */
export async function replayDeadLetters(dlq: DeadLetterQueue, names: QueueNames, target: ReplayTarget, options: ReplayOptions): Promise<ReplayResult> {
  const result: ReplayResult = { read: 0, replayed: 0, refused: new Map(), failure: undefined };
  const inFlight = new Set<Promise<void>>();
  const confirmed: DeadLetter[] = [];
  const run = { id: randomUUID(), startedAt: new Date().toISOString() };
  let started = 0;
  try {
    while (result.failure === undefined && (options.limit === undefined || started < options.limit)) {
      const letter = await dlq.next();
      if (!letter) break;
      if (!matches(letter, options.reason)) continue;
      // Replayed by this run and dead-lettered again (the balancer keeps headers; monitoring's dead
      // letters are new): left alone, or a forced replay could go round for ever.
      const returned = letter.message.properties.headers?.[REPLAY_RUN_HEADER] === run.id || (letter.firstDeadLetteredAt ?? "") >= run.startedAt;
      if (returned) continue;
      const verdict = replayVerdict(letter, names);
      if (!verdict.replayable && !(verdict.forceable && options.force)) {
        const refused = result.refused.get(verdict.why) ?? { count: 0, forceable: verdict.forceable };
        refused.count++;
        result.refused.set(verdict.why, refused);
        continue;
      }
      started++;
      const publish = target
        .sendToQueue(names.sensorData, letter.body, republishOptions(letter, run.id))
        .then(() => void confirmed.push(letter))
        // Not confirmed: the message stays a dead letter; replay stops here.
        .catch((error: unknown) => {
          result.failure ??= error instanceof Error ? error : new Error(String(error));
        })
        .finally(() => inFlight.delete(publish));
      inFlight.add(publish);
      if (inFlight.size >= REPLAY_WINDOW) await Promise.race(inFlight);
    }
  } finally {
    // Also when reading failed: every started publish settles, and what was confirmed is acked.
    await Promise.all(inFlight);
    try {
      for (const letter of confirmed) {
        dlq.ack(letter);
        result.replayed++;
      }
    } catch (error) {
      // The channel went away: the broker put the unacked ones back, already replayed (counted once).
      result.failure ??= error instanceof Error ? error : new Error(String(error));
    }
  }
  result.read = dlq.readCount;
  return result;
}

/** Marks a replayed message with the run that replayed it. */
const REPLAY_RUN_HEADER = "x-ems-replay-run";

function republishOptions(letter: DeadLetter, runId: string): PublishOptions {
  const {
    [DEAD_LETTER_REASON_HEADER]: _reason,
    [DEAD_LETTER_SOURCE_HEADER]: _source,
    ...headers
  } = (letter.message.properties.headers ?? {}) as Record<string, unknown>;
  const messageId: unknown = letter.message.properties.messageId;
  return { headers: { ...headers, [REPLAY_RUN_HEADER]: runId }, ...(typeof messageId === "string" ? { messageId } : {}) };
}
