import { chatDb, Prisma } from "@ems/db/chat";
import type { ChatMessage, ChatMode, ConversationStatus, InboxEntry, MessageSource } from "@ems/contracts/socket";
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

/** A message (the conversation's latest to or from the administrators) with its conversation's inbox fields. */
interface ConversationRow extends MessageRow {
  client_username: string;
  status: ConversationStatus;
  assignee_id: string | null;
  assignee_username: string | null;
  unread: number;
}

/** The same for every administrator at once: `unread` for those without a read position of their own. */
interface SharedConversationRow extends ConversationRow {
  unread_by_admin: Record<string, number>;
}

/**
 * A conversation's inbox row as every administrator now sees it. Unread counts are per administrator,
 * so the row carries the count of those who never read it and each other one's own (`entryFor`).
 */
export interface InboxUpdate {
  /** The row for an administrator who has not read the conversation. */
  entry: InboxEntry;
  /** Administrators who have read the conversation → their unread count. */
  unreadByAdmin: Record<string, number>;
}

/** The row as administrator `adminId` sees it. */
export function entryFor({ entry, unreadByAdmin }: InboxUpdate, adminId: string): InboxEntry {
  return { ...entry, unread: unreadByAdmin[adminId] ?? entry.unread };
}

/** A message just stored, with its conversation's inbox row now. */
export interface StoredMessage {
  message: ChatMessage;
  inbox: InboxUpdate;
}

const MESSAGE_COLUMNS = Prisma.sql`m.id, c.client_id, m.sender_id, m.source, m.mode, m.body, m.created_at`;
/** What a CTE `c` over conversations returns for the inbox row. */
const CONVERSATION_COLUMNS = Prisma.sql`id, client_id, client_username, status, assignee_id, assignee_username`;
const CONVERSATION_ROW_COLUMNS = Prisma.sql`c.client_username, c.status, c.assignee_id, c.assignee_username`;

/** The latest Admin-mode message of conversation `c` (the one its inbox row shows). */
const LAST_ADMIN_MODE_MESSAGE = Prisma.sql`
  SELECT id, sender_id, source, mode, body, created_at FROM messages
   WHERE conversation_id = c.id AND mode = 'admin'
   ORDER BY created_at DESC, id DESC
   LIMIT 1`;

/**
 * Where every administrator had read conversation `c` to before each had a read position of their own
 * (the shared 'admins' mark, no longer written): a floor under each one's position.
 */
const ADMINS_FLOOR = Prisma.sql`(SELECT r.last_read_at FROM conversation_reads r WHERE r.conversation_id = c.id AND r.party = 'admins')`;

/** The client's Admin-mode messages in conversation `c` after `mark` (NULL: all of them). */
const clientMessagesAfter = (mark: Prisma.Sql) => Prisma.sql`(
  SELECT count(*)::int FROM messages u
   WHERE u.conversation_id = c.id AND u.mode = 'admin' AND u.source = 'client'
     AND u.created_at > coalesce(${mark}, '-infinity'))`;

/** Unread in conversation `c` for an administrator who never read it. */
const UNREAD_WITHOUT_OWN_MARK = clientMessagesAfter(ADMINS_FLOOR);

/** Unread in conversation `c` for administrator `adminId` (GREATEST ignores a missing position). */
const unreadFor = (adminId: string) =>
  clientMessagesAfter(Prisma.sql`GREATEST(
    (SELECT a.last_read_at FROM conversation_admin_reads a WHERE a.conversation_id = c.id AND a.admin_id = ${adminId}::uuid),
    ${ADMINS_FLOOR})`);

/**
 * Each administrator who read conversation `c` → their unread count plus `added` (a message this very
 * statement stores, which its snapshot does not see), as a JSON object.
 */
const unreadByAdmin = (added: Prisma.Sql) => Prisma.sql`(
  SELECT coalesce(jsonb_object_agg(a.admin_id, ${clientMessagesAfter(Prisma.sql`GREATEST(a.last_read_at, ${ADMINS_FLOOR})`)} + ${added}), '{}')
    FROM conversation_admin_reads a WHERE a.conversation_id = c.id)`;

/** The conversation of `clientId` and the time of its latest message (no row if it has none). */
const latestMessageOf = (clientId: string) => Prisma.sql`
  SELECT c.id, max(m.created_at) AS at
    FROM conversations c JOIN messages m ON m.conversation_id = c.id
   WHERE c.client_id = ${clientId}::uuid
   GROUP BY c.id`;

/**
 * The chat database: one conversation per client (shared by all administrators), its messages, its
 * status and assignee, and how far each side (the client, each administrator) has read it. Statements
 * are single SQL round trips: a message is stored on every send, and the chat's latency budget is small.
 */
export class ChatStore {
  constructor(private readonly db = chatDb) {}

