"use client";

import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { MESSAGE_BODY_MAX_LENGTH, messageBodySchema } from "@ems/contracts/socket";
import { Button } from "../ui/button.tsx";
import { errorMessage } from "../format.ts";

/** How long after the last keystroke "is typing" is withdrawn. */
const TYPING_IDLE_MS = 2_500;

interface ComposerProps {
  label: string;
  placeholder: string;
  /** Resolves once the server stored the message; a rejection keeps the text and shows why. */
  onSend: (body: string) => Promise<void>;
  onTyping?: (typing: boolean) => void;
  /** Why sending is not possible right now (e.g. reconnecting); typing stays possible. */
  blockedReason?: string | undefined;
  /** Put the caret in the box when it appears (the chat was just opened). */
  focusOnMount?: boolean;
}

/** The message box: Enter sends, Shift+Enter starts a new line; the text is kept if sending fails. */
export function Composer({ label, placeholder, onSend, onTyping, blockedReason, focusOnMount = false }: ComposerProps) {
  const id = useId();
  const textareaRef = useRef<HTMLTextAreaElement>(null);
  const [body, setBody] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const typingTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const typingSent = useRef(false);

  const stopTyping = () => {
    clearTimeout(typingTimer.current);
    if (typingSent.current) onTyping?.(false);
    typingSent.current = false;
  };
  // Withdraw "is typing" when the box goes away mid-sentence.
  const stopTypingRef = useRef(stopTyping);
  useEffect(() => {
    stopTypingRef.current = stopTyping;
  });
  useEffect(() => () => stopTypingRef.current(), []);
  useEffect(() => {
    if (focusOnMount) textareaRef.current?.focus();
  }, [focusOnMount]);

  const noteTyping = () => {
    if (!onTyping) return;
    if (!typingSent.current) onTyping(true);
    typingSent.current = true;
    clearTimeout(typingTimer.current);
    typingTimer.current = setTimeout(stopTyping, TYPING_IDLE_MS);
  };

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    if (sending || blockedReason) return;
    const parsed = messageBodySchema.safeParse(body);
    if (!parsed.success) {
      setError(parsed.error.issues[0]?.message ?? "Check the message");
      return;
    }
    setSending(true);
    setError(null);
    stopTyping();
    try {
      await onSend(parsed.data);
      setBody("");
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setSending(false);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void submit();
    }
  };

  const hintId = `${id}-hint`;
  return (
    <form onSubmit={(event) => void submit(event)} className="flex flex-col gap-1 border-t border-slate-200 p-3" noValidate>
      <label htmlFor={id} className="sr-only">
        {label}
      </label>
      <div className="flex items-end gap-2">
        <textarea
          ref={textareaRef}
          id={id}
          value={body}
          rows={2}
          maxLength={MESSAGE_BODY_MAX_LENGTH}
          placeholder={placeholder}
          aria-describedby={hintId}
          aria-invalid={Boolean(error)}
          onChange={(event) => {
            setBody(event.target.value);
            if (error) setError(null);
            if (event.target.value) noteTyping();
            else stopTyping();
          }}
          onBlur={stopTyping}
          onKeyDown={onKeyDown}
          className="min-h-10 flex-1 resize-none rounded-md border border-slate-300 px-3 py-2 text-sm focus:outline-2 focus:outline-offset-1 focus:outline-emerald-700 aria-[invalid=true]:border-red-600"
        />
        <Button type="submit" busy={sending} disabled={sending || Boolean(blockedReason)}>
          Send
        </Button>
      </div>
      <p id={hintId} className={`min-h-4 text-xs leading-4 ${error ? "text-red-700" : "text-slate-600"}`} role={error ? "alert" : undefined}>
        {error ?? blockedReason ?? "Enter to send, Shift+Enter for a new line"}
      </p>
    </form>
  );
}
