"use client";

import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import type { ChatMessage, ConversationStatus, InboxEntry } from "@ems/contracts/socket";
import { socketRequest } from "~/lib/socket.ts";
import { useOnConnect, useRealtime, useRealtimeEvent } from "../realtime/realtime-provider.tsx";
import { mergeMessages } from "../chat/messages.ts";
import { replaceStatus, unreadInOpenConversations, upsertEntry } from "../chat/inbox-filters.ts";
import { errorMessage } from "../format.ts";

/** Newest conversations of each status listed (the open ones always; the resolved ones once asked for). */
const INBOX_LIMIT = 200;
const CONVERSATION_PAGE = 100;
const TYPING_NOTICE_MS = 6_000;

export interface OpenConversation {
  clientId: string;
  messages: ChatMessage[];
  loading: boolean;
  error: string | null;
}

interface InboxValue {
  /** The signed-in administrator (their own replies are shown as "You"). */
  viewerId: string;
  /** Open conversations, and resolved ones once `showStatus("resolved")` was called. */
  entries: InboxEntry[];
  /** Statuses whose conversations have been listed (a reconnect lists them again, keeping these meanwhile). */
  loaded: ReadonlySet<ConversationStatus>;
  loadError: string | null;
  /** Unread messages in open conversations, for this administrator. */
  totalUnread: number;
  conversation: OpenConversation | null;
  /** Clients typing to the administrators right now: clientId → username. */
  typing: ReadonlyMap<string, string>;
  /** Lists the conversations of `status` too (kept live from then on). */
  showStatus: (status: ConversationStatus) => void;
  open: (clientId: string) => void;
  close: () => void;
  reply: (body: string) => Promise<void>;
  setTyping: (typing: boolean) => void;
  /** Changes the open conversation; rejects with the server's reason (e.g. another administrator has it). */
  change: (change: ConversationChange) => Promise<void>;
}

/** What an administrator can do to a conversation: claim it (`takeOver`: from another administrator), and so on. */
export type ConversationChange = "claim" | "takeOver" | "unassign" | "resolve" | "reopen";

const CHANGE_EVENTS = {
  claim: "chat:claim",
  takeOver: "chat:claim",
  unassign: "chat:unassign",
  resolve: "chat:resolve",
  reopen: "chat:reopen",
} as const satisfies Record<ConversationChange, string>;

const InboxContext = createContext<InboxValue | null>(null);

/**
 * The administrators' chat inbox, kept live for the whole console (the navigation shows the unread
 * count on every page): conversations with their status, assignee and this administrator's unread
 * counts, the conversation being read, and who is typing. Opening a conversation marks it read for
 * this administrator.
 */
