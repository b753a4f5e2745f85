import { chatDb, Prisma } from "@ems/db/chat";
import type { ChatMessage, ChatMode, InboxEntry, MessageSource } from "@ems/contracts/socket";
import type { ChatTurn } from "./bot/bot.ts";

/** The signed-in user as the chat knows them (from the handshake token). */
export interface ChatUser {
  id: string;
  username: string;
}

export interface HistoryPage {
  before?: string | undefined;
  limit: number;
}

interface MessageRow {
  id: string;
  client_id: string;
  sender_id: string | null;
  source: MessageSource;
  mode: ChatMode;
  body: string;
  created_at: Date;
}

/** A message with its conversation's client and the administrators' unread count. */
interface ConversationRow extends MessageRow {
  client_username: string;
  unread: number;
}

/** A message just stored, with what its conversation's row in the administrators' inbox now shows. */
export interface StoredMessage {
  message: ChatMessage;
  username: string;
  /** Client messages in Admin mode that no administrator has read. */
  adminUnread: number;
}

const MESSAGE_COLUMNS = Prisma.sql`m.id, c.client_id, m.sender_id, m.source, m.mode, m.body, m.created_at`;

/** Unread for the administrators in conversation `c`: client messages in Admin mode after their read mark. */
const ADMIN_UNREAD = Prisma.sql`(
  SELECT count(*)::int FROM messages u
   WHERE u.conversation_id = c.id AND u.mode = 'admin' AND u.source = 'client'
     AND u.created_at > coalesce(
       (SELECT r.last_read_at FROM conversation_reads r WHERE r.conversation_id = c.id AND r.party = 'admins'),
       '-infinity'))`;

/** The client's existing conversation, its activity time updated (a CTE body for replies). */
function touchConversation(clientId: string): Prisma.Sql {
  return Prisma.sql`
    UPDATE conversations SET last_message_at = clock_timestamp()
     WHERE client_id = ${clientId}::uuid
    RETURNING id, client_id, client_username`;
}

/**
 * The chat database: one conversation per client (shared by all administrators), its messages, and how
 * far each side (the client, the administrators as one party) has read it. Statements are single SQL
 * round trips: a message is stored on every send, and the chat's latency budget is small.
 */
export class ChatStore {
  constructor(private readonly db = chatDb) {}

  /**
   * Stores a message the client wrote (creating their conversation with the first one), in one
   * statement that also returns what the administrators' inbox row now shows.
   */
  async addClientMessage(client: ChatUser, mode: ChatMode, body: string): Promise<StoredMessage> {
    const [row] = await this.db.$queryRaw<ConversationRow[]>`
      WITH c AS (
        INSERT INTO conversations (client_id, client_username) VALUES (${client.id}::uuid, ${client.username})
        ON CONFLICT (client_id) DO UPDATE
          SET client_username = EXCLUDED.client_username, last_message_at = clock_timestamp()
        RETURNING id, client_id, client_username
      ), m AS (
        INSERT INTO messages (conversation_id, sender_id, source, mode, body)
        SELECT c.id, ${client.id}::uuid, 'client', ${mode}::chat_mode, ${body} FROM c
        RETURNING id, sender_id, source, mode, body, created_at
      )
      -- The statement's snapshot predates the new message, so it is added to the count here.
      SELECT m.*, c.client_id, c.client_username, ${ADMIN_UNREAD} + (m.mode = 'admin')::int AS unread
        FROM c, m`;
    if (!row) throw new Error("storing a client message returned no row");
    return toStoredMessage(row);
  }

  /** Stores a bot reply, timed strictly after its question so that history always shows them in order. */
  async addBotReply(question: ChatMessage, source: "rule" | "ai" | "fallback", body: string): Promise<ChatMessage | null> {
    const [row] = await this.db.$queryRaw<ConversationRow[]>`
      WITH c AS (${touchConversation(question.clientId)}), m AS (
        INSERT INTO messages (conversation_id, sender_id, source, mode, body, created_at)
        SELECT c.id, NULL, ${source}::message_source, 'bot', ${body},
               GREATEST(clock_timestamp(), ${new Date(question.createdAt)}::timestamptz + interval '1 millisecond')
          FROM c
        RETURNING id, sender_id, source, mode, body, created_at
      )
      SELECT m.*, c.client_id, c.client_username, 0 AS unread FROM c, m`;
    return row ? toChatMessage(row) : null;
  }

  /**
   * Stores an administrator's reply and, in the same statement, marks the conversation read for the
   * administrators (answering means having read it). Null when that client has no conversation.
   */
  async addAdminReply(admin: ChatUser, clientId: string, body: string): Promise<StoredMessage | null> {
    const [row] = await this.db.$queryRaw<ConversationRow[]>`
      WITH c AS (${touchConversation(clientId)}), m AS (
        INSERT INTO messages (conversation_id, sender_id, source, mode, body)
        SELECT c.id, ${admin.id}::uuid, 'admin', 'admin', ${body} FROM c
        RETURNING id, sender_id, source, mode, body, created_at
      ), read AS (
        INSERT INTO conversation_reads (conversation_id, party, last_read_at)
        SELECT c.id, 'admins', m.created_at FROM c, m
        ON CONFLICT (conversation_id, party) DO UPDATE
          SET last_read_at = GREATEST(conversation_reads.last_read_at, EXCLUDED.last_read_at)
      )
      -- Everything up to the reply is read now; only a message racing with it could be newer.
      SELECT m.*, c.client_id, c.client_username, 0 AS unread FROM c, m`;
    return row ? toStoredMessage(row) : null;
  }

