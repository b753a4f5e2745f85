"use client";

import { useEffect, useId, useRef, type ReactNode } from "react";
import { useFocusTrap } from "~/hooks/use-focus-trap.ts";
import { Button } from "./button.tsx";

export interface ModalProps {
  open: boolean;
  /** Escape, the close button and the backdrop all call this; the caller owns `open`. */
  onClose: () => void;
  title: string;
  description?: ReactNode;
  /** "alertdialog" for urgent messages that need a response (the over-consumption alert). */
  role?: "dialog" | "alertdialog";
  tone?: "default" | "danger";
  children?: ReactNode;
  /** Extra classes for the panel (e.g. a width). */
  className?: string;
}

/**
 * A modal dialog on the native <dialog> element: showModal() makes the page behind it inert and puts
 * it in the top layer; Tab is kept inside, Escape and a click on the backdrop close it, and focus
 * returns to where it was. Mark the element that should get focus first with `data-autofocus`.
 */
export function Modal({ open, onClose, title, description, role = "dialog", tone = "default", children, className = "" }: ModalProps) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const trapFocus = useFocusTrap<HTMLDialogElement>();
  const titleId = useId();
  const descriptionId = useId();

  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
      // showModal() focuses the first focusable element; a child may ask for focus instead.
      dialog.querySelector<HTMLElement>("[data-autofocus]")?.focus();
      return () => {
        if (dialog.open) dialog.close();
        // The opener may have been re-rendered away; only refocus it if it is still in the page.
        if (opener?.isConnected) opener.focus();
      };
    }
  }, [open]);

  const danger = tone === "danger";
  return (
    <dialog
      ref={dialogRef}
      role={role}
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      onCancel={(event) => {
        // Escape: let React state decide, so the dialog and `open` never disagree.
        event.preventDefault();
        onClose();
      }}
      onClick={(event) => {
        if (event.target === event.currentTarget) onClose();
      }}
      onKeyDown={trapFocus}
      className={[
        "m-auto w-[min(32rem,calc(100vw-2rem))] max-h-[calc(100dvh-2rem)] overflow-y-auto rounded-xl p-0 shadow-2xl backdrop:bg-slate-900/60",
        danger ? "border-2 border-red-700 bg-red-50 text-red-950" : "border border-slate-200 bg-white text-slate-900",
        className,
      ].join(" ")}
    >
      {open && (
        <div className="flex flex-col gap-4 p-5 sm:p-6">
          <h2 id={titleId} className={`text-lg font-semibold ${danger ? "text-red-800" : ""}`}>
            {title}
          </h2>
          {description && (
            <div id={descriptionId} className={danger ? "text-red-950" : "text-slate-700"}>
              {description}
            </div>
          )}
          {children}
        </div>
      )}
    </dialog>
  );
}

/** A form dialog's buttons: Cancel and the submit button, stacked on phones with the action on top. */
export function FormDialogActions({ submitLabel, onCancel }: { submitLabel: string; onCancel: () => void }) {
  return (
    <div className="mt-2 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
      <Button variant="secondary" onClick={onCancel}>
        Cancel
      </Button>
      <Button type="submit">{submitLabel}</Button>
    </div>
  );
}
