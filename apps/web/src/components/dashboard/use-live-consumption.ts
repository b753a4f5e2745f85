"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import type { PeriodConsumption } from "~/lib/consumption-periods.ts";
import { useTRPC } from "~/trpc/react.tsx";
import { useOnConnect, useRealtime, useRealtimeEvent } from "../realtime/realtime-provider.tsx";
import { applyConsumptionUpdate, needsRefetch } from "./live-consumption.ts";

/**
 * Keeps the consumption on screen live: `consumption:updated` events patch one device's hours in place
 * and refetch the days, months and all-devices totals they fall in; after a reconnect, what may have
 * been missed offline is fetched again. A client gets their own devices' events; an administrator gets
 * those of the client named by `watchedClientId` (the console's view of that client), which the socket
 * asks chat for on every (re)connection and stops asking when the view goes.
 */
export function useLiveConsumption(watchedClientId?: string): void {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { socket } = useRealtime();

  useRealtimeEvent("consumption:updated", (update) => {
    queryClient.setQueriesData<PeriodConsumption>(trpc.monitoring.deviceConsumption.pathFilter(), (period) => applyConsumptionUpdate(period, update));
    for (const filter of [trpc.monitoring.deviceConsumption.pathFilter(), trpc.monitoring.userConsumption.pathFilter()]) {
      void queryClient.invalidateQueries({ ...filter, predicate: (query) => needsRefetch(query.state.data as PeriodConsumption | undefined, update) });
    }
  });

  const connectedBefore = useRef(false);
  useOnConnect(() => {
    if (connectedBefore.current) {
      void queryClient.invalidateQueries(trpc.monitoring.pathFilter());
      void queryClient.invalidateQueries(trpc.devices.pathFilter());
    }
    connectedBefore.current = true;
  });

  useEffect(() => {
    if (!socket || watchedClientId === undefined) return;
    // A refusal (never expected here: the console is for administrators) leaves the view as it was fetched.
    const watch = () => socket.emit("consumption:watch", { userId: watchedClientId }, () => undefined);
    if (socket.connected) watch();
    socket.on("connect", watch);
    return () => {
      socket.off("connect", watch);
      if (socket.connected) socket.emit("consumption:watch", { userId: null }, () => undefined);
    };
  }, [socket, watchedClientId]);
}
