"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useTRPC } from "~/trpc/react.tsx";
import { errorMessage, formatDateTime, formatHourRange, formatKwh } from "../format.ts";
import { Button } from "../ui/button.tsx";
import { SelectField } from "../ui/field.tsx";
import { EmptyState, ErrorState, LoadingState } from "../ui/states.tsx";
import { useToast } from "../ui/toast.tsx";
import { AdminTable } from "./admin-table.tsx";
import { OPERATIONS_REFRESH_MS, PanelHeading } from "./operations-panel.tsx";

type AlertState = "all" | "unacknowledged" | "acknowledged";

/** Alerts of every client, filtered by client, device and state; acknowledged from here. */
export function AlertsPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const headingId = useId();
  const [ownerId, setOwnerId] = useState("");
  const [deviceId, setDeviceId] = useState("");
  const [state, setState] = useState<AlertState>("unacknowledged");
  const clients = useQuery(trpc.users.list.queryOptions({ role: "client" }));
  const devices = useQuery(trpc.devices.list.queryOptions());
  const alerts = useQuery({
    ...trpc.operations.alerts.queryOptions({ ownerId: ownerId || undefined, deviceId: deviceId || undefined, state }),
    refetchInterval: OPERATIONS_REFRESH_MS,
  });
  const acknowledge = useMutation(
    trpc.operations.acknowledgeAlert.mutationOptions({
      onError: (error) => toast({ tone: "error", title: "The alert was not acknowledged", description: errorMessage(error) }),
      onSettled: () => queryClient.invalidateQueries(trpc.operations.alerts.pathFilter()),
    }),
  );
  const shownDevices = (devices.data ?? []).filter((device) => !ownerId || device.ownerId === ownerId);
  return (
    <section aria-labelledby={headingId} className="flex flex-col gap-3">
      <PanelHeading id={headingId} title="Alerts across clients" />
      <div className="grid gap-3 sm:grid-cols-3">
        <SelectField
          label="Client"
          value={ownerId}
          onChange={(event) => {
            setOwnerId(event.target.value);
            setDeviceId("");
          }}
        >
          <option value="">All clients</option>
          {(clients.data ?? []).map((client) => (
            <option key={client.id} value={client.id}>
              {client.username}
            </option>
          ))}
        </SelectField>
        <SelectField label="Device" value={deviceId} onChange={(event) => setDeviceId(event.target.value)}>
          <option value="">All devices</option>
          {shownDevices.map((device) => (
            <option key={device.id} value={device.id}>
              {device.name}
            </option>
          ))}
        </SelectField>
        <SelectField label="State" value={state} onChange={(event) => setState(event.target.value as AlertState)}>
          <option value="unacknowledged">Not acknowledged</option>
          <option value="acknowledged">Acknowledged</option>
          <option value="all">All</option>
        </SelectField>
      </div>
      {alerts.isPending ? (
        <LoadingState label="Loading alerts…" className="py-6" />
      ) : alerts.isError && !alerts.data ? (
        <ErrorState title="Alerts could not be loaded" message={errorMessage(alerts.error)} onRetry={() => void alerts.refetch()} />
      ) : alerts.data && alerts.data.items.length === 0 ? (
        <EmptyState title="No alerts match" />
      ) : (
        alerts.data && (
          <AdminTable caption="Over-consumption alerts of every client, newest first" headers={["Hour", "Device", "Client", "Consumed / limit", "Raised", "Acknowledged"]}>
            {alerts.data.items.map((alert) => (
              <tr key={alert.id}>
                <th scope="row" className="px-3 py-2 text-left font-medium">
                  {formatHourRange(alert.hourStart)}
                </th>
                <td className="px-3 py-2">{alert.deviceName ?? <span className="text-slate-600">deleted device</span>}</td>
                <td className="px-3 py-2">{alert.ownerUsername ?? <span className="text-slate-600">—</span>}</td>
                <td className="px-3 py-2 tabular-nums">
                  {formatKwh(alert.totalKwh)} / {formatKwh(alert.limitKwh)}
                </td>
                <td className="px-3 py-2">{formatDateTime(alert.createdAt)}</td>
                <td className="px-3 py-2">
                  {alert.acknowledgedAt ? (
                    formatDateTime(alert.acknowledgedAt)
                  ) : (
                    <Button
                      size="sm"
                      variant="secondary"
                      busy={acknowledge.isPending && acknowledge.variables.alertId === alert.id}
                      onClick={() => acknowledge.mutate({ alertId: alert.id })}
                      aria-label={`Acknowledge the alert of ${alert.deviceName ?? "a deleted device"} for ${formatHourRange(alert.hourStart)}`}
                    >
                      Acknowledge
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </AdminTable>
        )
      )}
    </section>
  );
}
