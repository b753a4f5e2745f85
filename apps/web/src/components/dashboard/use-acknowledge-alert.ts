"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/react.tsx";
import { useToast } from "../ui/toast.tsx";
import { errorMessage } from "../format.ts";

/** Acknowledges an alert and refreshes every alert list (history and the unseen ones). */
export function useAcknowledgeAlert() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation(
    trpc.monitoring.acknowledgeAlert.mutationOptions({
      onError: (error) => toast({ tone: "error", title: "The alert was not acknowledged", description: errorMessage(error) }),
      onSettled: () => queryClient.invalidateQueries(trpc.monitoring.alerts.pathFilter()),
    }),
  );
}
