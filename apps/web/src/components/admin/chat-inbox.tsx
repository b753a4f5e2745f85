"use client";

import { useEffect, useState } from "react";
import type { ConversationStatus, InboxEntry } from "@ems/contracts/socket";
import { useRealtime } from "../realtime/realtime-provider.tsx";
import { Composer } from "../chat/composer.tsx";
import { MessageList } from "../chat/message-list.tsx";
import { ASSIGNEE_FILTERS, STATUS_FILTERS, assigneeCounts, matchesFilter, type AssigneeFilter, type InboxFilter } from "../chat/inbox-filters.ts";
import { Button } from "../ui/button.tsx";
import { CountBadge, EmptyState, ErrorState, LoadingState } from "../ui/states.tsx";
import { useToast } from "../ui/toast.tsx";
import { errorMessage, formatMessageTime } from "../format.ts";
import { useAdminInbox, type ConversationChange } from "./inbox-provider.tsx";

const EMPTY_TITLES: Record<ConversationStatus, Record<AssigneeFilter, string>> = {
  open: { mine: "No open conversations assigned to you", unassigned: "No unassigned open conversations", all: "No open conversations" },
  resolved: { mine: "No resolved conversations assigned to you", unassigned: "No unassigned resolved conversations", all: "No resolved conversations" },
};

/**
 * The administrators' inbox: every client who wrote in Admin mode, newest activity first, with this
 * administrator's unread counts, status and assignee, filtered by assignee (mine / unassigned / all)
 * and status (open / resolved); the chosen conversation beside it (or instead of it on a phone) with
 * its claim and resolve actions and a reply box.
 */
export function ChatInbox() {
  const inbox = useAdminInbox();
  const { close, showStatus } = inbox;
  const [filter, setFilter] = useState<InboxFilter>({ assignee: "all", status: "open" });
  // Leaving the page closes the conversation, so that new messages count as unread again.
  useEffect(() => close, [close]);
  useEffect(() => showStatus(filter.status), [showStatus, filter.status]);
  const openEntry = inbox.entries.find((entry) => entry.clientId === inbox.conversation?.clientId);
  const shown = inbox.entries.filter((entry) => matchesFilter(entry, filter, inbox.viewerId));
  const counts = assigneeCounts(inbox.entries, filter.status, inbox.viewerId);

  return (
    <>
      <h1 className="text-2xl font-semibold">Chat inbox</h1>
      <div className="grid min-h-[28rem] flex-1 overflow-hidden rounded-xl border border-slate-200 bg-white lg:h-[calc(100dvh-12rem)] lg:grid-cols-[20rem_minmax(0,1fr)]">
        <section aria-labelledby="conversations-title" className={`flex min-h-0 flex-col border-slate-200 lg:border-r ${inbox.conversation ? "hidden lg:flex" : "flex"}`}>
          <h2 id="conversations-title" className="px-4 pt-3 text-sm font-semibold text-slate-800">
            Conversations
          </h2>
          <div className="flex flex-wrap gap-2 border-b border-slate-200 px-3 py-2">
            <FilterToggles
              label="Assignee"
              options={ASSIGNEE_FILTERS.map(({ value, label }) => ({ value, label, count: counts[value] }))}
              value={filter.assignee}
              onChange={(assignee) => setFilter((current) => ({ ...current, assignee }))}
            />
            <FilterToggles label="Status" options={STATUS_FILTERS} value={filter.status} onChange={(status) => setFilter((current) => ({ ...current, status }))} />
          </div>
          {inbox.loadError ? (
            <ErrorState title="The inbox could not be loaded" message={inbox.loadError} className="m-3" />
          ) : !inbox.loaded.has(filter.status) ? (
            <LoadingState label="Loading conversations…" className="py-8" />
          ) : shown.length === 0 ? (
            <EmptyState title={EMPTY_TITLES[filter.status][filter.assignee]} className="m-3">
              Clients who write in Admin mode appear here.
            </EmptyState>
          ) : (
            <ul className="min-h-0 flex-1 divide-y divide-slate-100 overflow-y-auto">
              {shown.map((entry) => (
                <ConversationRow
                  key={entry.clientId}
                  entry={entry}
                  viewerId={inbox.viewerId}
                  current={entry.clientId === inbox.conversation?.clientId}
                  typing={inbox.typing.has(entry.clientId)}
                  onOpen={() => inbox.open(entry.clientId)}
                />
              ))}
            </ul>
          )}
        </section>
        {inbox.conversation ? (
          <ConversationView username={openEntry?.username ?? "Client"} entry={openEntry} />
        ) : (
          <div className="hidden items-center justify-center p-6 text-sm text-slate-600 lg:flex">Choose a conversation to read and reply.</div>
        )}
      </div>
    </>
  );
}