  /** The newest `limit` messages (older than `before`), returned oldest first. */
  async history(clientId: string, page: HistoryPage): Promise<ChatMessage[]> {
    const rows = await this.db.$queryRaw<MessageRow[]>`
      SELECT * FROM (
        SELECT ${MESSAGE_COLUMNS}
          FROM messages m JOIN conversations c ON c.id = m.conversation_id
         WHERE c.client_id = ${clientId}::uuid
           AND (${page.before ?? null}::timestamptz IS NULL OR m.created_at < ${page.before ?? null}::timestamptz)
         ORDER BY m.created_at DESC, m.id DESC
         LIMIT ${page.limit}
      ) page
      ORDER BY created_at, id`;
    return rows.map(toChatMessage);
  }

  /** The last Bot-mode turns before `before` (questions and rule/AI answers), oldest first, as AI context. */
  async botContext(clientId: string, before: string, turns: number): Promise<ChatTurn[]> {
    const rows = await this.db.$queryRaw<Pick<MessageRow, "source" | "body">[]>`
      SELECT source, body FROM (
        SELECT m.source, m.body, m.created_at, m.id
          FROM messages m JOIN conversations c ON c.id = m.conversation_id
         WHERE c.client_id = ${clientId}::uuid AND m.mode = 'bot' AND m.source IN ('client', 'rule', 'ai')
           AND m.created_at < ${before}::timestamptz
         ORDER BY m.created_at DESC, m.id DESC
         LIMIT ${turns}
      ) recent
      ORDER BY created_at, id`;
    return rows.map((row) => ({ role: row.source === "client" ? "user" : "assistant", content: row.body }));
  }

  /** Administrator replies the client has not read yet. */
  async clientUnread(clientId: string): Promise<number> {
    const [row] = await this.db.$queryRaw<{ unread: number }[]>`
      SELECT count(*)::int AS unread
        FROM conversations c
        JOIN messages m ON m.conversation_id = c.id
        LEFT JOIN conversation_reads r ON r.conversation_id = c.id AND r.party = 'client'
       WHERE c.client_id = ${clientId}::uuid AND m.source = 'admin'
         AND m.created_at > coalesce(r.last_read_at, '-infinity')`;
    return row?.unread ?? 0;
  }

  /**
   * Marks everything stored so far in the client's conversation as read by `party` (never moves the
   * mark backwards). Read the history after this call, so that nothing marked read goes unseen.
   */
  async markRead(clientId: string, party: "admins" | "client"): Promise<void> {
    await this.db.$executeRaw`
      INSERT INTO conversation_reads (conversation_id, party, last_read_at)
      SELECT c.id, ${party}::reader_party, max(m.created_at)
        FROM conversations c JOIN messages m ON m.conversation_id = c.id
       WHERE c.client_id = ${clientId}::uuid
       GROUP BY c.id
      ON CONFLICT (conversation_id, party) DO UPDATE
        SET last_read_at = GREATEST(conversation_reads.last_read_at, EXCLUDED.last_read_at)`;
  }

  /** The administrators' inbox: conversations with Admin-mode messages, latest activity first. */
  async inbox(limit: number): Promise<InboxEntry[]> {
    return this.inboxRows(Prisma.empty, limit);
  }

  /** One inbox row; null if the client never wrote in Admin mode. */
  async inboxEntry(clientId: string): Promise<InboxEntry | null> {
    const [entry] = await this.inboxRows(Prisma.sql`WHERE c.client_id = ${clientId}::uuid`, 1);
    return entry ?? null;
  }

  private async inboxRows(filter: Prisma.Sql, limit: number): Promise<InboxEntry[]> {
    const rows = await this.db.$queryRaw<ConversationRow[]>`
      SELECT ${MESSAGE_COLUMNS}, c.client_username, ${ADMIN_UNREAD} AS unread
        FROM conversations c
        CROSS JOIN LATERAL (
          SELECT id, sender_id, source, mode, body, created_at FROM messages
           WHERE conversation_id = c.id AND mode = 'admin'
           ORDER BY created_at DESC, id DESC
           LIMIT 1
        ) m
        ${filter}
       ORDER BY m.created_at DESC, c.client_id
       LIMIT ${limit}`;
    return rows.map((row) => ({
      clientId: row.client_id,
      username: row.client_username,
      lastMessage: toChatMessage(row),
      unread: row.unread,
    }));
  }
}

function toStoredMessage(row: ConversationRow): StoredMessage {
  return { message: toChatMessage(row), username: row.client_username, adminUnread: row.unread };
}

function toChatMessage(row: MessageRow): ChatMessage {
  return {
    id: row.id,
    clientId: row.client_id,
    senderId: row.sender_id,
    source: row.source,
    mode: row.mode,
    body: row.body,
    createdAt: row.created_at.toISOString(),
  };
}
