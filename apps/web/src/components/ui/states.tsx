import type { ReactNode } from "react";
import { Button, Spinner } from "./button.tsx";

/** A placeholder with the size of what is loading, so nothing jumps when it arrives. */
export function Skeleton({ className = "" }: { className?: string }) {
  return <div aria-hidden className={`animate-pulse rounded-md bg-slate-200 ${className}`} />;
}

export function LoadingState({ label, className = "" }: { label: string; className?: string }) {
  return (
    <div className={`flex items-center justify-center gap-2 text-sm text-slate-600 ${className}`} role="status">
      <Spinner />
      {label}
    </div>
  );
}

export function EmptyState({ title, children, className = "" }: { title: string; children?: ReactNode; className?: string }) {
  return (
    <div className={`flex flex-col items-center justify-center gap-1 rounded-lg border border-dashed border-slate-300 px-4 py-8 text-center ${className}`}>
      <p className="font-medium text-slate-800">{title}</p>
      {children && <div className="text-sm text-slate-600">{children}</div>}
    </div>
  );
}

/** A failed load, with the reason and a way to try again. */
export function ErrorState({ title, message, onRetry, className = "" }: { title: string; message: string; onRetry?: () => void; className?: string }) {
  return (
    <div role="alert" className={`flex flex-col items-start gap-2 rounded-lg border border-red-300 bg-red-50 px-4 py-3 text-red-900 ${className}`}>
      <p className="font-semibold">{title}</p>
      <p className="text-sm break-words">{message}</p>
      {onRetry && (
        <Button variant="secondary" size="sm" onClick={onRetry}>
          Try again
        </Button>
      )}
    </div>
  );
}

/** A small count bubble, e.g. unread messages; says what it counts to screen readers. */
export function CountBadge({ count, label }: { count: number; label: string }) {
  if (count <= 0) return null;
  return (
    <span className="inline-flex min-w-5 items-center justify-center rounded-full bg-red-700 px-1.5 text-xs leading-5 font-semibold text-white">
      <span aria-hidden>{count > 99 ? "99+" : count}</span>
      <span className="sr-only">
        {count} {label}
      </span>
    </span>
  );
}
