"use client";

import { useEffect } from "react";
import type { InboxEntry } from "@ems/contracts/socket";
import { useRealtime } from "../realtime/realtime-provider.tsx";
import { Composer } from "../chat/composer.tsx";
import { MessageList } from "../chat/message-list.tsx";
import { CountBadge, EmptyState, ErrorState, LoadingState } from "../ui/states.tsx";
import { formatMessageTime } from "../format.ts";
import { useAdminInbox } from "./inbox-provider.tsx";

/**
 * The administrators' inbox: every client who wrote in Admin mode, newest activity first, with unread
 * counts; the chosen conversation beside it (or instead of it on a phone) with a reply box.
 */
export function ChatInbox() {
  const inbox = useAdminInbox();
  const { close } = inbox;
  // Leaving the page closes the conversation, so that new messages count as unread again.
  useEffect(() => close, [close]);
  const openEntry = inbox.entries.find((entry) => entry.clientId === inbox.conversation?.clientId);

  return (
    <>
      <h1 className="text-2xl font-semibold">Chat inbox</h1>
      <div className="grid min-h-[28rem] flex-1 overflow-hidden rounded-xl border border-slate-200 bg-white lg:h-[calc(100dvh-12rem)] lg:grid-cols-[20rem_minmax(0,1fr)]">
        <section aria-labelledby="conversations-title" className={`flex min-h-0 flex-col border-slate-200 lg:border-r ${inbox.conversation ? "hidden lg:flex" : "flex"}`}>
          <h2 id="conversations-title" className="border-b border-slate-200 px-4 py-3 text-sm font-semibold text-slate-800">
            Conversations
          </h2>
          {inbox.loadError ? (
            <ErrorState title="The inbox could not be loaded" message={inbox.loadError} className="m-3" />
          ) : !inbox.loaded ? (
            <LoadingState label="Loading conversations…" className="py-8" />
          ) : inbox.entries.length === 0 ? (
            <EmptyState title="No conversations yet" className="m-3">
              Clients who write in Admin mode appear here.
            </EmptyState>
          ) : (
            <ul className="min-h-0 flex-1 divide-y divide-slate-100 overflow-y-auto">
              {inbox.entries.map((entry) => (
                <ConversationRow key={entry.clientId} entry={entry} current={entry.clientId === inbox.conversation?.clientId} typing={inbox.typing.has(entry.clientId)} onOpen={() => inbox.open(entry.clientId)} />
              ))}
            </ul>
          )}
        </section>
        {inbox.conversation ? (
          <ConversationView username={openEntry?.username ?? "Client"} />
        ) : (
          <div className="hidden items-center justify-center p-6 text-sm text-slate-600 lg:flex">Choose a conversation to read and reply.</div>
        )}
      </div>
    </>
  );
}

function ConversationRow({ entry, current, typing, onOpen }: { entry: InboxEntry; current: boolean; typing: boolean; onOpen: () => void }) {
  const preview = `${entry.lastMessage.source === "admin" ? "Admin: " : ""}${entry.lastMessage.body}`;
  return (
    <li>
      <button
        type="button"
        onClick={onOpen}
        aria-current={current ? "true" : undefined}
        className={`flex w-full flex-col gap-0.5 px-4 py-3 text-left focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-emerald-700 ${
          current ? "bg-emerald-50" : "hover:bg-slate-50"
        }`}
      >
        <span className="flex items-center justify-between gap-2">
          <span className={`truncate ${entry.unread > 0 ? "font-semibold text-slate-900" : "font-medium text-slate-800"}`}>{entry.username}</span>
          <span className="flex shrink-0 items-center gap-2">
            <time dateTime={entry.lastMessage.createdAt} className="text-xs text-slate-600">
              {formatMessageTime(entry.lastMessage.createdAt)}
            </time>
            <CountBadge count={entry.unread} label="unread" />
          </span>
        </span>
        <span className="truncate text-sm text-slate-700">{typing ? <em>typing…</em> : preview}</span>
      </button>
    </li>
  );
}

function ConversationView({ username }: { username: string }) {
  const inbox = useAdminInbox();
  const { state } = useRealtime();
  const conversation = inbox.conversation;
  if (!conversation) return null;
  const typing = inbox.typing.get(conversation.clientId);
  return (
    <section aria-label={`Conversation with ${username}`} className="flex min-h-[28rem] min-w-0 flex-col lg:min-h-0">
      <header className="flex items-center gap-3 border-b border-slate-200 px-3 py-2">
        <button
          type="button"
          onClick={inbox.close}
          className="rounded px-2 py-1 text-sm text-slate-700 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-emerald-700 lg:hidden"
        >
          <span aria-hidden>← </span>All conversations
        </button>
        <h2 className="truncate font-semibold">{username}</h2>
      </header>
      {conversation.loading ? (
        <LoadingState label="Loading the conversation…" className="flex-1" />
      ) : conversation.error ? (
        <ErrorState title="The conversation could not be loaded" message={conversation.error} onRetry={() => inbox.open(conversation.clientId)} className="m-3" />
      ) : (
        <MessageList messages={conversation.messages} isOwn={(message) => message.senderId === inbox.viewerId} clientName={username} empty="No messages yet." footer={typing ? `${typing} is typing…` : null} />
      )}
      {/* One box per conversation: a draft never goes to another client, and the caret is ready to reply. */}
      <Composer
        key={conversation.clientId}
        focusOnMount
        label={`Reply to ${username}`}
        placeholder={`Reply to ${username}…`}
        onSend={inbox.reply}
        onTyping={inbox.setTyping}
        blockedReason={state === "connected" ? undefined : "Reconnecting to the chat…"}
      />
    </section>
  );
}
