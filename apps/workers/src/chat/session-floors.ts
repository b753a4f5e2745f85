import { chatDb } from "@ems/db/chat";
import type { SessionsEnded } from "@ems/contracts/notifications";
import type { TokenSubject } from "@ems/auth/tokens";

/** A deleted user's floor: no token of theirs passes (user ids are never reused). */
export const DELETED_FLOOR = 2_147_483_647;

/**
 * What chat knows of the end of users' sessions, in its own database (`session_floors`, shared by every
 * chat process; chat never reads the auth database): per user, the lowest session version a socket token
 * may still carry. It is learned from the durable `sessions.ended` events (web → chat through the auth
 * database's outbox) and only ever raised, so a late or repeated event cannot lower it.
 *
 * Why chat keeps it rather than relying on the socket token's 2-minute lifetime: sessions.ended drops the
 * user's sockets, but a token issued before the change (role admin, say) stays valid for the rest of its
 * lifetime, and a client that kept it could reconnect with it at once and rejoin `admins`. And chat
 * processes are competing consumers (only one of them sees each event), so the floor must be shared, not
 * held in one process's memory.
 */
export class SessionFloors {
  /** The user's floor, or undefined when their sessions never ended. Throws when the database is away. */
  async floorOf(userId: string): Promise<number | undefined> {
    const row = await chatDb.sessionFloor.findUnique({ where: { userId }, select: { minSessionVersion: true } });
    return row?.minSessionVersion;
  }

  /** True when the token's session version is below its user's floor. Throws when the database is away. */
  async isRevoked(subject: TokenSubject): Promise<boolean> {
    const floor = await this.floorOf(subject.id);
    return floor !== undefined && subject.sessionVersion < floor;
  }

  /**
   * Records a sessions.ended event: raises the user's floor to its session version (to DELETED_FLOOR for
   * a deletion). An event of an earlier release, without a session version, records nothing (the sockets
   * are still dropped). Throws when the database is away.
   */
  async record(event: SessionsEnded): Promise<void> {
    const floor = event.reason === "deleted" ? DELETED_FLOOR : event.sessionVersion;
    if (floor === undefined) return;
    await chatDb.$executeRaw`
      INSERT INTO session_floors (user_id, min_session_version, reason, ended_at)
      VALUES (${event.userId}::uuid, ${floor}, ${event.reason}, ${new Date(event.occurredAt)})
      ON CONFLICT (user_id) DO UPDATE
        SET min_session_version = EXCLUDED.min_session_version, reason = EXCLUDED.reason,
            ended_at = EXCLUDED.ended_at, updated_at = now()
        WHERE session_floors.min_session_version < EXCLUDED.min_session_version`;
  }
}
