import { z } from "zod";
import type { AlertCreated, ConsumptionUpdated, DeviceSilence } from "./notifications.ts";

/**
 * The Socket.IO protocol between the chat process and the web client: event names (`domain:action`),
 * payload schemas (the server validates every client payload with them) and the acknowledgement shape.
 * Use the two event maps as the generics of `Server` / `Socket` on both sides, e.g.
 * `io<ServerToClientEvents, ClientToServerEvents>(url, { path: SOCKET_PATH, auth: { token, timeZone } })`,
 * `timeZone` being the client's IANA zone (optional; UTC when absent or unknown: the bot's "yesterday" is in it).
 */

export const SOCKET_PATH = "/socket.io";

/** Socket.IO rooms (server-side only: clients never join rooms themselves). */
export const userRoom = (userId: string) => `user:${userId}`;
export const ADMINS_ROOM = "admins";
/**
 * One administrator's sockets (all their tabs), joined only by sockets whose role is admin: rows whose
 * unread count is that administrator's own go here. Not `user:{id}`, which a demoted administrator's
 * client sockets are in too.
 */
export const adminRoom = (adminId: string) => `admin:${adminId}`;
/**
 * Administrators' sockets watching one client's consumption (the console's view of that client): the
 * client's `consumption:updated` go here as well as to `user:{id}`. Joined through `consumption:watch`.
 */
export const watchRoom = (userId: string) => `watch:${userId}`;

// ---- payloads -------------------------------------------------------------------------------

export const MESSAGE_BODY_MAX_LENGTH = 2000;

export const messageBodySchema = z
  .string({ error: "body must be a string" })
  .trim()
  .min(1, { error: "message must not be empty" })
  .max(MESSAGE_BODY_MAX_LENGTH, { error: `message must be at most ${MESSAGE_BODY_MAX_LENGTH} characters` });

/** Bot: answered by keyword rules, then the AI. Admin: delivered to the admins' inbox. */
export const chatModeSchema = z.enum(["bot", "admin"]);
export type ChatMode = z.infer<typeof chatModeSchema>;

/** Who wrote a message: the client, a keyword rule, the AI, the fallback reply, or an administrator. */
export const messageSourceSchema = z.enum(["client", "rule", "ai", "fallback", "admin"]);
export type MessageSource = z.infer<typeof messageSourceSchema>;

const historyPageSchema = {
  /** Only messages strictly older than this instant (ISO-8601); the newest page when absent. */
  before: z.iso.datetime({ error: "before must be an ISO-8601 date-time" }).optional(),
  limit: z.number().int().min(1).max(200).default(50),
};

/** `chat:send` (client): a message in Bot or Admin mode. */
export const chatSendSchema = z.object({ mode: chatModeSchema, body: messageBodySchema });
/** `chat:typing`: clients send `{typing}`, admins `{typing, clientId}` (the conversation they type in). */
export const chatTypingSchema = z.object({ typing: z.boolean(), clientId: z.uuid().optional() });
/** `chat:history` (client): the caller's own conversation, newest page last. */
export const chatHistorySchema = z.object(historyPageSchema);
/** `chat:read` (client): marks the administrators' replies as read. */
export const chatReadSchema = z.object({});
/** A conversation is open until an administrator resolves it; the client writing to the administrators re-opens it. */
export const conversationStatusSchema = z.enum(["open", "resolved"]);
export type ConversationStatus = z.infer<typeof conversationStatusSchema>;

/** `chat:inbox` (admin): conversations in which the client wrote to the administrators (only those of `status` if given). */
export const chatInboxSchema = z.object({
  limit: z.number().int().min(1).max(500).default(100),
  status: conversationStatusSchema.optional(),
});
/** `chat:open` (admin): one client's conversation; marks it read for every administrator. */
export const chatOpenSchema = z.object({ clientId: z.uuid({ error: "clientId must be a UUID" }), ...historyPageSchema });
/** `chat:reply` (admin): a reply delivered to that client's room alone. */
export const chatReplySchema = z.object({ clientId: z.uuid({ error: "clientId must be a UUID" }), body: messageBodySchema });
/** `chat:unassign`, `chat:resolve`, `chat:reopen` (admin): the conversation of this client. */
export const chatConversationSchema = z.object({ clientId: z.uuid({ error: "clientId must be a UUID" }) });
/**
 * `chat:claim` (admin): assign the conversation to oneself. Refused with `conflict` while another
 * administrator has it, unless `takeOver`.
 */
