"use client";

import { AlertsPanel } from "./operations-alerts.tsx";
import { DataPlanePanel } from "./operations-data-plane.tsx";
import { FleetPanel } from "./operations-fleet.tsx";

/** The admin's view of what the system measures: the fleet, alerts of every client, the data plane. */
export function OperationsConsole() {
  return (
    <div className="flex flex-col gap-8">
      <h1 className="text-2xl font-semibold">Operations</h1>
      <FleetPanel />
      <AlertsPanel />
      <DataPlanePanel />
    </div>
  );
}
