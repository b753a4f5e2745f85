"use client";

import { keepPreviousData, skipToken, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { drillDown, viewPeriod, type PeriodConsumption, type PeriodKind } from "~/lib/consumption-periods.ts";
import { useViewerClock } from "~/hooks/use-viewer-clock.ts";
import { useTRPC } from "~/trpc/react.tsx";
import { useOnConnect, useRealtimeEvent } from "../realtime/realtime-provider.tsx";
import { Button } from "../ui/button.tsx";
import { EmptyState, ErrorState, Skeleton } from "../ui/states.tsx";
import type { Device } from "../api-types.ts";
import { errorMessage, formatKwh } from "../format.ts";
import { AlertHistory } from "./alert-history.tsx";
import { ConsumptionChart, type PeriodBar } from "./consumption-chart.tsx";
import { consumptionCsv } from "./consumption-csv.ts";
import { ALL_DEVICES, DeviceList } from "./device-list.tsx";
import { applyConsumptionUpdate, needsRefetch } from "./live-consumption.ts";
import { OverConsumptionAlerts } from "./over-consumption-alerts.tsx";
import { PeriodNavigator, PeriodSwitch } from "./period-controls.tsx";
import { KIND_NAMES, periodLabel, toPeriodBars } from "./period-labels.ts";

/**
 * The client's dashboard: their devices, the consumption of one device or of all of them over a day
 * (hourly, live while readings arrive), a week or a month (daily) or a year (monthly) beside the
 * period before, with drill-down and CSV export; the alert history, and the over-consumption modal.
 */
export function ClientDashboard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const devices = useQuery(trpc.devices.list.queryOptions());
  const [chosenId, setChosenId] = useState<string>();
  const selected = chosenId === ALL_DEVICES ? ALL_DEVICES : (devices.data?.find((d) => d.id === chosenId) ?? devices.data?.[0]);

  useRealtimeEvent("consumption:updated", (update) => {
    queryClient.setQueriesData<PeriodConsumption>(trpc.monitoring.deviceConsumption.pathFilter(), (period) => applyConsumptionUpdate(period, update));
    for (const filter of [trpc.monitoring.deviceConsumption.pathFilter(), trpc.monitoring.userConsumption.pathFilter()]) {
      void queryClient.invalidateQueries({ ...filter, predicate: (query) => needsRefetch(query.state.data as PeriodConsumption | undefined, update) });
    }
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
        <p className="text-sm text-slate-700">Consumption of your devices by hour, day or month, live while readings arrive.</p>
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
            <DeviceList devices={devices.data} selectedId={selected === ALL_DEVICES ? ALL_DEVICES : selected?.id} onSelect={setChosenId} />
          )}
        </section>
        <ConsumptionPanel device={selected} loadingDevices={devices.isPending} />
      </div>
      <AlertHistory />
      <OverConsumptionAlerts devices={devices.data} />
    </>
  );
}

/** Starts the browser's download of a text file (a blob, so no request and nothing stored). */
function download(fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.click();
  URL.revokeObjectURL(url);
}

const TABLE_TITLES = { hour: "Hourly consumption", day: "Daily consumption", month: "Monthly consumption" } as const;
const BUCKET_HEADINGS = { hour: "Hour", day: "Day", month: "Month" } as const;

