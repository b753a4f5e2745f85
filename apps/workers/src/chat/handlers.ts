import type { z } from "zod";
import { isDatabaseUnavailable } from "@ems/db/unavailable";
import type { Logger } from "@ems/messaging";
import {
  ADMINS_ROOM,
  adminRoom,
  chatClaimSchema,
  chatConversationSchema,
  chatHandoffSchema,
  chatHistorySchema,
  chatInboxSchema,
  chatOpenSchema,
  chatReadSchema,
  chatReplySchema,
  chatSendSchema,
  chatTypingSchema,
  consumptionWatchSchema,
  userRoom,
  watchRoom,
  type AckResponse,
  type ChatMessage,
  type ClientToServerEvents,
  type SocketErrorCode,
} from "@ems/contracts/socket";
import type { SupportBot } from "./bot/bot.ts";
import { planHandoff } from "./bot/handoff.ts";
import type { SlidingWindowLimiter } from "./rate-limit.ts";
import { throttledWarning } from "./adapter-database.ts";
import { entryFor, type ChatStore, type InboxUpdate } from "./store.ts";
import type { ChatIo, ChatSocket } from "./types.ts";

/** What the handlers share within one chat server. */
export interface ChatContext {
  io: ChatIo;
  store: ChatStore;
  bot: SupportBot;
  /** Flood protection, per user: client messages and typing notices. */
  sendLimiter: SlidingWindowLimiter;
  typingLimiter: SlidingWindowLimiter;
  log: Logger;
  /** Keeps work that outlives an event (bot replies) so that shutdown can wait for it. */
  track(work: Promise<void>): void;
}

/** An expected refusal, answered as `{ error: { code, message } }`. */
export class ChatError extends Error {
  constructor(
    readonly code: Exclude<SocketErrorCode, "internal">,
    message: string,
  ) {
    super(message);
  }
}

/** What a client is told while the chat database is away (restarting, stopped): nothing was done, try again. */
export const UNAVAILABLE_MESSAGE = "The chat is temporarily unavailable; please try again in a moment";

/** One warning per logger (i.e. per server) and interval while the database is away, not one per event. */
const unavailableWarnings = new WeakMap<Logger, (message: string) => void>();

/** Earlier Bot-mode turns handed to the AI with a new question. */
const AI_CONTEXT_TURNS = 6;

const NOT_IN_INBOX = "This client has not written to the administrators yet";

/** A handoff is offered by one of the conversation's last this-many messages (older offers have scrolled away). */
const HANDOFF_WINDOW = 50;

type AckedEvent = {
  [E in keyof ClientToServerEvents]: Parameters<ClientToServerEvents[E]> extends [unknown, (response: never) => void] ? E : never;
}[keyof ClientToServerEvents];

type AckData<E extends AckedEvent> = Parameters<ClientToServerEvents[E]>[1] extends (response: AckResponse<infer T>) => void ? T : never;

type UntypedListener = (...args: unknown[]) => void;

/**
 * Registers an acknowledged event: validates the payload with `schema`, runs `handler`, and answers
 * `{data}` or `{error}`. Clients are untrusted, so the arguments are checked at run time whatever the
 * event map says: a missing ack callback or a malformed payload never throws.
 */
function onAcked<E extends AckedEvent, S extends z.ZodType>(
  socket: ChatSocket,
  event: E,
  schema: S,
  log: Logger,
  handler: (input: z.output<S>) => Promise<AckData<E>>,
): void {
  const listener: UntypedListener = (...args) => {
    const last = args.at(-1);
    const ack = typeof last === "function" ? (last as (response: AckResponse<AckData<E>>) => void) : undefined;
    const payload = args.length > (ack ? 1 : 0) ? args[0] : {};
    void respond(schema, payload, handler, log, event).then((response) => ack?.(response));
  };
  (socket as unknown as { on(event: string, listener: UntypedListener): void }).on(event, listener);
}

