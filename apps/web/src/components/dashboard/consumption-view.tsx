"use client";

import { keepPreviousData, skipToken, useQuery } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { drillDown, viewPeriod, type PeriodConsumption, type PeriodKind } from "~/lib/consumption-periods.ts";
import { useViewerClock } from "~/hooks/use-viewer-clock.ts";
import { useTRPC } from "~/trpc/react.tsx";
import { Button } from "../ui/button.tsx";
import { EmptyState, ErrorState, Skeleton } from "../ui/states.tsx";
import type { Device } from "../api-types.ts";
import { errorMessage, formatKwh } from "../format.ts";
import { ConsumptionChart, type PeriodBar } from "./consumption-chart.tsx";
import { consumptionCsv } from "./consumption-csv.ts";
import { ALL_DEVICES, DeviceList } from "./device-list.tsx";
import { PeriodNavigator, PeriodSwitch } from "./period-controls.tsx";
import { KIND_NAMES, periodLabel, toPeriodBars } from "./period-labels.ts";

/** Whose consumption is shown: the signed-in client's own, or one client's to an administrator. */
export type ConsumptionOwner = { kind: "self" } | { kind: "client"; userId: string; username: string };

interface Wording {
  devicesTitle: string;
  allDevices: string;
  /** The chart's heading for all of them. */
  allTitle: string;
  loadError: string;
  noDevices: { title: string; text: string };
}

function wordingFor(owner: ConsumptionOwner): Wording {
  if (owner.kind === "self") {
    return {
      devicesTitle: "My devices",
      allDevices: "All my devices",
      allTitle: "Consumption of all my devices",
      loadError: "Your devices could not be loaded",
      noDevices: { title: "No devices yet", text: "An administrator assigns smart meters to your account; ask them in the support chat." },
    };
  }
  return {
    devicesTitle: `Devices of ${owner.username}`,
    allDevices: `All devices of ${owner.username}`,
    allTitle: `Consumption of all devices of ${owner.username}`,
    loadError: `The devices of ${owner.username} could not be loaded`,
    noDevices: { title: "No devices", text: `${owner.username} owns no device; assign one under Devices.` },
  };
}

interface ConsumptionViewProps {
  owner: ConsumptionOwner;
  /** The device (or ALL_DEVICES) shown first; by default the first device. */
  initialChoice?: string | undefined;
  /** Called with the device id (or ALL_DEVICES) chosen, e.g. to keep a link to the view in step. */
  onChoose?: (choice: string) => void;
}

/**
 * A client's devices and the consumption of one device or of all of them over a day (hourly), a week
 * or a month (daily) or a year (monthly) beside the period before, with drill-down and CSV export: the
 * client's dashboard shows their own, the admin console any client's.
 */
export function ConsumptionView({ owner, initialChoice, onChoose }: ConsumptionViewProps) {
  const trpc = useTRPC();
  const devices = useQuery(trpc.devices.list.queryOptions(owner.kind === "self" ? undefined : { ownerId: owner.userId }));
  const [chosenId, setChosenId] = useState(initialChoice);
  const chosenDevice = devices.data?.find((d) => d.id === chosenId);
  const selected = chosenId === ALL_DEVICES ? ALL_DEVICES : (chosenDevice ?? devices.data?.[0]);
  const wording = wordingFor(owner);
  const choose = (choice: string) => {
    setChosenId(choice);
    onChoose?.(choice);
  };

  return (
    <div className="grid gap-6 lg:grid-cols-[20rem_minmax(0,1fr)]">
      <section aria-labelledby="devices-title" className="flex flex-col gap-3">
        <h2 id="devices-title" className="text-lg font-semibold break-words">
          {wording.devicesTitle}
        </h2>
        {/* A link may name a device the client no longer owns: say so rather than silently show another. */}
        {devices.data && chosenId !== undefined && chosenId !== ALL_DEVICES && !chosenDevice && devices.data.length > 0 && (
          <p role="status" className="rounded-lg border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-950">
            The linked device is not one of these devices; showing {selected === ALL_DEVICES ? "all of them" : selected?.name} instead.
          </p>
        )}
        {devices.isPending ? (
          <div className="flex flex-col gap-2" role="status" aria-label="Loading devices">
            <Skeleton className="h-20" />
            <Skeleton className="h-20" />
          </div>
        ) : devices.isError ? (
          <ErrorState title={wording.loadError} message={errorMessage(devices.error)} onRetry={() => void devices.refetch()} />
        ) : devices.data.length === 0 ? (
          <EmptyState title={wording.noDevices.title}>{wording.noDevices.text}</EmptyState>
        ) : (
          <DeviceList
            devices={devices.data}
            label={wording.devicesTitle}
            allLabel={wording.allDevices}
            selectedId={selected === ALL_DEVICES ? ALL_DEVICES : selected?.id}
            onSelect={choose}
          />
        )}
      </section>
      <ConsumptionPanel owner={owner} wording={wording} device={selected} loadingDevices={devices.isPending} />
    </div>
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

interface ConsumptionPanelProps {
  owner: ConsumptionOwner;
  wording: Wording;
  device: Device | typeof ALL_DEVICES | undefined;
  loadingDevices: boolean;
}

function ConsumptionPanel({ owner, wording, device, loadingDevices }: ConsumptionPanelProps) {
  const trpc = useTRPC();
  const clock = useViewerClock();
  const [kind, setKind] = useState<PeriodKind>("day");
  const [chosenAnchor, setChosenAnchor] = useState<string>();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const anchor = chosenAnchor ?? clock?.today;
  const view = anchor ? viewPeriod(kind, anchor) : undefined;
  const all = device === ALL_DEVICES;
  const period = view && clock ? { from: view.from, to: view.to, resolution: view.resolution, tz: clock.timeZone } : undefined;
  const options = { placeholderData: keepPreviousData } as const;
  const userId = owner.kind === "client" ? owner.userId : undefined;
  const ofDevice = useQuery(trpc.monitoring.deviceConsumption.queryOptions(period && device && !all ? { ...period, deviceId: device.id } : skipToken, options));
  const ofAll = useQuery(trpc.monitoring.userConsumption.queryOptions(period && all ? { ...period, userId } : skipToken, options));
  const consumption = all ? ofAll : ofDevice;

  // Only the answer for what is chosen now (placeholders from another device, scope or client are not shown).
  const data = consumption.data;
  const matches =
    data &&
    (all
      ? data.scope.kind === "user" && (userId === undefined || data.scope.userId === userId)
      : data.scope.kind === "device" && device !== undefined && data.scope.deviceId === device.id);
  const shown = matches && view ? data : undefined;
  const hourlyLimit = device && !all && view?.resolution === "hour" ? Number(device.maxHourlyConsumption) : null;
  const bars = shown && view ? toPeriodBars(view, shown, hourlyLimit) : [];
  const hoursOver = bars.filter((bar) => bar.over).length;
  const label = view ? periodLabel(view.kind, view.from, view.to) : "";
  const scopeName = all ? wording.allDevices : (device?.name ?? "");

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
            {all ? wording.allTitle : device ? `Consumption of ${device.name}` : "Consumption"}
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
