import type { ExtendedError } from "socket.io";
import type { AckResponse, ClientToServerEvents } from "@ems/contracts/socket";
import type { Logger } from "@ems/messaging";
import { connectError } from "./handshake.ts";
import { TokenBucket } from "./rate-limit.ts";
import type { ChatSocket } from "./types.ts";

/** The per-socket event budget (see socketBudget). */
export interface SocketBudgetConfig {
  /** Points a socket may spend at once (the bucket's size). */
  capacity: number;
  /** Points regained per second. */
  refillPerSecond: number;
  /** Events refused for the budget within about a minute after which the socket is disconnected. */
  refusalsBeforeDisconnect: number;
}

/**
 * What each client → server event costs from the budget, roughly by the database work it causes:
 * typing is relayed without the database, a consumption watch joins a room, send/reply store one row, history/read/handoff run two queries,
 * claim/unassign/resolve/reopen update one row and read its inbox row (a refusal reads it again), inbox/open
 * read whole lists or conversations. An event not in the protocol costs 1 (it is dropped
 * anyway, but a flood of them is a flood).
 */
export const EVENT_COSTS: Readonly<Record<keyof ClientToServerEvents, number>> = {
  "chat:typing": 1,
  "chat:send": 2,
  "chat:reply": 2,
  "chat:handoff": 5,
  "chat:history": 5,
  "chat:read": 5,
  "chat:claim": 5,
  "chat:unassign": 5,
  "chat:resolve": 5,
  "chat:reopen": 5,
  "consumption:watch": 2,
  "chat:inbox": 10,
  "chat:open": 10,
};
const UNKNOWN_EVENT_COST = 1;

export const RATE_LIMITED_MESSAGE = "Too many requests on this connection: wait a moment and try again";

const costOf = (event: unknown): number =>
  typeof event === "string" && Object.hasOwn(EVENT_COSTS, event) ? EVENT_COSTS[event as keyof ClientToServerEvents] : UNKNOWN_EVENT_COST;

/**
 * Socket middleware (`socket.use`), run before any listener: every incoming event takes its cost from
 * this socket's token bucket. Over budget, the event is not dispatched at all — no handler, no
 * database — and an acknowledged event is answered `{error: {code: "rate_limited"}}` (a typing notice
 * is just dropped). Refusals draw from a second bucket (`refusalsBeforeDisconnect` per minute): a
 * socket that keeps flooding after being told is disconnected.
 */
export function socketBudget(socket: ChatSocket, config: SocketBudgetConfig, log: Logger) {
  const budget = new TokenBucket(config.capacity, config.refillPerSecond);
  const refusals = new TokenBucket(config.refusalsBeforeDisconnect, config.refusalsBeforeDisconnect / 60);
  return (packet: unknown[], next: (error?: Error) => void): void => {
    if (budget.tryTake(costOf(packet[0]))) {
      next();
      return;
    }
    // Not calling next() drops the packet (next(error) would raise "error" on the socket).
    const ack = packet.at(-1);
    if (typeof ack === "function") (ack as (response: AckResponse<never>) => void)({ error: { code: "rate_limited", message: RATE_LIMITED_MESSAGE } });
    if (!refusals.tryTake(1) && socket.connected) {
      const { user } = socket.data;
      log.warn(`disconnecting a socket of ${user.role} ${user.username} (${user.id}): it kept sending events over its budget`);
      socket.disconnect(true);
    }
  };
}

/**
 * Handshake middleware, after the token gate: at most `maxPerUser` sockets per user on this chat
 * process; the next handshake is refused with connect error "too_many_sockets". A place is taken when
 * the handshake is admitted (synchronously, so concurrent handshakes cannot both take the last one)
 * and given back when the socket disconnects or its connection closes, whichever comes first (a
 * connection that closes before the socket connects never emits "disconnect").
 */
export function socketCap(maxPerUser: number) {
  const open = new Map<string, number>();
  const gate = (socket: ChatSocket, next: (error?: ExtendedError) => void): void => {
    const userId = socket.data.user.id;
    const count = open.get(userId) ?? 0;
    if (count >= maxPerUser) {
      next(connectError("too_many_sockets"));
      return;
    }
    open.set(userId, count + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = (open.get(userId) ?? 1) - 1;
      if (left > 0) open.set(userId, left);
      else open.delete(userId);
    };
    socket.once("disconnect", release);
    socket.conn.once("close", release);
    next();
  };
  /** Sockets per user currently counted (tests). */
  gate.openSockets = (userId: string): number => open.get(userId) ?? 0;
  return gate;
}
