"use client";

import { useQuery } from "@tanstack/react-query";
import type { DeviceSilence } from "@ems/contracts/notifications";
import { useTRPC } from "~/trpc/react.tsx";
import { silenceNotice } from "../alert-display.ts";
import { useToast } from "../ui/toast.tsx";
import { useRealtimeEvent } from "./realtime-provider.tsx";

/**
 * A device's silence alarm raised or cleared ("alarm:silence", to its owner and to the admins): a toast
 * naming the meter, then `onChange` to refresh what lists it. A toast, not the red modal: a meter gone
 * quiet is worth knowing, not an over-consumption emergency.
 */
export function useSilenceNotices(onChange: (alarm: DeviceSilence) => void): void {
  const trpc = useTRPC();
  const toast = useToast();
  // The viewer's devices (an admin's: all), shared with the page's own device list.
  const devices = useQuery(trpc.devices.list.queryOptions());
  useRealtimeEvent("alarm:silence", (alarm) => {
    toast(silenceNotice(alarm, devices.data?.find((device) => device.id === alarm.deviceId)?.name, new Date()));
    onChange(alarm);
  });
}
