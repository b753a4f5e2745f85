"use client";

import { useId, useRef, useState } from "react";
import { offersHandoff, type ChatMessage, type ChatMode } from "@ems/contracts/socket";
import { ConnectionStatus } from "../realtime/connection-status.tsx";
import { useRealtime } from "../realtime/realtime-provider.tsx";
import { CountBadge, LoadingState } from "../ui/states.tsx";
import { Composer } from "./composer.tsx";
import { HandoffAction } from "./handoff-action.tsx";
import { MessageList } from "./message-list.tsx";
import { handedOverSince } from "./messages.ts";
import { useClientChat } from "./use-client-chat.ts";

const isClientMessage = (message: ChatMessage) => message.source === "client";

const MODES: { mode: ChatMode; label: string; hint: string }[] = [
  { mode: "bot", label: "Bot", hint: "Instant answers" },
  { mode: "admin", label: "Admin", hint: "A person replies" },
];

/**
 * The client's support chat: a button in the corner that opens a panel (full width on phones). Bot
 * mode asks the keyword rules and then the AI; Admin mode writes to the administrators. A bot reply that
 * cannot help offers a button that hands the conversation over to the administrators.
 */
export function ClientChat() {
  const [open, setOpen] = useState(false);
  const [mode, setMode] = useState<ChatMode>("bot");
  const chat = useClientChat(open);
  const { state } = useRealtime();
  const launcherRef = useRef<HTMLButtonElement>(null);
  const panelId = useId();
  const titleId = useId();

  const close = () => {
    setOpen(false);
    launcherRef.current?.focus();
  };

  const typingLine = chat.adminTyping
    ? `${chat.adminTyping} (Admin) is typing…`
    : chat.botAnswering
      ? "The bot is answering…"
      : null;
  const blockedReason = state === "connected" ? undefined : state === "signed-out" ? "You are signed out; sign in again to chat" : "Reconnecting to the chat…";

  return (
    <div className="pointer-events-none fixed inset-x-2 bottom-2 z-40 flex flex-col items-end gap-2 sm:inset-x-auto sm:right-4 sm:bottom-4">
      {open && (
        <section
          id={panelId}
          aria-labelledby={titleId}
          onKeyDown={(event) => {
            if (event.key === "Escape") close();
          }}
          className="pointer-events-auto flex h-[min(36rem,calc(100dvh-6rem))] w-full flex-col overflow-hidden rounded-xl border border-slate-200 bg-white shadow-2xl sm:w-96"
        >
          <header className="flex flex-col gap-2 border-b border-slate-200 px-3 py-2">
            <div className="flex items-center justify-between gap-2">
              <h2 id={titleId} className="font-semibold">
                Support chat
              </h2>
              <div className="flex items-center gap-2">
                <ConnectionStatus />
                <button
                  type="button"
                  onClick={close}
                  className="rounded p-1 text-slate-600 hover:bg-slate-100 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-emerald-700"
                  aria-label="Close the chat"
                >
                  <span aria-hidden className="block size-5 text-center leading-5">
                    ×
                  </span>
                </button>
              </div>
            </div>
            <fieldset className="flex items-center gap-2">
              <legend className="sr-only">Send messages to</legend>
              <span aria-hidden className="text-xs text-slate-600">
                Send to
              </span>
              <div className="inline-flex rounded-lg bg-slate-100 p-0.5">
                {MODES.map((option) => (
                  <label
                    key={option.mode}
                    className={`relative cursor-pointer rounded-md px-3 py-1 text-sm font-medium has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-emerald-700 ${
                      mode === option.mode ? "bg-white text-slate-900 shadow-sm" : "text-slate-700"
                    }`}
                    title={option.hint}
                  >
                    {/* Transparent over the whole label: the segment itself is the radio button. */}
                    <input
                      type="radio"
                      name={`${panelId}-mode`}
                      value={option.mode}
                      checked={mode === option.mode}
                      onChange={() => setMode(option.mode)}
                      className="absolute inset-0 cursor-pointer opacity-0"
                    />
                    {option.label}
                  </label>
                ))}
              </div>
              <span className="text-xs text-slate-600">{MODES.find((option) => option.mode === mode)?.hint}</span>
            </fieldset>
          </header>
          {!chat.loaded && !chat.loadError ? (
            <LoadingState label="Loading your conversation…" className="flex-1" />
          ) : (
            <MessageList
              messages={chat.messages}
              isOwn={isClientMessage}
              footer={typingLine}
              actionsFor={(message) =>
                offersHandoff(message) && (
                  <HandoffAction
                    handedOver={handedOverSince(chat.messages, message)}
                    onHandoff={async () => {
                      await chat.handoff(message);
                      // The conversation is with the administrators now: so is the composer.
                      setMode("admin");
                    }}
                  />
                )
              }
              empty={
                chat.loadError ?? (
                  <>
                    Ask about your consumption, limits or alerts — the bot answers at once. Switch to <strong>Admin</strong> to write to a person.
                  </>
                )
              }
            />
          )}
          <Composer
            label={mode === "bot" ? "Message to the bot" : "Message to the administrators"}
            placeholder={mode === "bot" ? "Ask the bot…" : "Write to an administrator…"}
            onSend={(body) => chat.send(mode, body)}
            onTyping={mode === "admin" ? chat.setTyping : undefined}
            blockedReason={blockedReason}
            focusOnMount
          />
        </section>
      )}
      <button
        ref={launcherRef}
        type="button"
        aria-expanded={open}
        aria-controls={open ? panelId : undefined}
        onClick={() => (open ? close() : setOpen(true))}
        className="pointer-events-auto inline-flex h-12 min-w-12 items-center justify-center gap-2 rounded-full bg-emerald-700 px-3.5 font-medium sm:px-5 text-white shadow-lg hover:bg-emerald-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700"
      >
        <ChatIcon />
        {/* Icon only on phones, where the button floats over the page. */}
        <span className="sr-only sm:not-sr-only">{open ? "Hide chat" : "Support chat"}</span>
        <CountBadge count={chat.unread} label="unread replies" />
      </button>
    </div>
  );
}

/** A speech bubble (inline SVG: emoji fonts are not guaranteed on every system). */
function ChatIcon() {
  return (
    <svg aria-hidden viewBox="0 0 24 24" className="size-5" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" strokeLinejoin="round">
      <path d="M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1 1 21 12Z" />
    </svg>
  );
}
