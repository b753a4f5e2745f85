import { useCallback, type KeyboardEvent } from "react";

const FOCUSABLE = [
  "a[href]",
  "button:not([disabled])",
  "input:not([disabled]):not([type='hidden'])",
  "select:not([disabled])",
  "textarea:not([disabled])",
  "[tabindex]:not([tabindex='-1'])",
].join(",");

/** The elements inside `container` that Tab can reach, in document order. */
export function focusableWithin(container: HTMLElement): HTMLElement[] {
  return [...container.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((element) => element.getClientRects().length > 0);
}

/**
 * A keydown handler that keeps Tab and Shift+Tab cycling inside the element it is attached to.
 * A modal <dialog> already makes the page behind it inert, but browsers let Tab leave for their own
 * toolbar; this keeps focus in the dialog, as WAI-ARIA's modal dialog pattern asks.
 */
export function useFocusTrap<T extends HTMLElement>(): (event: KeyboardEvent<T>) => void {
  return useCallback((event: KeyboardEvent<T>) => {
    if (event.key !== "Tab") return;
    const items = focusableWithin(event.currentTarget);
    const first = items[0];
    const last = items.at(-1);
    if (!first || !last) {
      event.preventDefault();
      return;
    }
    const active = document.activeElement;
    if (event.shiftKey && (active === first || !event.currentTarget.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !event.currentTarget.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  }, []);
}