function ConsumptionPanel({ device, loadingDevices }: { device: Device | typeof ALL_DEVICES | undefined; loadingDevices: boolean }) {
  const trpc = useTRPC();
  const clock = useViewerClock();
  const [kind, setKind] = useState<PeriodKind>("day");
  const [chosenAnchor, setChosenAnchor] = useState<string>();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const anchor = chosenAnchor ?? clock?.today;
  const view = anchor ? viewPeriod(kind, anchor) : undefined;
  const all = device === ALL_DEVICES;
  const period = view && clock ? { from: view.from, to: view.to, resolution: view.resolution, tz: clock.timeZone } : undefined;
  const options = { placeholderData: keepPreviousData };
  const ofDevice = useQuery(trpc.monitoring.deviceConsumption.queryOptions(period && device && !all ? { ...period, deviceId: device.id } : skipToken, options));
  const ofAll = useQuery(trpc.monitoring.userConsumption.queryOptions(period && all ? period : skipToken, options));
  const consumption = all ? ofAll : ofDevice;

  // Only the answer for what is chosen now (placeholders from another device or scope are not shown).
  const data = consumption.data;
  const matches = data && (all ? data.scope.kind === "user" : data.scope.kind === "device" && device !== undefined && data.scope.deviceId === device.id);
  const shown = matches && view ? data : undefined;
  const hourlyLimit = device && !all && view?.resolution === "hour" ? Number(device.maxHourlyConsumption) : null;
  const bars = shown && view ? toPeriodBars(view, shown, hourlyLimit) : [];
  const hoursOver = bars.filter((bar) => bar.over).length;
  const label = view ? periodLabel(view.kind, view.from, view.to) : "";
  const scopeName = all ? "All my devices" : (device?.name ?? "");

  const choose = (nextKind: PeriodKind, nextAnchor: string | undefined) => {
    setKind(nextKind);
    setChosenAnchor(nextAnchor);
  };
  const drill = (bar: PeriodBar) => {
    const target = drillDown(kind, bar.bucket);
    if (!target) return;
    choose(target.kind, target.anchor);
    // The bar or row that was used goes away: keep the keyboard where the new period starts.
    headingRef.current?.focus();
  };
  const exportCsv = () => {
    if (!shown || !view) return;
    const slug = scopeName.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "device";
    download(`consumption-${slug}-${view.kind}-${view.from}.csv`, consumptionCsv(shown, scopeName), "text/csv;charset=utf-8");
  };

  return (
    <section aria-labelledby="consumption-title" className="flex min-w-0 flex-col gap-4 rounded-xl border border-slate-200 bg-white p-4 sm:p-5" aria-busy={consumption.isFetching}>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h2 id="consumption-title" ref={headingRef} tabIndex={-1} className="text-lg font-semibold break-words focus:outline-none">
            {all ? "Consumption of all my devices" : device ? `Consumption of ${device.name}` : "Consumption"}
          </h2>
          {device && !all && <p className="text-sm text-slate-700">Limit {formatKwh(device.maxHourlyConsumption)} per hour</p>}
        </div>
        <PeriodSwitch kind={kind} onChange={(nextKind) => choose(nextKind, anchor)} />
      </div>
      {view && anchor && clock && (
        <div className="flex flex-wrap items-center justify-between gap-2">
          <PeriodNavigator view={view} anchor={anchor} today={clock.today} onChange={(nextAnchor) => choose(kind, nextAnchor)} />
          <Button variant="secondary" size="sm" onClick={exportCsv} disabled={!shown}>
            Export CSV
          </Button>
        </div>
      )}
      <div className="flex flex-col gap-1">
        <p className="min-h-6 text-sm text-slate-800" aria-live="polite" data-testid={kind === "day" ? "day-total" : "period-total"}>
          {shown && (
            <>
              Total {kind === "day" ? "on" : "for"} {label}: <strong className="text-base">{formatKwh(shown.current.totalKwh)}</strong>
              {hoursOver > 0 && (
                <span className="ml-2 font-medium text-red-700">
                  · {hoursOver} {hoursOver === 1 ? "hour" : "hours"} over the limit
                </span>
              )}
            </>
          )}
        </p>
        {shown && view && <Comparison kind={view.kind} period={shown} />}
      </div>
      {!device && !loadingDevices ? (
        <EmptyState title="Nothing to show" className="h-80">
          Choose a device to see its consumption.
        </EmptyState>
      ) : consumption.isError ? (
        <ErrorState title="The consumption could not be loaded" message={errorMessage(consumption.error)} onRetry={() => void consumption.refetch()} className="h-80" />
      ) : !shown || !view ? (
        <div className="flex flex-col gap-2" role="status" aria-label="Loading consumption">
          <Skeleton className="h-72" />
          <Skeleton className="h-4 w-2/3" />
        </div>
      ) : (
        <div className={`transition-opacity ${consumption.isPlaceholderData ? "opacity-50" : ""}`}>
          <ConsumptionChart
            bars={bars}
            limitKwh={hourlyLimit}
            tableTitle={TABLE_TITLES[view.resolution]}
            caption={`${scopeName}, ${label}`}
            bucketHeading={BUCKET_HEADINGS[view.resolution]}
            previousHeading={`Previous ${KIND_NAMES[view.kind].label.toLowerCase()}`}
            onDrill={view.kind === "day" ? undefined : drill}
          />
        </div>
      )}
    </section>
  );
}

/** The period before, its total and the change, e.g. "Previous month (February 2026): 12 kWh · +1.5 kWh (+12.5%)". */
function Comparison({ kind, period }: { kind: PeriodKind; period: PeriodConsumption }) {
  const { kwh, percent } = period.change;
  const sign = kwh > 0 ? "+" : kwh < 0 ? "−" : "±";
  const tone = kwh > 0 ? "text-amber-800" : kwh < 0 ? "text-emerald-800" : "text-slate-700";
  return (
    <p className="text-sm text-slate-700" data-testid="period-comparison">
      Previous {KIND_NAMES[kind].label.toLowerCase()} ({periodLabel(kind, period.previous.from, period.previous.to)}): {formatKwh(period.previous.totalKwh)}
      <span className={`ml-2 font-medium ${tone}`}>
        · {sign}
        {formatKwh(Math.abs(kwh))}
        {percent === null ? "" : ` (${sign}${Math.abs(percent)}%)`}
      </span>
    </p>
  );
}
