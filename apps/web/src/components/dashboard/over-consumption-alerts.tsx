"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { AlertCreated } from "@ems/contracts/notifications";
import { useTRPC } from "~/trpc/react.tsx";
import { Button } from "../ui/button.tsx";
import { Modal } from "../ui/modal.tsx";
import { useRealtimeEvent } from "../realtime/realtime-provider.tsx";
import type { Device } from "../api-types.ts";
import { formatHourRange, formatKwh } from "../format.ts";
import { useAcknowledgeAlert } from "./use-acknowledge-alert.ts";

/** What the modal needs of an alert, whether it came live or from the history. */
export interface PendingAlert {
  id: string;
  deviceId: string;
  deviceName: string | null;
  hourStart: string;
  totalKwh: string;
  limitKwh: string;
}

function fromLive(alert: AlertCreated): PendingAlert {
  return { id: alert.alertId, deviceId: alert.deviceId, deviceName: null, hourStart: alert.hourStart, totalKwh: alert.total, limitKwh: alert.limit };
}

/**
 * The red over-consumption modal: shown the moment `alert:created` arrives, and on the next visit
 * for alerts never acknowledged. "Acknowledge" marks the alert seen for good and shows the next one;
 * "Remind me later" (or Escape) hides every waiting alert until the next visit — a new alert still
 * opens the modal at once.
 */
export function OverConsumptionAlerts({ devices }: { devices: Device[] | undefined }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Over-consumption only: a silent meter is told by a toast (use-silence-notices.ts), not by this modal.
  const unseen = useQuery(trpc.monitoring.alerts.queryOptions({ kind: "over_consumption", unacknowledgedOnly: true, limit: 20 }));
  const [live, setLive] = useState<PendingAlert[]>([]);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const acknowledge = useAcknowledgeAlert();

  useRealtimeEvent("alert:created", (alert) => {
    setLive((current) => (current.some((a) => a.id === alert.alertId) ? current : [...current, fromLive(alert)]));
    void queryClient.invalidateQueries(trpc.monitoring.alerts.pathFilter());
  });

  const fromHistory: PendingAlert[] = (unseen.data?.items ?? []).flatMap((alert) =>
    alert.kind === "over_consumption"
      ? [{ id: alert.id, deviceId: alert.deviceId, deviceName: alert.deviceName, hourStart: alert.hourStart.toISOString(), totalKwh: alert.totalKwh, limitKwh: alert.limitKwh }]
      : [],
  );
  // Oldest first, so they are read in the order they happened; live ones may not be in the history yet.
  const queue = [...fromHistory.toReversed(), ...live.filter((a) => !fromHistory.some((h) => h.id === a.id))].filter((a) => !hidden.has(a.id));
  const current = queue[0];

  const hide = (ids: string[]) => setHidden((previous) => new Set([...previous, ...ids]));
  const remindLater = () => hide(queue.map((a) => a.id));
  const acknowledgeCurrent = () => {
    if (!current) return;
    hide([current.id]);
    acknowledge.mutate({ alertId: current.id });
  };
  const acknowledgeAll = () => {
    hide(queue.map((a) => a.id));
    for (const alert of queue) acknowledge.mutate({ alertId: alert.id });
  };

  const deviceName = current ? (current.deviceName ?? devices?.find((d) => d.id === current.deviceId)?.name ?? "One of your devices") : "";
  return (
    <Modal
      open={current !== undefined}
      onClose={remindLater}
      role="alertdialog"
      tone="danger"
      title="Over-consumption alert"
      description={
        current && (
          <p>
            <strong>{deviceName}</strong> used <strong>{formatKwh(current.totalKwh)}</strong> in the hour {formatHourRange(current.hourStart)}, over its limit of{" "}
            <strong>{formatKwh(current.limitKwh)}</strong> per hour.
          </p>
        )
      }
    >
      {current && (
        <>
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 rounded-lg bg-white/70 p-3 text-sm">
            <dt className="font-medium">Device</dt>
            <dd className="break-words">{deviceName}</dd>
            <dt className="font-medium">Hour</dt>
            <dd>{formatHourRange(current.hourStart)}</dd>
            <dt className="font-medium">Total</dt>
            <dd className="font-semibold text-red-800">{formatKwh(current.totalKwh)}</dd>
            <dt className="font-medium">Limit</dt>
            <dd>{formatKwh(current.limitKwh)}</dd>
          </dl>
          {queue.length > 1 && <p className="text-sm">1 of {queue.length} unacknowledged alerts</p>}
          <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
            <Button variant="secondary" onClick={remindLater}>
              Remind me later
            </Button>
            {queue.length > 1 && (
              <Button variant="secondary" onClick={acknowledgeAll}>
                Acknowledge all {queue.length}
              </Button>
            )}
            <Button variant="danger" onClick={acknowledgeCurrent} data-autofocus>
              Acknowledge
            </Button>
          </div>
        </>
      )}
    </Modal>
  );
}
