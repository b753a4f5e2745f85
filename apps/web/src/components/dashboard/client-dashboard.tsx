"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/react.tsx";
import { useSilenceNotices } from "../realtime/use-silence-notices.ts";
import { AlertHistory } from "./alert-history.tsx";
import { ConsumptionView } from "./consumption-view.tsx";
import { OverConsumptionAlerts } from "./over-consumption-alerts.tsx";
import { useLiveConsumption } from "./use-live-consumption.ts";

/**
 * The client's dashboard: their devices, the consumption of one device or of all of them over a day
 * (hourly, live while readings arrive), a week or a month (daily) or a year (monthly) beside the
 * period before, with drill-down and CSV export; the alert history, the over-consumption modal, and a
 * toast when a device stops reporting or reports again.
 */
export function ClientDashboard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // The same query as ConsumptionView's (one request): the over-consumption modal names the devices.
  const devices = useQuery(trpc.devices.list.queryOptions());

  useLiveConsumption();
  useSilenceNotices(() => void queryClient.invalidateQueries(trpc.monitoring.alerts.pathFilter()));

  return (
    <>
      <div className="flex flex-col gap-1">
        <h1 className="text-2xl font-semibold">My energy</h1>
        <p className="text-sm text-slate-700">Consumption of your devices by hour, day or month, live while readings arrive.</p>
      </div>
      <ConsumptionView owner={{ kind: "self" }} />
      <AlertHistory />
      <OverConsumptionAlerts devices={devices.data} />
    </>
  );
}
