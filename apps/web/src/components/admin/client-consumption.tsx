"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "~/trpc/react.tsx";
import { ConsumptionView } from "../dashboard/consumption-view.tsx";
import { useLiveConsumption } from "../dashboard/use-live-consumption.ts";
import { errorCode, errorMessage } from "../format.ts";
import { ErrorState, Skeleton } from "../ui/states.tsx";
import { ClientFinder, clientConsumptionHref } from "./operations-clients.tsx";

interface ClientConsumptionProps {
  userId: string;
  /** `?device=` of the link: a device id or "all" (ALL_DEVICES), shown first; anything else is reported as not the client's. */
  initialChoice: string | undefined;
}

/**
 * One client's consumption for an administrator: the client's own dashboard views (ConsumptionView)
 * with the client's data. The device chosen is kept in the address (`?device=`) so the view can be
 * linked to, e.g. from the fleet table.
 */
export function ClientConsumption({ userId, initialChoice }: ClientConsumptionProps) {
  const trpc = useTRPC();
  const client = useQuery(trpc.users.byId.queryOptions({ id: userId }));
  useLiveConsumption(userId);
  // Only the address changes (Next.js keeps its router in step): no navigation, nothing fetched again.
  const keepInAddress = (choice: string) => window.history.replaceState(null, "", clientConsumptionHref(userId, choice));

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-1">
        <Link href="/admin/operations" className="w-fit text-sm text-emerald-800 underline">
          Back to Operations
        </Link>
        {client.isPending ? (
          <Skeleton className="h-9 w-64" />
        ) : client.isError ? (
          <h1 className="text-2xl font-semibold">Client consumption</h1>
        ) : (
          <>
            <h1 className="text-2xl font-semibold break-words">Consumption of {client.data.username}</h1>
            <p className="text-sm text-slate-700">
              {client.data.name}
              {client.data.role === "admin" ? " (an administrator)" : ""}: their devices by hour, day or month, as on their own dashboard, live while readings arrive.
            </p>
          </>
        )}
      </div>
      {client.isError ? (
        <ErrorState
          title={errorCode(client.error) === "NOT_FOUND" ? "There is no such client" : "The client could not be loaded"}
          message={errorMessage(client.error)}
          onRetry={() => void client.refetch()}
        />
      ) : (
        client.data && <ConsumptionView key={userId} owner={{ kind: "client", userId, username: client.data.username }} initialChoice={initialChoice} onChoose={keepInAddress} />
      )}
      <section aria-labelledby="other-client-title" className="flex flex-col gap-2 border-t border-slate-200 pt-4">
        <h2 id="other-client-title" className="text-lg font-semibold">
          Another client
        </h2>
        <ClientFinder currentId={userId} />
      </section>
    </div>
  );
}
