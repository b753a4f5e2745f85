"use client";

import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";

export type ToastTone = "info" | "success" | "error";

interface Toast {
  id: number;
  tone: ToastTone;
  title: string;
  description?: string | undefined;
}

type ShowToast = (toast: Omit<Toast, "id">) => void;

const ToastContext = createContext<ShowToast | null>(null);

const DISMISS_AFTER_MS: Record<ToastTone, number> = { info: 5_000, success: 4_000, error: 10_000 };

const TONE_CLASSES: Record<ToastTone, string> = {
  info: "border-slate-300 bg-white text-slate-900",
  success: "border-emerald-300 bg-emerald-50 text-emerald-950",
  error: "border-red-300 bg-red-50 text-red-950",
};

/**
 * Short notices in a corner (a saved change, a change that was rolled back). Errors are announced
 * assertively, the rest politely; each can be closed and disappears by itself.
 */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);

  const dismiss = useCallback((id: number) => setToasts((current) => current.filter((t) => t.id !== id)), []);
  const show = useCallback<ShowToast>(
    (toast) => {
      const id = nextId.current++;
      setToasts((current) => [...current.slice(-3), { ...toast, id }]);
      setTimeout(() => dismiss(id), DISMISS_AFTER_MS[toast.tone]);
    },
    [dismiss],
  );

  const value = useMemo(() => show, [show]);
  const errors = toasts.filter((t) => t.tone === "error");
  const notices = toasts.filter((t) => t.tone !== "error");
  return (
    <ToastContext.Provider value={value}>
      {children}
      {/* Bottom left: clear of the header's controls and of the chat button in the bottom-right corner. */}
      <div className="pointer-events-none fixed inset-x-0 bottom-20 z-50 flex flex-col items-center gap-2 px-2 sm:inset-x-auto sm:bottom-4 sm:left-4 sm:items-start">
        <ToastList toasts={errors} role="alert" onDismiss={dismiss} />
        <ToastList toasts={notices} role="status" onDismiss={dismiss} />
      </div>
    </ToastContext.Provider>
  );
}

function ToastList({ toasts, role, onDismiss }: { toasts: Toast[]; role: "alert" | "status"; onDismiss: (id: number) => void }) {
  return (
    // The live region wraps the list: a role on the <ul> itself would hide its items' list semantics.
    <div role={role} className="contents">
      <ul className="contents">
        {toasts.map((toast) => (
          <li
            key={toast.id}
            className={`pointer-events-auto flex w-full max-w-sm items-start gap-3 rounded-lg border px-4 py-3 shadow-lg ${TONE_CLASSES[toast.tone]}`}
          >
            <div className="min-w-0 flex-1">
              <p className="text-sm font-semibold">{toast.title}</p>
              {toast.description && <p className="mt-0.5 text-sm break-words">{toast.description}</p>}
            </div>
            <button
              type="button"
              onClick={() => onDismiss(toast.id)}
              className="-m-1 rounded p-1 text-current/70 hover:text-current focus-visible:outline-2 focus-visible:outline-current"
              aria-label="Dismiss notice"
            >
              <span aria-hidden>×</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function useToast(): ShowToast {
  const show = useContext(ToastContext);
  if (!show) throw new Error("useToast must be used inside <ToastProvider>");
  return show;
}
