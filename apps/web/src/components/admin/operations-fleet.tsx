"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState } from "react";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "~/server/api/root.ts";
import { useTRPC } from "~/trpc/react.tsx";
import { errorMessage, formatDateTime } from "../format.ts";
import { SelectField } from "../ui/field.tsx";
import { EmptyState, ErrorState, LoadingState } from "../ui/states.tsx";
import { AdminTable } from "./admin-table.tsx";
import { clientConsumptionHref } from "./operations-clients.tsx";
import { OPERATIONS_REFRESH_MS, PanelHeading } from "./operations-panel.tsx";

type DeviceState = inferRouterOutputs<AppRouter>["operations"]["fleet"]["devices"][number]["state"];

const STATE_LABEL: Record<DeviceState, string> = { reporting: "Reporting", silent: "Silent", never: "Never reported" };
const STATE_CLASS: Record<DeviceState, string> = {
  reporting: "bg-emerald-100 text-emerald-900",
  silent: "bg-red-100 text-red-900",
  never: "bg-slate-200 text-slate-800",
};

/** Devices reporting or silent (no reading for longer than the server's setting), with counts; each owned one links to its owner's chart of it. */
export function FleetPanel() {
  const trpc = useTRPC();
  const headingId = useId();
  const [state, setState] = useState<DeviceState | "all">("all");
  const fleet = useQuery({
    ...trpc.operations.fleet.queryOptions(state === "all" ? {} : { state }),
    refetchInterval: OPERATIONS_REFRESH_MS,
  });
  const data = fleet.data;
  return (
    <section aria-labelledby={headingId} className="flex flex-col gap-3">
      <PanelHeading id={headingId} title="Fleet">
        {data ? `A device is silent when nothing of it was counted for more than ${data.silentAfterMinutes} minutes.` : null}
      </PanelHeading>
      {data && (
        <dl className="grid grid-cols-2 gap-2 sm:grid-cols-4">
          {(
            [
              ["Devices", data.counts.total],
              ["Reporting", data.counts.reporting],
              ["Silent", data.counts.silent],
              ["Never reported", data.counts.never],
            ] as const
          ).map(([label, count]) => (
            <div key={label} className="rounded-lg border border-slate-200 bg-white px-3 py-2">
              <dt className="text-xs text-slate-600 uppercase">{label}</dt>
              <dd className="text-2xl font-semibold tabular-nums">{count}</dd>
            </div>
          ))}
        </dl>
      )}
      <SelectField label="Show" value={state} onChange={(event) => setState(event.target.value as DeviceState | "all")} className="sm:w-56">
        <option value="all">All devices</option>
        <option value="silent">Silent only</option>
        <option value="never">Never reported only</option>
        <option value="reporting">Reporting only</option>
      </SelectField>
      {fleet.isPending ? (
        <LoadingState label="Loading the fleet…" className="py-6" />
      ) : fleet.isError && !data ? (
        <ErrorState title="The fleet could not be loaded" message={errorMessage(fleet.error)} onRetry={() => void fleet.refetch()} />
      ) : data && data.devices.length === 0 ? (
        <EmptyState title="No devices here" />
      ) : (
        data && (
          <>
            <AdminTable caption="Devices and when each last reported" headers={["Device", "Owner", "Last reading", "State", "Consumption"]}>
              {data.devices.map((device) => (
                <tr key={device.deviceId}>
                  <th scope="row" className="px-3 py-2 text-left font-medium">
                    {device.name}
                  </th>
                  <td className="px-3 py-2">{device.ownerUsername ?? <span className="text-slate-600">unassigned</span>}</td>
                  <td className="px-3 py-2">{device.lastReadingAt ? formatDateTime(device.lastReadingAt) : "—"}</td>
                  <td className="px-3 py-2">
                    <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${STATE_CLASS[device.state]}`}>{STATE_LABEL[device.state]}</span>
                  </td>
                  {/* `relative` on the link: its screen-reader text (absolutely placed) stays inside the table's scrolling frame. */}
                  <td className="px-3 py-2">
                    {device.ownerId ? (
                      <Link href={clientConsumptionHref(device.ownerId, device.deviceId)} className="relative text-emerald-800 underline">
                        Chart<span className="sr-only"> of {device.name}</span>
                      </Link>
                    ) : (
                      <span className="text-slate-600">no owner</span>
                    )}
                  </td>
                </tr>
              ))}
            </AdminTable>
            {data.truncated && <p className="text-sm text-slate-600">Showing the first {data.devices.length}; narrow the filter to see the rest.</p>}
          </>
        )
      )}
    </section>
  );
}