/** One filter: toggle buttons (aria-pressed), one pressed at a time, with an optional count each. */
function FilterToggles<T extends string>({
  label,
  options,
  value,
  onChange,
}: {
  label: string;
  options: readonly { value: T; label: string; count?: number }[];
  value: T;
  onChange: (value: T) => void;
}) {
  return (
    <div role="group" aria-label={label} className="inline-flex rounded-md border border-slate-300 bg-white p-0.5">
      {options.map((option) => (
        <button
          key={option.value}
          type="button"
          aria-pressed={option.value === value}
          onClick={() => onChange(option.value)}
          className={`h-8 rounded px-2.5 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-emerald-700 ${
            option.value === value ? "bg-emerald-700 text-white" : "text-slate-800 hover:bg-slate-100"
          }`}
        >
          {option.label}
          {option.count !== undefined && <span className="ml-1 tabular-nums opacity-90">({option.count})</span>}
        </button>
      ))}
    </div>
  );
}

/** Who has the conversation, as this administrator reads it. */
function assigneeText(entry: InboxEntry, viewerId: string): string {
  if (!entry.assignee) return "Unassigned";
  return entry.assignee.id === viewerId ? "Assigned to you" : `Assigned to ${entry.assignee.username}`;
}

function StatusBadge({ status }: { status: ConversationStatus }) {
  return (
    <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${status === "open" ? "bg-emerald-100 text-emerald-900" : "bg-slate-200 text-slate-800"}`}>
      {status === "open" ? "Open" : "Resolved"}
    </span>
  );
}

function ConversationRow({ entry, viewerId, current, typing, onOpen }: { entry: InboxEntry; viewerId: string; current: boolean; typing: boolean; onOpen: () => void }) {
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
        <span className="flex items-center gap-2 text-xs text-slate-600">
          {entry.status === "resolved" && <StatusBadge status="resolved" />}
          <span className="truncate">{assigneeText(entry, viewerId)}</span>
        </span>
      </button>
    </li>
  );
}

/** The claim and resolve buttons for the open conversation, as its row now stands. */
function ConversationActions({ entry }: { entry: InboxEntry }) {
  const inbox = useAdminInbox();
  const toast = useToast();
  const [busy, setBusy] = useState<ConversationChange | null>(null);
  const run = (change: ConversationChange) => {
    setBusy(change);
    inbox.change(change).then(
      () => setBusy(null),
      (error: unknown) => {
        setBusy(null);
        toast({ tone: "error", title: "The conversation was not changed", description: errorMessage(error) });
      },
    );
  };
  const mine = entry.assignee?.id === inbox.viewerId;
  const claimAction: { change: ConversationChange; label: string } = !entry.assignee
    ? { change: "claim", label: "Assign to me" }
    : mine
      ? { change: "unassign", label: "Unassign" }
      : { change: "takeOver", label: "Take over" };
  const statusAction: { change: ConversationChange; label: string } = entry.status === "open" ? { change: "resolve", label: "Resolve" } : { change: "reopen", label: "Reopen" };
  return (
    <div className="flex flex-wrap gap-2">
      {/* Keyed by slot, not action: the button keeps focus when "Resolve" turns into "Reopen". */}
      {[
        { slot: "assignee", ...claimAction },
        { slot: "status", ...statusAction },
      ].map(({ slot, change, label }) => (
        <Button key={slot} variant={change === "resolve" ? "primary" : "secondary"} size="sm" busy={busy === change} disabled={busy !== null} onClick={() => run(change)}>
          {label}
        </Button>
      ))}
    </div>
  );
}

function ConversationView({ username, entry }: { username: string; entry: InboxEntry | undefined }) {
  const inbox = useAdminInbox();
  const { state } = useRealtime();
  const conversation = inbox.conversation;
  if (!conversation) return null;
  const typing = inbox.typing.get(conversation.clientId);
  return (
    <section aria-label={`Conversation with ${username}`} className="flex min-h-[28rem] min-w-0 flex-col lg:min-h-0">
      <header className="flex flex-wrap items-center gap-x-3 gap-y-2 border-b border-slate-200 px-3 py-2">
        <button
          type="button"
          onClick={inbox.close}
          className="rounded px-2 py-1 text-sm text-slate-700 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-emerald-700 lg:hidden"
        >
          <span aria-hidden>← </span>All conversations
        </button>
        <div className="flex min-w-0 flex-1 flex-col">
          <h2 className="truncate font-semibold">{username}</h2>
          {entry && (
            <p className="flex items-center gap-2 text-xs text-slate-600" aria-live="polite" data-testid="conversation-state">
              <StatusBadge status={entry.status} />
              <span className="truncate">{assigneeText(entry, inbox.viewerId)}</span>
            </p>
          )}
        </div>
        {entry && <ConversationActions entry={entry} />}
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
