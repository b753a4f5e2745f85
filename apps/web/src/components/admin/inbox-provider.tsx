"use client";

import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import type { ChatMessage, InboxEntry } from "@ems/contracts/socket";
import { socketRequest } from "~/lib/socket.ts";
import { useOnConnect, useRealtime, useRealtimeEvent } from "../realtime/realtime-provider.tsx";
import { mergeMessages } from "../chat/messages.ts";
import { errorMessage } from "../format.ts";

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
  entries: InboxEntry[];
  loaded: boolean;
  loadError: string | null;
  totalUnread: number;
  conversation: OpenConversation | null;
  /** Clients typing to the administrators right now: clientId → username. */
  typing: ReadonlyMap<string, string>;
  open: (clientId: string) => void;
  close: () => void;
  reply: (body: string) => Promise<void>;
  setTyping: (typing: boolean) => void;
}

const InboxContext = createContext<InboxValue | null>(null);

function upsertEntry(entries: InboxEntry[], entry: InboxEntry): InboxEntry[] {
  return [entry, ...entries.filter((e) => e.clientId !== entry.clientId)].sort(
    (a, b) => Date.parse(b.lastMessage.createdAt) - Date.parse(a.lastMessage.createdAt),
  );
}

/**
 * The administrators' chat inbox, kept live for the whole console (the navigation shows the unread
 * count on every page): conversations with unread counts, the conversation being read, and who is
 * typing. Opening a conversation marks it read for every administrator.
 */
export function AdminInboxProvider({ viewerId, children }: { viewerId: string; children: ReactNode }) {
  const { socket } = useRealtime();
  const [entries, setEntries] = useState<InboxEntry[]>([]);
  const [loaded, setLoaded] = useState(false);
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

  useOnConnect((connected) => {
    socketRequest(connected, "chat:inbox", { limit: INBOX_LIMIT }).then(
      ({ conversations }) => {
        setEntries(conversations);
        setLoaded(true);
        setLoadError(null);
      },
      (error: unknown) => setLoadError(errorMessage(error)),
    );
    // Catch up on the open conversation after a reconnect.
    if (openClientId) void load(openClientId);
  });

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

  const totalUnread = entries.reduce((sum, entry) => sum + entry.unread, 0);
  return (
    <InboxContext.Provider value={{ viewerId, entries, loaded, loadError, totalUnread, conversation, typing, open, close, reply, setTyping }}>{children}</InboxContext.Provider>
  );
}

export function useAdminInbox(): InboxValue {
  const value = useContext(InboxContext);
  if (!value) throw new Error("useAdminInbox must be used inside <AdminInboxProvider>");
  return value;
}