  /**
   * Stores a message the client wrote (creating their conversation with the first one; an Admin-mode
   * one re-opens it if it was resolved), in one statement that also returns the inbox row.
   */
  async addClientMessage(client: ChatUser, mode: ChatMode, body: string): Promise<StoredMessage> {
    const [row] = await this.db.$queryRaw<SharedConversationRow[]>`
      WITH c AS (
        INSERT INTO conversations (client_id, client_username) VALUES (${client.id}::uuid, ${client.username})
        ON CONFLICT (client_id) DO UPDATE
          SET client_username = EXCLUDED.client_username, last_message_at = clock_timestamp(),
              status = CASE WHEN ${mode}::chat_mode = 'admin' THEN 'open' ELSE conversations.status END
        RETURNING ${CONVERSATION_COLUMNS}
      ), m AS (
        INSERT INTO messages (conversation_id, sender_id, source, mode, body)
        SELECT c.id, ${client.id}::uuid, 'client', ${mode}::chat_mode, ${body} FROM c
        RETURNING id, sender_id, source, mode, body, created_at
      )
      -- The statement's snapshot predates the new message, so it is added to the counts here.
      SELECT m.*, c.client_id, ${CONVERSATION_ROW_COLUMNS},
             ${UNREAD_WITHOUT_OWN_MARK} + (m.mode = 'admin')::int AS unread,
             ${unreadByAdmin(Prisma.sql`(m.mode = 'admin')::int`)} AS unread_by_admin
        FROM c, m`;
    if (!row) throw new Error("storing a client message returned no row");
    return { message: toChatMessage(row), inbox: toInboxUpdate(row) };
  }

  /** Stores a bot reply, timed strictly after its question so that history always shows them in order. */
  async addBotReply(question: ChatMessage, source: "rule" | "ai" | "fallback", body: string): Promise<ChatMessage | null> {
    const [row] = await this.db.$queryRaw<MessageRow[]>`
      WITH c AS (
        UPDATE conversations SET last_message_at = clock_timestamp()
         WHERE client_id = ${question.clientId}::uuid
        RETURNING id, client_id
      ), m AS (
        INSERT INTO messages (conversation_id, sender_id, source, mode, body, created_at)
        SELECT c.id, NULL, ${source}::message_source, 'bot', ${body},
               GREATEST(clock_timestamp(), ${new Date(question.createdAt)}::timestamptz + interval '1 millisecond')
          FROM c
        RETURNING id, sender_id, source, mode, body, created_at
      )
      SELECT m.*, c.client_id FROM c, m`;
    return row ? toChatMessage(row) : null;
  }

  /**
   * Stores an administrator's reply and, in the same statement, moves their read position to it
   * (answering means having read it) and assigns them the conversation if nobody has it (so that two
   * administrators do not answer the same client). Null when that client has no conversation.
   */
  async addAdminReply(admin: ChatUser, clientId: string, body: string): Promise<StoredMessage | null> {
    const [row] = await this.db.$queryRaw<SharedConversationRow[]>`
      WITH c AS (
        UPDATE conversations
           SET last_message_at = clock_timestamp(),
               assignee_id = coalesce(assignee_id, ${admin.id}::uuid),
               assignee_username = CASE WHEN assignee_id IS NULL THEN ${admin.username} ELSE assignee_username END
         WHERE client_id = ${clientId}::uuid
        RETURNING ${CONVERSATION_COLUMNS}
      ), m AS (
        INSERT INTO messages (conversation_id, sender_id, source, mode, body)
        SELECT c.id, ${admin.id}::uuid, 'admin', 'admin', ${body} FROM c
        RETURNING id, sender_id, source, mode, body, created_at
      ), read AS (
        INSERT INTO conversation_admin_reads (conversation_id, admin_id, last_read_at)
        SELECT c.id, ${admin.id}::uuid, m.created_at FROM c, m
        ON CONFLICT (conversation_id, admin_id) DO UPDATE
          SET last_read_at = GREATEST(conversation_admin_reads.last_read_at, EXCLUDED.last_read_at)
      )
      -- The replier has read everything up to the reply (the snapshot does not see their new position).
      SELECT m.*, c.client_id, ${CONVERSATION_ROW_COLUMNS}, ${UNREAD_WITHOUT_OWN_MARK} AS unread,
             ${unreadByAdmin(Prisma.sql`0`)} || jsonb_build_object(${admin.id}::text, 0) AS unread_by_admin
        FROM c, m`;
    return row ? { message: toChatMessage(row), inbox: toInboxUpdate(row) } : null;
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
   * Marks everything stored so far in the client's conversation as read by the client (never moves the
   * mark backwards). Read the history after this call, so that nothing marked read goes unseen.
   */
  async markReadByClient(clientId: string): Promise<void> {
    await this.db.$executeRaw`
      INSERT INTO conversation_reads (conversation_id, party, last_read_at)
      SELECT id, 'client', at FROM (${latestMessageOf(clientId)}) latest
      ON CONFLICT (conversation_id, party) DO UPDATE
        SET last_read_at = GREATEST(conversation_reads.last_read_at, EXCLUDED.last_read_at)`;
  }

