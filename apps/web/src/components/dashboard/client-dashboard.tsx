"use client";

import { keepPreviousData, skipToken, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { useViewerClock } from "~/hooks/use-viewer-clock.ts";
import { useTRPC } from "~/trpc/react.tsx";
import { useOnConnect, useRealtimeEvent } from "../realtime/realtime-provider.tsx";
import { EmptyState, ErrorState, Skeleton } from "../ui/states.tsx";
import type { DayConsumption, Device } from "../api-types.ts";
import { errorMessage, formatKwh } from "../format.ts";
import { AlertHistory } from "./alert-history.tsx";
import { ConsumptionChart } from "./consumption-chart.tsx";
import { DayPicker } from "./day-picker.tsx";
import { DeviceList } from "./device-list.tsx";
import { applyConsumptionUpdate } from "./live-consumption.ts";
import { OverConsumptionAlerts } from "./over-consumption-alerts.tsx";

/**
 * The client's dashboard: their devices, the chosen device's hourly consumption for a day (live while
 * readings arrive), the alert history, and the over-consumption modal.
 */
export function ClientDashboard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const devices = useQuery(trpc.devices.list.queryOptions());
  const [chosenId, setChosenId] = useState<string>();
  const selected = devices.data?.find((d) => d.id === chosenId) ?? devices.data?.[0];

  useRealtimeEvent("consumption:updated", (update) => {
    queryClient.setQueriesData<DayConsumption>(trpc.monitoring.consumption.pathFilter(), (day) => applyConsumptionUpdate(day, update));
  });
  // After a reconnect, fetch again what live updates may have missed while offline.
  const connectedBefore = useRef(false);
  useOnConnect(() => {
    if (connectedBefore.current) {
      void queryClient.invalidateQueries(trpc.monitoring.pathFilter());
      void queryClient.invalidateQueries(trpc.devices.pathFilter());
    }
    connectedBefore.current = true;
  });

  return (
    <>
      <div className="flex flex-col gap-1">
        <h1 className="text-2xl font-semibold">My energy</h1>
        <p className="text-sm text-slate-700">Hourly consumption of your devices, live while readings arrive.</p>
      </div>
      <div className="grid gap-6 lg:grid-cols-[20rem_minmax(0,1fr)]">
        <section aria-labelledby="devices-title" className="flex flex-col gap-3">
          <h2 id="devices-title" className="text-lg font-semibold">
            My devices
          </h2>
          {devices.isPending ? (
            <div className="flex flex-col gap-2" role="status" aria-label="Loading devices">
              <Skeleton className="h-20" />
              <Skeleton className="h-20" />
            </div>
          ) : devices.isError ? (
            <ErrorState title="Your devices could not be loaded" message={errorMessage(devices.error)} onRetry={() => void devices.refetch()} />
          ) : devices.data.length === 0 ? (
            <EmptyState title="No devices yet">An administrator assigns smart meters to your account; ask them in the support chat.</EmptyState>
          ) : (
            <DeviceList devices={devices.data} selectedId={selected?.id} onSelect={setChosenId} />
          )}
        </section>
        <ConsumptionPanel device={selected} loadingDevices={devices.isPending} />
      </div>
      <AlertHistory />
      <OverConsumptionAlerts devices={devices.data} />
    </>
  );
}

function ConsumptionPanel({ device, loadingDevices }: { device: Device | undefined; loadingDevices: boolean }) {
  const trpc = useTRPC();
  const clock = useViewerClock();
  const [chosenDate, setChosenDate] = useState<string>();
  const date = chosenDate ?? clock?.today;
  const consumption = useQuery(
    trpc.monitoring.consumption.queryOptions(device && date && clock ? { deviceId: device.id, date, tz: clock.timeZone } : skipToken, {
      placeholderData: keepPreviousData,
    }),
  );
  const limitKwh = device ? Number(device.maxHourlyConsumption) : 0;
  const day = consumption.data?.deviceId === device?.id ? consumption.data : undefined;
  const hoursOver = day?.hours.filter((hour) => hour.kwh > limitKwh).length ?? 0;
  const dayLabel = date ? new Date(`${date}T12:00:00Z`).toLocaleDateString(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }) : "";

  return (
    <section aria-labelledby="consumption-title" className="flex min-w-0 flex-col gap-4 rounded-xl border border-slate-200 bg-white p-4 sm:p-5" aria-busy={consumption.isFetching}>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h2 id="consumption-title" className="text-lg font-semibold break-words">
            {device ? `Consumption of ${device.name}` : "Consumption"}
          </h2>
          {device && <p className="text-sm text-slate-700">Limit {formatKwh(device.maxHourlyConsumption)} per hour</p>}
        </div>
        {date && clock && <DayPicker date={date} today={clock.today} onChange={setChosenDate} />}
      </div>
      <p className="min-h-6 text-sm text-slate-800" aria-live="polite" data-testid="day-total">
        {day && device && (
          <>
            Total on {dayLabel}: <strong className="text-base">{formatKwh(day.totalKwh)}</strong>
            {hoursOver > 0 && (
              <span className="ml-2 font-medium text-red-700">
                · {hoursOver} {hoursOver === 1 ? "hour" : "hours"} over the limit
              </span>
            )}
          </>
        )}
      </p>
      {!device && !loadingDevices ? (
        <EmptyState title="Nothing to show" className="h-80">
          Choose a device to see its consumption.
        </EmptyState>
      ) : consumption.isError ? (
        <ErrorState title="The consumption could not be loaded" message={errorMessage(consumption.error)} onRetry={() => void consumption.refetch()} className="h-80" />
      ) : !day || !device ? (
        <div className="flex flex-col gap-2" role="status" aria-label="Loading consumption">
          <Skeleton className="h-72" />
          <Skeleton className="h-4 w-2/3" />
        </div>
      ) : (
        <div className={`transition-opacity ${consumption.isPlaceholderData ? "opacity-50" : ""}`}>
          <ConsumptionChart hours={day.hours} limitKwh={limitKwh} caption={`${device.name}, ${dayLabel}`} />
        </div>
      )}
    </section>
  );
}
