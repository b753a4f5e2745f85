"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/react.tsx";
import { Button } from "../ui/button.tsx";
import { EmptyState, ErrorState, Skeleton } from "../ui/states.tsx";
import { activeFirst, alertDay, alertLabel, alertSummary } from "../alert-display.ts";
import { AlertStateBadge } from "../alert-state-badge.tsx";
import type { Alert } from "../api-types.ts";
import { errorMessage, formatDateTime } from "../format.ts";
import { useAcknowledgeAlert } from "./use-acknowledge-alert.ts";

const PAGE_SIZE = 10;

/**
 * Every alert of the client's devices — over the hourly limit, or silent — active ones first, then
 * newest first, each acknowledgeable whether active or cleared. Refreshed when a silence alarm arrives
 * (use-silence-notices.ts) and when an over-consumption alert does (over-consumption-alerts.tsx).
 */
export function AlertHistory() {
  const trpc = useTRPC();
  const alerts = useInfiniteQuery(
    trpc.monitoring.alerts.infiniteQueryOptions({ limit: PAGE_SIZE, unacknowledgedOnly: false }, { getNextPageParam: (page) => page.nextCursor ?? undefined }),
  );
  const acknowledge = useAcknowledgeAlert();
  const items = activeFirst(alerts.data?.pages.flatMap((page) => page.items) ?? []);
  // What the states were computed against: when the list was fetched.
  const fetchedAt = new Date(alerts.dataUpdatedAt);

  return (
    <section aria-labelledby="alert-history-title" className="flex flex-col gap-3 rounded-xl border border-slate-200 bg-white p-4 sm:p-5">
      <h2 id="alert-history-title" className="text-lg font-semibold">
        Alert history
      </h2>
      {alerts.isPending ? (
        <div className="flex flex-col gap-2" role="status" aria-label="Loading alerts">
          <Skeleton className="h-14" />
          <Skeleton className="h-14" />
        </div>
      ) : alerts.isError ? (
        <ErrorState title="The alerts could not be loaded" message={errorMessage(alerts.error)} onRetry={() => void alerts.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title="No alerts">You will see one here whenever a device goes over its hourly limit or stops reporting.</EmptyState>
      ) : (
        <>
          <ul className="flex flex-col divide-y divide-slate-200" aria-label="Alerts">
            {items.map((alert) => (
              <AlertRow
                key={alert.id}
                alert={alert}
                now={fetchedAt}
                busy={acknowledge.isPending && acknowledge.variables.alertId === alert.id}
                onAcknowledge={() => acknowledge.mutate({ alertId: alert.id })}
              />
            ))}
          </ul>
          {alerts.hasNextPage && (
            <Button variant="secondary" size="sm" className="self-start" busy={alerts.isFetchingNextPage} onClick={() => void alerts.fetchNextPage()}>
              Show older alerts
            </Button>
          )}
        </>
      )}
    </section>
  );
}

function AlertRow({ alert, now, busy, onAcknowledge }: { alert: Alert; now: Date; busy: boolean; onAcknowledge: () => void }) {
  return (
    <li className="flex flex-wrap items-center gap-x-4 gap-y-2 py-3">
      <span aria-hidden className={`size-2.5 shrink-0 rounded-full ${alert.acknowledgedAt ? "bg-slate-300" : "bg-red-600"}`} />
      <div className="flex min-w-0 flex-1 basis-56 flex-col gap-1">
        <p className="font-medium break-words text-slate-900">
          {alert.deviceName ?? "A deleted device"}: <span className="font-normal">{alertSummary(alert, now)}</span>
        </p>
        <p className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm text-slate-700">
          <span>{alertDay(alert)}</span>{" "}
          <AlertStateBadge alert={alert} now={now} />
        </p>
      </div>
      {alert.acknowledgedAt ? (
        <p className="text-sm text-slate-600">Acknowledged {formatDateTime(alert.acknowledgedAt)}</p>
      ) : (
        <Button variant="secondary" size="sm" busy={busy} onClick={onAcknowledge} aria-label={`Acknowledge ${alertLabel(alert)}`}>
          Acknowledge
        </Button>
      )}
    </li>
  );
}