export const chatClaimSchema = z.object({
  clientId: z.uuid({ error: "clientId must be a UUID" }),
  takeOver: z.boolean({ error: "takeOver must be a boolean" }).default(false),
});
/** `chat:handoff` (client): pass the conversation to the administrators from a bot reply that offers it. */
export const chatHandoffSchema = z.object({ messageId: z.uuid({ error: "messageId must be a UUID" }) });
/** A client's id to watch, or null to stop watching. */
export const consumptionWatchSchema = z.object({ userId: z.uuid({ error: "userId must be a UUID or null" }).nullable() });

export type ChatSendInput = z.input<typeof chatSendSchema>;
export type ChatTypingInput = z.input<typeof chatTypingSchema>;
export type ChatHistoryInput = z.input<typeof chatHistorySchema>;
export type ChatReadInput = z.input<typeof chatReadSchema>;
export type ChatInboxInput = z.input<typeof chatInboxSchema>;
export type ChatOpenInput = z.input<typeof chatOpenSchema>;
export type ChatReplyInput = z.input<typeof chatReplySchema>;
export type ChatHandoffInput = z.input<typeof chatHandoffSchema>;
export type ConsumptionWatchInput = z.input<typeof consumptionWatchSchema>;
export type ChatConversationInput = z.input<typeof chatConversationSchema>;
export type ChatClaimInput = z.input<typeof chatClaimSchema>;

// ---- what the server sends --------------------------------------------------------------------

export interface ChatMessage {
  id: string;
  /** The client whose conversation this is (every conversation belongs to one client). */
  clientId: string;
  /** The writer's user id: the client, the administrator; null for rule/ai/fallback replies. */
  senderId: string | null;
  source: MessageSource;
  mode: ChatMode;
  body: string;
  /** ISO-8601 UTC. */
  createdAt: string;
}

/**
 * Whether a message is the bot saying it cannot help (no AI, the AI failed or declined): such a reply
 * offers a one-click handoff to the administrators (`chat:handoff`).
 */
export const offersHandoff = (message: ChatMessage): boolean => message.mode === "bot" && message.source === "fallback";

/** The administrator a conversation is assigned to. */
export interface Assignee {
  id: string;
  /** Their username when they claimed it. */
  username: string;
}

/** One row of the administrators' inbox. Only administrators ever receive it. */
export interface InboxEntry {
  clientId: string;
  username: string;
  /** The latest message written to or by the administrators (Admin mode). */
  lastMessage: ChatMessage;
  /** Client messages in Admin mode that the receiving administrator has not read (each has their own). */
  unread: number;
  status: ConversationStatus;
  /** Who claimed the conversation; null: unassigned. */
  assignee: Assignee | null;
}

export interface ChatHistory {
  messages: ChatMessage[];
  /** Administrator replies the client has not marked read (`chat:read`). */
  unread: number;
}

export interface OpenedConversation {
  entry: InboxEntry | null;
  messages: ChatMessage[];
}

export interface TypingNotice {
  clientId: string;
  /** "client": the client types to the administrators; "admin": an administrator types to the client. */
  from: "client" | "admin";
  username: string;
  typing: boolean;
}

// ---- acknowledgements and errors -------------------------------------------------------------

/** `conflict`: the conversation is another administrator's (claim it with `takeOver`, or leave it to them). */
export const SOCKET_ERROR_CODES = ["bad_request", "forbidden", "not_found", "conflict", "rate_limited", "internal"] as const;
export type SocketErrorCode = (typeof SOCKET_ERROR_CODES)[number];
export interface SocketError {
  code: SocketErrorCode;
  message: string;
}

/** Every acknowledged event answers exactly one of these. */
export type AckResponse<T> = { data: T } | { error: SocketError };
export type Ack<T> = (response: AckResponse<T>) => void;

/**
 * Why a connection was refused: `connect_error`'s `message` is one of these codes and its `data` is
 * `{ code, message }`. On "token_expired" the client should fetch a fresh token and reconnect;
 * "token_revoked": the token was issued before the user's sessions ended (sign-out, password or role
 * change, deletion) — a fresh token is refused too unless the user signed in again; "unavailable": the
 * chat could not check the token against its database, try again shortly; "too_many_sockets": the user
 * already has the maximum of open sockets on this chat process (CHAT_MAX_SOCKETS_PER_USER): close one.
 * (A disallowed Origin is refused before Socket.IO runs: HTTP 403, seen as a transport error.)
 */
export const CONNECT_ERROR_CODES = [
  "token_missing",
  "token_invalid",
  "token_expired",
  "token_revoked",
  "unavailable",
  "too_many_sockets",
] as const;
export type ConnectErrorCode = (typeof CONNECT_ERROR_CODES)[number];

// ---- event maps ------------------------------------------------------------------------------

