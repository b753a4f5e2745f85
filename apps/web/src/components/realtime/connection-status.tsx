"use client";

import Link from "next/link";
import type { ConnectionState } from "~/lib/socket.ts";
import { useRealtime } from "./realtime-provider.tsx";

const LABELS: Record<ConnectionState, { text: string; dot: string }> = {
  connecting: { text: "Connecting…", dot: "bg-amber-500" },
  connected: { text: "Live", dot: "bg-emerald-600" },
  reconnecting: { text: "Reconnecting…", dot: "bg-amber-500 animate-pulse" },
  "signed-out": { text: "Signed out", dot: "bg-red-600" },
};

/** A small live/offline indicator; changes are announced politely. */
export function ConnectionStatus({ className = "" }: { className?: string }) {
  const { state } = useRealtime();
  const { text, dot } = LABELS[state];
  return (
    <span role="status" className={`inline-flex items-center gap-1.5 text-xs font-medium text-slate-700 ${className}`} data-connection={state}>
      <span aria-hidden className={`size-2 rounded-full ${dot}`} />
      <span className="sr-only">Real-time connection: </span>
      {text}
      {state === "signed-out" && (
        <Link href="/signin" className="underline">
          Sign in again
        </Link>
      )}
    </span>
  );
}
