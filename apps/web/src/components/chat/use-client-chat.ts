"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import type { ChatMessage, ChatMode } from "@ems/contracts/socket";
import { socketRequest } from "~/lib/socket.ts";
import { useOnConnect, useRealtime, useRealtimeEvent } from "../realtime/realtime-provider.tsx";
import { errorMessage } from "../format.ts";
import { mergeMessages } from "./messages.ts";

const HISTORY_PAGE = 50;
/** Typing notices are repeated while typing lasts; one that is not renewed expires. */
const TYPING_NOTICE_MS = 6_000;
/** How long "the bot is answering" is shown at most (the AI's own timeout is shorter). */
const BOT_REPLY_WAIT_MS = 20_000;

export interface ClientChat {
  messages: ChatMessage[];
  /** History loaded at least once since the page opened. */
  loaded: boolean;
  loadError: string | null;
  /** Administrator replies not yet read. */
  unread: number;
  /** The administrator's name while they type a reply. */
  adminTyping: string | null;
  /** A Bot-mode question is waiting for its answer. */
  botAnswering: boolean;
  send: (mode: ChatMode, body: string) => Promise<void>;
  /** Passes the conversation to the administrators from a bot reply that offers it (`offersHandoff`). */
  handoff: (offer: ChatMessage) => Promise<void>;
  setTyping: (typing: boolean) => void;
}

/**
 * The client's side of the support chat: history (reloaded on every reconnect, so nothing written
 * meanwhile is missed), live messages, unread administrator replies (marked read while `visible`),
 * and typing notices.
 */
export function useClientChat(visible: boolean): ClientChat {
  const { socket } = useRealtime();
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [unread, setUnread] = useState(0);
  const [adminTyping, setAdminTyping] = useState<string | null>(null);
  const [botAnswering, setBotAnswering] = useState(false);
  const typingExpiry = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const botWait = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useOnConnect((connected) => {
    socketRequest(connected, "chat:history", { limit: HISTORY_PAGE }).then(
      (history) => {
        setMessages((current) => mergeMessages(current, history.messages));
        setUnread(history.unread);
        setLoaded(true);
        setLoadError(null);
      },
      (error: unknown) => setLoadError(errorMessage(error)),
    );
  });

  useRealtimeEvent("chat:message", (message) => {
    setMessages((current) => mergeMessages(current, [message]));
    if (message.source === "rule" || message.source === "ai" || message.source === "fallback") {
      clearTimeout(botWait.current);
      setBotAnswering(false);
    }
    if (message.source === "admin") {
      clearTimeout(typingExpiry.current);
      setAdminTyping(null);
      setUnread((count) => count + 1);
    }
  });

  useRealtimeEvent("chat:typing", (notice) => {
    if (notice.from !== "admin") return;
    clearTimeout(typingExpiry.current);
    setAdminTyping(notice.typing ? notice.username : null);
    if (notice.typing) typingExpiry.current = setTimeout(() => setAdminTyping(null), TYPING_NOTICE_MS);
  });

  // Replies count as read once the conversation is on screen.
  useEffect(() => {
    if (!visible || unread === 0 || !socket?.connected) return;
    socketRequest(socket, "chat:read", {}).then(
      (result) => setUnread(result.unread),
      () => undefined, // Retried the next time the widget opens or a reply arrives.
    );
  }, [visible, unread, socket]);

  useEffect(
    () => () => {
      clearTimeout(typingExpiry.current);
      clearTimeout(botWait.current);
    },
    [],
  );

  const send = useCallback(
    async (mode: ChatMode, body: string) => {
      if (!socket) throw new Error("Not connected to the chat server yet");
      const { message } = await socketRequest(socket, "chat:send", { mode, body });
      setMessages((current) => mergeMessages(current, [message]));
      if (mode === "bot") {
        setBotAnswering(true);
        clearTimeout(botWait.current);
        botWait.current = setTimeout(() => setBotAnswering(false), BOT_REPLY_WAIT_MS);
      }
    },
    [socket],
  );

  const handoff = useCallback(
    async (offer: ChatMessage) => {
      if (!socket) throw new Error("Not connected to the chat server yet");
      const { message } = await socketRequest(socket, "chat:handoff", { messageId: offer.id });
      setMessages((current) => mergeMessages(current, [message]));
    },
    [socket],
  );

  const setTyping = useCallback((typing: boolean) => socket?.emit("chat:typing", { typing }), [socket]);

  return { messages, loaded, loadError, unread, adminTyping, botAnswering, send, handoff, setTyping };
}