async function respond<S extends z.ZodType, T>(
  schema: S,
  payload: unknown,
  handler: (input: z.output<S>) => Promise<T>,
  log: Logger,
  event: string,
): Promise<AckResponse<T>> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    return { error: { code: "bad_request", message: `${where}${issue?.message ?? "invalid payload"}` } };
  }
  try {
    return { data: await handler(parsed.data) };
  } catch (error) {
    if (error instanceof ChatError) return { error: { code: error.code, message: error.message } };
    if (isDatabaseUnavailable(error)) {
      let warn = unavailableWarnings.get(log);
      if (!warn) unavailableWarnings.set(log, (warn = throttledWarning(log)));
      warn("chat database unavailable: refusing events with \"temporarily unavailable\" until it is back");
      return { error: { code: "internal", message: UNAVAILABLE_MESSAGE } };
    }
    log.error(`${event} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return { error: { code: "internal", message: "Something went wrong; please try again" } };
  }
}

/**
 * The chat protocol of one socket (see @ems/contracts/socket). Rooms are joined by the server only:
 * the user's own `user:{id}`, `admins` for administrators, and the `watch:{clientId}` an administrator
 * asks for (consumption:watch). Client events are refused for
 * administrators and vice versa, with `forbidden`.
 */
export function registerChatHandlers(socket: ChatSocket, ctx: ChatContext): void {
  const { io, store, bot, log } = ctx;
  const user = socket.data.user;
  const isAdmin = user.role === "admin";
  const requireClient = () => {
    if (isAdmin) throw new ChatError("forbidden", "Administrators answer with chat:reply");
  };
  const requireAdmin = () => {
    if (!isAdmin) throw new ChatError("forbidden", "Only administrators may do this");
  };

  /**
   * The administrators' side of a change: the conversation's new inbox row (which carries a new message
   * as lastMessage), one event per administrator, each with their own unread count. One broadcast per
   * distinct count rather than per administrator: the admins room without those whose count differs,
   * then those, grouped by count, through their own admin-only rooms.
   */
  const pushToAdmins = ({ entry, unreadByAdmin }: InboxUpdate) => {
    const roomsByCount = new Map<number, string[]>();
    for (const [adminId, unread] of Object.entries(unreadByAdmin)) {
      if (unread !== entry.unread) roomsByCount.set(unread, [...(roomsByCount.get(unread) ?? []), adminRoom(adminId)]);
    }
    io.to(ADMINS_ROOM).except([...roomsByCount.values()].flat()).emit("chat:inbox", entry);
    for (const [unread, rooms] of roomsByCount) io.to(rooms).emit("chat:inbox", { ...entry, unread });
  };

  /** An inbox change by this administrator: pushed to all of them; the ack carries their own row. */
  const changed = (update: InboxUpdate) => {
    pushToAdmins(update);
    return { entry: entryFor(update, user.id) };
  };

  /** Why a claim or unassign changed nothing: no such conversation, or another administrator has it. */
  const assigneeRefusal = async (clientId: string, advice: string) => {
    const current = await store.inboxEntry(clientId, user.id);
    if (!current) return new ChatError("not_found", NOT_IN_INBOX);
    const holder = current.assignee;
    if (!holder || holder.id === user.id) return new ChatError("conflict", "The conversation changed meanwhile; please try again");
    return new ChatError("conflict", `${holder.username} has claimed this conversation: ${advice}`);
  };

  const replyAsBot = async (question: ChatMessage) => {
    const asker = { id: user.id, timeZone: socket.data.timeZone };
    const reply = await bot.answer(asker, question.body, () => store.botContext(user.id, question.createdAt, AI_CONTEXT_TURNS));
    const stored = await store.addBotReply(question, reply.source, reply.body);
    if (stored) io.to(userRoom(user.id)).emit("chat:message", stored);
  };

  /** A client message to the administrators, delivered as an Admin-mode `chat:send` delivers it. */
  const sendToAdmins = async (body: string) => {
    const stored = await store.addClientMessage(user, "admin", body);
    socket.to(userRoom(user.id)).emit("chat:message", stored.message);
    pushToAdmins(stored.inbox);
    return stored.message;
  };

  onAcked(socket, "chat:send", chatSendSchema, log, async ({ mode, body }) => {
    requireClient();
    if (!ctx.sendLimiter.tryTake(user.id)) throw new ChatError("rate_limited", "Too many messages: wait a moment before sending more");
    if (mode === "admin") return { message: await sendToAdmins(body) };
    const { message } = await store.addClientMessage(user, mode, body);
    // The sending socket has the message in its ack; the user's other tabs get the event.
    socket.to(userRoom(user.id)).emit("chat:message", message);
    ctx.track(replyAsBot(message).catch((error: unknown) => log.error(`bot reply failed for user ${user.id}: ${String(error)}`)));
    return { message };
  });

  onAcked(socket, "chat:handoff", chatHandoffSchema, log, async ({ messageId }) => {
    requireClient();
    const plan = planHandoff(await store.history(user.id, { limit: HANDOFF_WINDOW }), messageId);
    if (plan.kind === "not_offered") {
      throw new ChatError("not_found", "That bot reply offers no handoff (or is too old): switch to Admin mode to write to an administrator");
    }
    if (plan.kind === "already_handed_over") return { message: plan.message };
    if (!ctx.sendLimiter.tryTake(user.id)) throw new ChatError("rate_limited", "Too many messages: wait a moment before sending more");
    return { message: await sendToAdmins(plan.body) };
  });

  onAcked(socket, "chat:history", chatHistorySchema, log, async (page) => {
    requireClient();
    const [messages, unread] = await Promise.all([store.history(user.id, page), store.clientUnread(user.id)]);
    return { messages, unread };
  });

  onAcked(socket, "chat:read", chatReadSchema, log, async () => {
    requireClient();
    await store.markReadByClient(user.id);
    return { unread: await store.clientUnread(user.id) };
  });

  onAcked(socket, "chat:inbox", chatInboxSchema, log, async (filter) => {
    requireAdmin();
    return { conversations: await store.inbox(user.id, filter) };
  });

  onAcked(socket, "chat:open", chatOpenSchema, log, async ({ clientId, before, limit }) => {
    requireAdmin();
    // Mark first, then read: everything marked read is in what this administrator is shown.
    await store.markReadByAdmin(clientId, user.id);
    const [messages, entry] = await Promise.all([store.history(clientId, { before, limit }), store.inboxEntry(clientId, user.id)]);
    if (!entry && messages.length === 0) throw new ChatError("not_found", "This client has not written yet");
    // Read by this administrator only: their other tabs update; the others keep their own counts.
    if (entry) io.to(adminRoom(user.id)).emit("chat:inbox", entry);
    return { entry, messages };
  });

  onAcked(socket, "chat:reply", chatReplySchema, log, async ({ clientId, body }) => {
    requireAdmin();
    const stored = await store.addAdminReply(user, clientId, body);
    if (!stored) throw new ChatError("not_found", "This client has not written yet");
    io.to(userRoom(clientId)).emit("chat:message", stored.message);
    // Every administrator sees the reply in the conversation's row (read by the replier).
    pushToAdmins(stored.inbox);
    return { message: stored.message };
  });

  onAcked(socket, "chat:claim", chatClaimSchema, log, async ({ clientId, takeOver }) => {
    requireAdmin();
    const update = await store.claim(user, clientId, takeOver);
    if (!update) throw await assigneeRefusal(clientId, "take it over to answer it yourself");
    return changed(update);
  });

  onAcked(socket, "chat:unassign", chatConversationSchema, log, async ({ clientId }) => {
    requireAdmin();
    const update = await store.unassign(user, clientId);
    if (!update) throw await assigneeRefusal(clientId, "only they can unassign it (or take it over first)");
    return changed(update);
  });

  for (const [event, status] of [
    ["chat:resolve", "resolved"],
    ["chat:reopen", "open"],
  ] as const) {
    onAcked(socket, event, chatConversationSchema, log, async ({ clientId }) => {
      requireAdmin();
      const update = await store.setStatus(clientId, status);
      if (!update) throw new ChatError("not_found", NOT_IN_INBOX);
      return changed(update);
    });
  }

  onAcked(socket, "consumption:watch", consumptionWatchSchema, log, async ({ userId }) => {
    requireAdmin();
    const watching = watchRoom("");
    for (const room of socket.rooms) if (room.startsWith(watching)) await socket.leave(room);
    if (userId) await socket.join(watchRoom(userId));
    return { userId };
  });

  socket.on("chat:typing", (payload: unknown) => {
    const parsed = chatTypingSchema.safeParse(payload);
    // Fire-and-forget event: a malformed or flooding one is simply not relayed.
    if (!parsed.success || !ctx.typingLimiter.tryTake(user.id)) return;
    const { typing, clientId } = parsed.data;
    if (isAdmin) {
      if (clientId) io.to(userRoom(clientId)).emit("chat:typing", { clientId, from: "admin", username: user.username, typing });
    } else {
      io.to(ADMINS_ROOM).emit("chat:typing", { clientId: user.id, from: "client", username: user.username, typing });
    }
  });
}
