"use client";

import { AlertsPanel } from "./operations-alerts.tsx";
import { ClientsPanel } from "./operations-clients.tsx";
import { DataPlanePanel } from "./operations-data-plane.tsx";
import { FleetPanel } from "./operations-fleet.tsx";

/** The admin's view of what the system measures: any client's consumption, the fleet, alerts of every client, the data plane. */
export function OperationsConsole() {
  return (
    <div className="flex flex-col gap-8">
      <h1 className="text-2xl font-semibold">Operations</h1>
      <ClientsPanel />
      <FleetPanel />
      <AlertsPanel />
      <DataPlanePanel />
    </div>
  );
}
