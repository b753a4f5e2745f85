import "server-only";
import type { SessionsEnded } from "@ems/contracts/notifications";
import { NOTIFICATION_ROUTING_KEYS } from "@ems/contracts/queues";
import type { Prisma } from "@ems/db/auth";
import { pokeSessionsRelay } from "./start.ts";

/** What recordSessionsEnded needs of an auth-database transaction. */
interface AuthOutboxWriter {
  outboxEvent: { create(args: { data: Prisma.OutboxEventCreateInput }): PromiseLike<unknown> };
}

/**
 * Records, in the auth database's outbox, that every session of `userId` ended — call it inside the
 * transaction that moves their session version on (or deletes their credentials), so that the change
 * and its announcement commit together. The relay publishes it as `sessions.ended` on the notifications
 * exchange (at least once, in order), whenever RabbitMQ takes it; chat then voids the user's socket
 * tokens older than `sessionVersion` (all of them after a deletion) and drops their sockets.
 */
export async function recordSessionsEnded(
  tx: AuthOutboxWriter,
  userId: string,
  reason: SessionsEnded["reason"],
  sessionVersion?: number,
): Promise<void> {
  const payload: SessionsEnded = { userId, reason, occurredAt: new Date().toISOString(), ...(sessionVersion === undefined ? {} : { sessionVersion }) };
  await tx.outboxEvent.create({ data: { userId, eventType: NOTIFICATION_ROUTING_KEYS.sessionsEnded, payload } });
}

/** After the commit: asks this process's relay (if it runs here) to publish now rather than at its next poll. */
export function sessionsEndedRecorded(): void {
  pokeSessionsRelay();
}
