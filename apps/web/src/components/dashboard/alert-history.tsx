"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/react.tsx";
import { Button } from "../ui/button.tsx";
import { EmptyState, ErrorState, Skeleton } from "../ui/states.tsx";
import type { Alert } from "../api-types.ts";
import { errorMessage, formatDateTime, formatHourRange, formatKwh } from "../format.ts";
import { useAcknowledgeAlert } from "./use-acknowledge-alert.ts";

const PAGE_SIZE = 10;

/** Every over-consumption alert of the client's devices, newest first, each acknowledgeable. */
export function AlertHistory() {
  const trpc = useTRPC();
  const alerts = useInfiniteQuery(
    trpc.monitoring.alerts.infiniteQueryOptions({ limit: PAGE_SIZE, unacknowledgedOnly: false }, { getNextPageParam: (page) => page.nextCursor ?? undefined }),
  );
  const acknowledge = useAcknowledgeAlert();
  const items = alerts.data?.pages.flatMap((page) => page.items) ?? [];

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
        <EmptyState title="No alerts">You will see one here whenever a device goes over its hourly limit.</EmptyState>
      ) : (
        <>
          <ul className="flex flex-col divide-y divide-slate-200" aria-label="Alerts">
            {items.map((alert) => (
              <AlertRow
                key={alert.id}
                alert={alert}
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

function AlertRow({ alert, busy, onAcknowledge }: { alert: Alert; busy: boolean; onAcknowledge: () => void }) {
  const deviceName = alert.deviceName ?? "A deleted device";
  return (
    <li className="flex flex-wrap items-center gap-x-4 gap-y-2 py-3">
      <span aria-hidden className={`size-2.5 shrink-0 rounded-full ${alert.acknowledgedAt ? "bg-slate-300" : "bg-red-600"}`} />
      <div className="min-w-0 flex-1 basis-56">
        <p className="font-medium break-words text-slate-900">
          {deviceName}: {formatKwh(alert.totalKwh)} <span className="font-normal text-slate-700">(limit {formatKwh(alert.limitKwh)})</span>
        </p>
        <p className="text-sm text-slate-700">{formatHourRange(alert.hourStart)}</p>
      </div>
      {alert.acknowledgedAt ? (
        <p className="text-sm text-slate-600">Acknowledged {formatDateTime(alert.acknowledgedAt)}</p>
      ) : (
        <Button variant="secondary" size="sm" busy={busy} onClick={onAcknowledge} aria-label={`Acknowledge the alert for ${deviceName}, ${formatHourRange(alert.hourStart)}`}>
          Acknowledge
        </Button>
      )}
    </li>
  );
}