  /** The same for one administrator: the others keep their own positions. */
  async markReadByAdmin(clientId: string, adminId: string): Promise<void> {
    await this.db.$executeRaw`
      INSERT INTO conversation_admin_reads (conversation_id, admin_id, last_read_at)
      SELECT id, ${adminId}::uuid, at FROM (${latestMessageOf(clientId)}) latest
      ON CONFLICT (conversation_id, admin_id) DO UPDATE
        SET last_read_at = GREATEST(conversation_admin_reads.last_read_at, EXCLUDED.last_read_at)`;
  }

  /**
   * Administrator `adminId`'s inbox: conversations with Admin-mode messages (only those of `status` if
   * given), latest such message first, with that administrator's unread counts.
   */
  async inbox(adminId: string, { limit, status }: { limit: number; status?: ConversationStatus | undefined }): Promise<InboxEntry[]> {
    return this.inboxRows(adminId, status ? Prisma.sql`WHERE c.status = ${status}::conversation_status` : Prisma.empty, limit);
  }

  /** One inbox row as administrator `adminId` sees it; null if the client never wrote in Admin mode. */
  async inboxEntry(clientId: string, adminId: string): Promise<InboxEntry | null> {
    const [entry] = await this.inboxRows(adminId, Prisma.sql`WHERE c.client_id = ${clientId}::uuid`, 1);
    return entry ?? null;
  }

  /**
   * Assigns the conversation to `admin` unless another administrator has it (`takeOver`: whoever has
   * it). Null when refused, or when the client never wrote in Admin mode.
   */
  async claim(admin: ChatUser, clientId: string, takeOver: boolean): Promise<InboxUpdate | null> {
    return this.updateConversation(
      clientId,
      Prisma.sql`assignee_id = ${admin.id}::uuid, assignee_username = ${admin.username}`,
      Prisma.sql`(${takeOver}::boolean OR assignee_id IS NULL OR assignee_id = ${admin.id}::uuid)`,
    );
  }

  /** Releases `admin`'s claim (nothing to do if nobody has it). Null when another administrator has it, or no such conversation. */
  async unassign(admin: ChatUser, clientId: string): Promise<InboxUpdate | null> {
    return this.updateConversation(
      clientId,
      Prisma.sql`assignee_id = NULL, assignee_username = NULL`,
      Prisma.sql`(assignee_id IS NULL OR assignee_id = ${admin.id}::uuid)`,
    );
  }

  /** Resolves or re-opens the conversation. Null when the client never wrote in Admin mode. */
  async setStatus(clientId: string, status: ConversationStatus): Promise<InboxUpdate | null> {
    return this.updateConversation(clientId, Prisma.sql`status = ${status}::conversation_status`, Prisma.sql`TRUE`);
  }

  /**
   * Changes an inbox conversation where `allowed` holds (checked on the row as it is when locked, so
   * two concurrent claims cannot both succeed) and returns its row for every administrator.
   */
  private async updateConversation(clientId: string, changes: Prisma.Sql, allowed: Prisma.Sql): Promise<InboxUpdate | null> {
    const [row] = await this.db.$queryRaw<SharedConversationRow[]>`
      WITH c AS (
        UPDATE conversations SET ${changes}
         WHERE client_id = ${clientId}::uuid AND ${allowed}
           AND EXISTS (SELECT 1 FROM messages WHERE conversation_id = conversations.id AND mode = 'admin')
        RETURNING ${CONVERSATION_COLUMNS}
      )
      SELECT ${MESSAGE_COLUMNS}, ${CONVERSATION_ROW_COLUMNS},
             ${UNREAD_WITHOUT_OWN_MARK} AS unread, ${unreadByAdmin(Prisma.sql`0`)} AS unread_by_admin
        FROM c CROSS JOIN LATERAL (${LAST_ADMIN_MODE_MESSAGE}) m`;
    return row ? toInboxUpdate(row) : null;
  }

  private async inboxRows(adminId: string, filter: Prisma.Sql, limit: number): Promise<InboxEntry[]> {
    const rows = await this.db.$queryRaw<ConversationRow[]>`
      SELECT ${MESSAGE_COLUMNS}, ${CONVERSATION_ROW_COLUMNS}, ${unreadFor(adminId)} AS unread
        FROM conversations c
        CROSS JOIN LATERAL (${LAST_ADMIN_MODE_MESSAGE}) m
        ${filter}
       ORDER BY m.created_at DESC, c.client_id
       LIMIT ${limit}`;
    return rows.map(toInboxEntry);
  }
}

function toInboxEntry(row: ConversationRow): InboxEntry {
  return {
    clientId: row.client_id,
    username: row.client_username,
    lastMessage: toChatMessage(row),
    unread: row.unread,
    status: row.status,
    assignee: row.assignee_id !== null && row.assignee_username !== null ? { id: row.assignee_id, username: row.assignee_username } : null,
  };
}

function toInboxUpdate(row: SharedConversationRow): InboxUpdate {
  return { entry: toInboxEntry(row), unreadByAdmin: row.unread_by_admin };
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