export interface ClientToServerEvents {
  /**
   * Client. Ack: the stored message (the sending socket renders it from the ack; the user's other
   * sockets get `chat:message`). Bot mode: the reply follows as `chat:message`. Admin mode: every
   * administrator gets the conversation's `chat:inbox` row carrying it.
   */
  "chat:send": (payload: ChatSendInput, ack: Ack<{ message: ChatMessage }>) => void;
  /** Client (to the administrators) or admin (to `clientId`). No ack. */
  "chat:typing": (payload: ChatTypingInput) => void;
  /** Client. */
  "chat:history": (payload: ChatHistoryInput, ack: Ack<ChatHistory>) => void;
  /** Client. */
  "chat:read": (payload: ChatReadInput, ack: Ack<{ unread: number }>) => void;
  /** Admin. Newest activity first. */
  "chat:inbox": (payload: ChatInboxInput, ack: Ack<{ conversations: InboxEntry[] }>) => void;
  /**
   * Admin. Marks the conversation read for this administrator (the others keep their own unread
   * counts) and pushes the row (unread 0) to this administrator's other tabs.
   */
  "chat:open": (payload: ChatOpenInput, ack: Ack<OpenedConversation>) => void;
  /**
   * Admin. Ack: the stored reply. It is pushed as `chat:message` to `user:{clientId}` — no other
   * client — and as that conversation's `chat:inbox` row to the administrators (unread 0 for the
   * replier, who has read it). Replying to an unassigned conversation claims it for the replier.
   */
  "chat:reply": (payload: ChatReplyInput, ack: Ack<{ message: ChatMessage }>) => void;
  /**
   * Admin. Assigns the conversation to the caller (`conflict` if another administrator has it and
   * `takeOver` is not set). Ack: the row; every administrator gets it as `chat:inbox`.
   */
  "chat:claim": (payload: ChatClaimInput, ack: Ack<{ entry: InboxEntry }>) => void;
  /** Admin. Releases the caller's claim (`conflict` if another administrator has it). Pushed like `chat:claim`. */
  "chat:unassign": (payload: ChatConversationInput, ack: Ack<{ entry: InboxEntry }>) => void;
  /** Admin, any of them. Marks the conversation resolved (the assignee stays). Pushed like `chat:claim`. */
  "chat:resolve": (payload: ChatConversationInput, ack: Ack<{ entry: InboxEntry }>) => void;
  /** Admin. Opens a resolved conversation again. Pushed like `chat:claim`. */
  "chat:reopen": (payload: ChatConversationInput, ack: Ack<{ entry: InboxEntry }>) => void;
  /**
   * Client, from a bot reply for which `offersHandoff` is true. Does what an Admin-mode `chat:send`
   * does with a message the server writes: the client's recent Bot-mode questions and answers, so the
   * administrators see what it is about. Ack: that message (the same one again if this reply was
   * already handed over); `not_found` if the reply is not among the conversation's recent messages or
   * offers no handoff.
   */
  "chat:handoff": (payload: ChatHandoffInput, ack: Ack<{ message: ChatMessage }>) => void;
  /**
   * Admin. This socket gets the `consumption:updated` events of client `userId` from now on (the
   * console's view of that client, live as the client's own dashboard), one client at a time: a new
   * watch replaces the previous one; `null` stops. For this connection only: watch again after a
   * reconnect. Ack: the client watched now.
   */
  "consumption:watch": (payload: ConsumptionWatchInput, ack: Ack<{ userId: string | null }>) => void;
}

export interface ServerToClientEvents {
  /**
   * To `user:{clientId}` only: the client's own messages (to their other sockets), rule/AI/fallback
   * replies and administrator replies. Administrators get conversation traffic as `chat:inbox`.
   */
  "chat:message": (message: ChatMessage) => void;
  "chat:typing": (notice: TypingNotice) => void;
  /**
   * To administrators only: a conversation changed. A client wrote in Admin mode (which re-opens a
   * resolved conversation) or an administrator replied (`lastMessage` is that message: append it to an
   * open conversation), claimed, unassigned, resolved or re-opened it, or this administrator opened it
   * in another tab (`unread` 0). Each row is complete and carries the receiving administrator's own
   * unread count, so it can replace the inbox row as it is.
   */
  "chat:inbox": (entry: InboxEntry) => void;
  /** To `user:{ownerId}`: one of the user's devices went over its hourly limit (show the red modal). */
  "alert:created": (alert: AlertCreated) => void;
  /**
   * To `user:{ownerId}` and to the administrators: a device stopped reporting (`state` "active") or
   * reported again ("cleared").
   */
  "alarm:silence": (alarm: DeviceSilence) => void;
  /** To `user:{ownerId}` and `watch:{ownerId}`: a device's running total for the current hour changed. */
  "consumption:updated": (update: ConsumptionUpdated) => void;
}
