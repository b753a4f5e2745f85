"use client";

import { useEffect, useRef, type ReactNode } from "react";
import type { ChatMessage, MessageSource } from "@ems/contracts/socket";
import { formatMessageTime } from "../format.ts";

/** How each writer is marked: replies say whether a keyword rule, the AI or a person answered. */
const SOURCE_LABELS: Record<MessageSource, string> = {
  client: "Client",
  rule: "Rule",
  ai: "AI",
  fallback: "Bot",
  admin: "Admin",
};

const SOURCE_CHIP: Record<MessageSource, string> = {
  client: "bg-slate-200 text-slate-800",
  rule: "bg-sky-100 text-sky-900",
  ai: "bg-violet-100 text-violet-900",
  fallback: "bg-amber-100 text-amber-900",
  admin: "bg-emerald-100 text-emerald-900",
};

interface MessageListProps {
  messages: ChatMessage[];
  /** Which messages are the viewer's own (shown on the right as "You"). */
  isOwn: (message: ChatMessage) => boolean;
  /** The client's name, shown on their messages in the administrators' view. */
  clientName?: string;
  empty: ReactNode;
  /** A line under the last message (someone is typing); it keeps its height to avoid jumps. */
  footer?: ReactNode;
  /** Controls shown under a message (e.g. the handoff button under a bot reply that cannot help). */
  actionsFor?: (message: ChatMessage) => ReactNode;
}

/** A conversation, newest at the bottom, scrolled to the latest message as messages arrive. */
export function MessageList({ messages, isOwn, clientName, empty, footer, actionsFor }: MessageListProps) {
  const endRef = useRef<HTMLDivElement>(null);
  const lastId = messages.at(-1)?.id;
  useEffect(() => {
    endRef.current?.scrollIntoView({ block: "end" });
  }, [lastId, footer]);

  return (
    <div className="flex min-h-0 flex-1 flex-col overflow-y-auto px-3 py-3" tabIndex={0} role="region" aria-label="Messages">
      {messages.length === 0 ? (
        <div className="m-auto max-w-xs text-center text-sm text-slate-600">{empty}</div>
      ) : (
        // The log role sits on a wrapper: on the <ol> itself it would strip the items' list semantics.
        <div role="log" aria-live="polite" aria-relevant="additions">
          <ol className="flex flex-col gap-3">
            {messages.map((message) => {
              const own = isOwn(message);
              const author = own ? "You" : message.source === "client" ? (clientName ?? SOURCE_LABELS.client) : SOURCE_LABELS[message.source];
              return (
                <li key={message.id} className={`flex max-w-[85%] flex-col gap-1 ${own ? "items-end self-end" : "items-start self-start"}`} data-source={message.source}>
                  <div className={`rounded-2xl px-3 py-2 text-sm break-words whitespace-pre-wrap ${own ? "rounded-br-sm bg-emerald-700 text-white" : "rounded-bl-sm bg-slate-100 text-slate-900"}`}>
                    {message.body}
                  </div>
                  <div className="flex items-center gap-2 text-xs text-slate-600">
                    {own ? (
                      <span>You{message.source === "client" && message.mode === "admin" ? " → Admin" : ""}</span>
                    ) : (
                      <span className={`rounded px-1.5 py-0.5 font-medium ${SOURCE_CHIP[message.source]}`}>{author}</span>
                    )}
                    <time dateTime={message.createdAt}>{formatMessageTime(message.createdAt)}</time>
                  </div>
                  {actionsFor?.(message)}
                </li>
              );
            })}
          </ol>
        </div>
      )}
      <div ref={endRef} className="min-h-6 pt-2 text-xs text-slate-600 italic" aria-live="polite">
        {footer}
      </div>
    </div>
  );
}
