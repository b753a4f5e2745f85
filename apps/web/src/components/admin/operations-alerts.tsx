"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import type { AlertKind, AlertState } from "~/lib/schemas.ts";
import { useTRPC } from "~/trpc/react.tsx";
import type { RouterInputs } from "../api-types.ts";
import { activeFirst, alertDay, alertLabel, alertSummary } from "../alert-display.ts";
import { AlertStateBadge } from "../alert-state-badge.tsx";
import { errorMessage, formatDateTime } from "../format.ts";
import { useSilenceNotices } from "../realtime/use-silence-notices.ts";
import { Button } from "../ui/button.tsx";
import { SelectField } from "../ui/field.tsx";
import { EmptyState, ErrorState, LoadingState } from "../ui/states.tsx";
import { useToast } from "../ui/toast.tsx";
import { AdminTable } from "./admin-table.tsx";
import { OPERATIONS_REFRESH_MS, PanelHeading } from "./operations-panel.tsx";

type Acknowledgement = NonNullable<Exclude<RouterInputs["operations"]["alerts"], void>["acknowledgement"]>;

/**
 * Alerts of both kinds of every client (over the hourly limit, a device gone silent), active first,
 * filtered by client, device, kind, state and acknowledgement; acknowledged from here. A silence alarm
 * pushed live refreshes this table and the fleet at once, with a toast.
 */
export function AlertsPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const headingId = useId();
  const [ownerId, setOwnerId] = useState("");
  const [deviceId, setDeviceId] = useState("");
  const [kind, setKind] = useState<AlertKind | "all">("all");
  const [state, setState] = useState<AlertState | "all">("all");
  const [acknowledgement, setAcknowledgement] = useState<Acknowledgement>("unacknowledged");
  const clients = useQuery(trpc.users.list.queryOptions({ role: "client" }));
  const devices = useQuery(trpc.devices.list.queryOptions());
  const alerts = useQuery({
    ...trpc.operations.alerts.queryOptions({
      ownerId: ownerId || undefined,
      deviceId: deviceId || undefined,
      kind: kind === "all" ? undefined : kind,
      state: state === "all" ? undefined : state,
      acknowledgement,
    }),
    refetchInterval: OPERATIONS_REFRESH_MS,
  });
  const acknowledge = useMutation(
    trpc.operations.acknowledgeAlert.mutationOptions({
      onError: (error) => toast({ tone: "error", title: "The alert was not acknowledged", description: errorMessage(error) }),
      onSettled: () => queryClient.invalidateQueries(trpc.operations.alerts.pathFilter()),
    }),
  );
  useSilenceNotices(() => {
    void queryClient.invalidateQueries(trpc.operations.alerts.pathFilter());
    void queryClient.invalidateQueries(trpc.operations.fleet.pathFilter());
  });
  const shownDevices = (devices.data ?? []).filter((device) => !ownerId || device.ownerId === ownerId);
  // What the states were computed against: when the table was fetched.
  const fetchedAt = new Date(alerts.dataUpdatedAt);
  return (
    <section aria-labelledby={headingId} className="flex flex-col gap-3">
      <PanelHeading id={headingId} title="Alerts across clients">
        An over-limit alert is active until its hour ends; a silence alarm until the device reports again. Acknowledging does not clear either.
      </PanelHeading>
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-5">
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
        <SelectField label="Kind" value={kind} onChange={(event) => setKind(event.target.value as AlertKind | "all")}>
          <option value="all">All kinds</option>
          <option value="over_consumption">Over limit</option>
          <option value="device_silent">Silent device</option>
        </SelectField>
        <SelectField label="State" value={state} onChange={(event) => setState(event.target.value as AlertState | "all")}>
          <option value="all">Active and cleared</option>
          <option value="active">Active</option>
          <option value="cleared">Cleared</option>
        </SelectField>
        <SelectField label="Acknowledgement" value={acknowledgement} onChange={(event) => setAcknowledgement(event.target.value as Acknowledgement)}>
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
          <AdminTable caption="Alerts of every client, active first, then newest first" headers={["Alert", "Device", "Client", "State", "Raised", "Acknowledged"]}>
            {activeFirst(alerts.data.items).map((alert) => (
              <tr key={alert.id}>
                <th scope="row" className="px-3 py-2 text-left font-normal">
                  <span className="block font-medium">{alertSummary(alert, fetchedAt)}</span>{" "}
                  <span className="block text-xs text-slate-600">{alertDay(alert)}</span>
                </th>
                <td className="px-3 py-2">{alert.deviceName ?? <span className="text-slate-600">deleted device</span>}</td>
                <td className="px-3 py-2">{alert.ownerUsername ?? <span className="text-slate-600">—</span>}</td>
                <td className="px-3 py-2">
                  <AlertStateBadge alert={alert} now={fetchedAt} />
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
                      aria-label={`Acknowledge ${alertLabel(alert)}`}
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
