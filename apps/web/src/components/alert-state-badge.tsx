import type { Alert } from "./api-types.ts";
import { alertStateWhen } from "./alert-display.ts";

const BADGE: Record<Alert["state"], { label: string; className: string }> = {
  active: { label: "Active", className: "bg-red-100 text-red-900" },
  cleared: { label: "Cleared", className: "bg-slate-200 text-slate-800" },
};

/** "Active until 15:00", "Active since 09:42", "Cleared 10:03": the state as a coloured badge, then when. */
export function AlertStateBadge({ alert, now }: { alert: Alert; now: Date }) {
  const badge = BADGE[alert.state];
  return (
    <span className="inline-flex flex-wrap items-center gap-x-1.5 text-sm text-slate-700">
      <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${badge.className}`}>{badge.label}</span>{" "}
      <span>{alertStateWhen(alert, now)}</span>
    </span>
  );
}
