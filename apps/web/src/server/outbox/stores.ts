import { authDb, type OutboxEvent as AuthOutboxEvent } from "@ems/db/auth";
import { deviceDb, type OutboxEvent as DeviceOutboxEvent } from "@ems/db/device";
import type { OutboxRow, OutboxStore } from "./relay.ts";

/**
 * The two outbox tables the relay publishes, one per database that has one, in the same layout (id,
 * event_type, payload, published_at, attempts, last_error): the device database's (sync events →
 * monitoring.sync.queue) and the auth database's (sessions.ended → the notifications exchange). The
 * relay's logic (./relay.ts) is the same for both; only where the rows live differs. A plain module
 * like relay.ts (no Next.js runtime needed): the fault tests (packages/stack) run the relay on its own.
 */

/** What the relay uses of a Prisma client whose schema has an `OutboxEvent` model of that layout. */
interface OutboxDelegate<Row> {
  findFirst(args: { where: { publishedAt: null }; select: { id: true } }): PromiseLike<{ id: bigint } | null>;
  findMany(args: { where: { publishedAt: null }; orderBy: { id: "asc" }; take: number }): PromiseLike<Row[]>;
  update(args: { where: { id: bigint }; data: { attempts: { increment: number }; lastError: string } }): PromiseLike<unknown>;
  updateMany(args: { where: { id: { in: bigint[] } }; data: { publishedAt: Date; attempts: { increment: number }; lastError: null } }): PromiseLike<unknown>;
}
interface OutboxTransaction<Row> {
  outboxEvent: OutboxDelegate<Row>;
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>;
}
interface OutboxDatabase<Row> {
  outboxEvent: OutboxDelegate<Row>;
  $transaction<R>(work: (tx: OutboxTransaction<Row>) => Promise<R>, options?: { timeout?: number; maxWait?: number }): Promise<R>;
}

/** pg_try_advisory_xact_lock keys, each unique to its purpose in its database. */
const DEVICE_OUTBOX_LOCK_KEY = 7_242_001;
const AUTH_OUTBOX_LOCK_KEY = 7_242_002;

function prismaOutboxStore<Row extends OutboxRow>(db: OutboxDatabase<Row>, lockKey: number): OutboxStore<Row> {
  return {
    async hasPending() {
      return (await db.outboxEvent.findFirst({ where: { publishedAt: null }, select: { id: true } })) !== null;
    },
    withLock(pass) {
      return db.$transaction(
        async (tx) => {
          const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${lockKey}) AS locked`;
          if (!lock?.locked) return null;
          return pass({
            pending: (limit) => Promise.resolve(tx.outboxEvent.findMany({ where: { publishedAt: null }, orderBy: { id: "asc" }, take: limit })),
            failed: async (id, message) => {
              await tx.outboxEvent.update({ where: { id }, data: { attempts: { increment: 1 }, lastError: message } });
            },
            published: async (ids) => {
              await tx.outboxEvent.updateMany({ where: { id: { in: ids } }, data: { publishedAt: new Date(), attempts: { increment: 1 }, lastError: null } });
            },
          });
        },
        // A batch waits on broker confirms; the publisher's own timeouts keep it well below this.
        { timeout: 120_000, maxWait: 10_000 },
      );
    },
  };
}

/** The device database's outbox: device sync events for monitoring. */
export function deviceOutboxStore(): OutboxStore<DeviceOutboxEvent> {
  return prismaOutboxStore<DeviceOutboxEvent>(deviceDb, DEVICE_OUTBOX_LOCK_KEY);
}

/** The auth database's outbox: sessions.ended events for chat. */
export function authOutboxStore(): OutboxStore<AuthOutboxEvent> {
  return prismaOutboxStore<AuthOutboxEvent>(authDb, AUTH_OUTBOX_LOCK_KEY);
}