export function AdminInboxProvider({ viewerId, children }: { viewerId: string; children: ReactNode }) {
  const { socket } = useRealtime();
  const [entries, setEntries] = useState<InboxEntry[]>([]);
  const [loaded, setLoaded] = useState<ReadonlySet<ConversationStatus>>(new Set());
  // Statuses to list again after a reconnect (a ref: the connect handler must see the latest).
  const wanted = useRef(new Set<ConversationStatus>(["open"]));
  const [loadError, setLoadError] = useState<string | null>(null);
  const [conversation, setConversation] = useState<OpenConversation | null>(null);
  const [typing, setTypingMap] = useState<ReadonlyMap<string, string>>(new Map());
  const typingTimers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const openClientId = conversation?.clientId ?? null;

  const load = useCallback(async (clientId: string) => {
    if (!socket) return;
    try {
      const opened = await socketRequest(socket, "chat:open", { clientId, limit: CONVERSATION_PAGE });
      if (opened.entry) setEntries((current) => upsertEntry(current, opened.entry as InboxEntry));
      setConversation((current) =>
        current?.clientId === clientId ? { clientId, messages: mergeMessages(current.messages, opened.messages), loading: false, error: null } : current,
      );
    } catch (error) {
      setConversation((current) => (current?.clientId === clientId ? { ...current, loading: false, error: errorMessage(error) } : current));
    }
  }, [socket]);

  const list = useCallback(
    (status: ConversationStatus) => {
      if (!socket) return;
      socketRequest(socket, "chat:inbox", { limit: INBOX_LIMIT, status }).then(
        ({ conversations }) => {
          setEntries((current) => replaceStatus(current, status, conversations));
          setLoaded((current) => new Set(current).add(status));
          setLoadError(null);
        },
        (error: unknown) => setLoadError(errorMessage(error)),
      );
    },
    [socket],
  );

  useOnConnect(() => {
    for (const status of wanted.current) list(status);
    // Catch up on the open conversation after a reconnect.
    if (openClientId) void load(openClientId);
  });

  const showStatus = useCallback(
    (status: ConversationStatus) => {
      if (wanted.current.has(status)) return;
      wanted.current.add(status);
      list(status);
    },
    [list],
  );

  useRealtimeEvent("chat:inbox", (entry) => {
    setEntries((current) => upsertEntry(current, entry));
    if (entry.clientId !== openClientId) return;
    // Replies by other administrators reach this one only as the conversation's new last message.
    setConversation((current) => (current ? { ...current, messages: mergeMessages(current.messages, [entry.lastMessage]) } : current));
    // The conversation is on screen, so what the client wrote has been read. Reacting to the inbox
    // row (which follows each client message) rather than to the message settles on "read" whatever
    // order the two arrive in.
    if (entry.unread > 0 && socket && document.visibilityState === "visible") {
      void socketRequest(socket, "chat:open", { clientId: entry.clientId, limit: 1 }).catch(() => undefined);
    }
  });

  useRealtimeEvent("chat:message", (message) => {
    if (message.clientId !== openClientId) return;
    setConversation((current) => (current ? { ...current, messages: mergeMessages(current.messages, [message]) } : current));
  });

  useRealtimeEvent("chat:typing", (notice) => {
    if (notice.from !== "client") return;
    clearTimeout(typingTimers.current.get(notice.clientId));
    const update = (on: boolean) =>
      setTypingMap((current) => {
        const next = new Map(current);
        if (on) next.set(notice.clientId, notice.username);
        else next.delete(notice.clientId);
        return next;
      });
    update(notice.typing);
    if (notice.typing) typingTimers.current.set(notice.clientId, setTimeout(() => update(false), TYPING_NOTICE_MS));
  });

  // Back to a hidden tab with a conversation open: what arrived meanwhile has now been seen.
  const openUnread = entries.find((entry) => entry.clientId === openClientId)?.unread ?? 0;
  useEffect(() => {
    if (!socket || !openClientId || openUnread === 0) return;
    const markRead = () => {
      if (document.visibilityState === "visible") void socketRequest(socket, "chat:open", { clientId: openClientId, limit: 1 }).catch(() => undefined);
    };
    document.addEventListener("visibilitychange", markRead);
    return () => document.removeEventListener("visibilitychange", markRead);
  }, [socket, openClientId, openUnread]);

  useEffect(() => {
    const timers = typingTimers.current;
    return () => timers.forEach((timer) => clearTimeout(timer));
  }, []);

  const open = useCallback(
    (clientId: string) => {
      setConversation({ clientId, messages: [], loading: true, error: null });
      void load(clientId);
    },
    [load],
  );
  const close = useCallback(() => setConversation(null), []);

  const reply = useCallback(
    async (body: string) => {
      if (!socket || !openClientId) throw new Error("Open a conversation first");
      const { message } = await socketRequest(socket, "chat:reply", { clientId: openClientId, body });
      setConversation((current) => (current?.clientId === message.clientId ? { ...current, messages: mergeMessages(current.messages, [message]) } : current));
    },
    [socket, openClientId],
  );

  const setTyping = useCallback(
    (isTyping: boolean) => {
      if (openClientId) socket?.emit("chat:typing", { typing: isTyping, clientId: openClientId });
    },
    [socket, openClientId],
  );

  // The ack's row shows at once; every administrator (this one's other tabs too) gets it pushed.
  const change = useCallback(
    async (change: ConversationChange) => {
      if (!socket || !openClientId) throw new Error("Open a conversation first");
      const event = CHANGE_EVENTS[change];
      const { entry } = await (event === "chat:claim"
        ? socketRequest(socket, event, { clientId: openClientId, takeOver: change === "takeOver" })
        : socketRequest(socket, event, { clientId: openClientId }));
      setEntries((current) => upsertEntry(current, entry));
    },
    [socket, openClientId],
  );

  const totalUnread = unreadInOpenConversations(entries);
  return (
    <InboxContext.Provider
      value={{ viewerId, entries, loaded, loadError, totalUnread, conversation, typing, showStatus, open, close, reply, setTyping, change }}
    >
      {children}
    </InboxContext.Provider>
  );
}

export function useAdminInbox(): InboxValue {
  const value = useContext(InboxContext);
  if (!value) throw new Error("useAdminInbox must be used inside <AdminInboxProvider>");
  return value;
}
