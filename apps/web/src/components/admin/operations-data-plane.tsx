"use client";

import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { useTRPC } from "~/trpc/react.tsx";
import { errorMessage, formatDateTime } from "../format.ts";
import { EmptyState, ErrorState, LoadingState } from "../ui/states.tsx";
import { AdminTable } from "./admin-table.tsx";
import { DeadLetterReasons } from "./operations-dead-letters.tsx";
import { OPERATIONS_REFRESH_MS, PanelHeading } from "./operations-panel.tsx";

const count = (value: number | null) => (value === null ? "—" : value.toLocaleString());

/** Partition queues: consumers, depth, the replica holding each, traffic; and the dead letters, by reason. */
export function DataPlanePanel() {
  const trpc = useTRPC();
  const headingId = useId();
  const plane = useQuery({ ...trpc.operations.dataPlane.queryOptions(), refetchInterval: OPERATIONS_REFRESH_MS });
  const data = plane.data;
  return (
    <section aria-labelledby={headingId} className="flex flex-col gap-3">
      <PanelHeading id={headingId} title="Data plane">
        Readings/s now: the new readings (duplicates not included) each partition&apos;s replica committed in its last
        counting window (10 s by default); &ldquo;no recent data&rdquo; when it recorded none in the last three windows.
      </PanelHeading>
      {data?.broker === "unreachable" && (
        <p role="status" className="rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-amber-950">
          Broker unreachable: queue depths and consumers are unknown until RabbitMQ answers again.
        </p>
      )}
      {plane.isPending ? (
        <LoadingState label="Loading the data plane…" className="py-6" />
      ) : plane.isError && !data ? (
        <ErrorState title="The data plane could not be loaded" message={errorMessage(plane.error)} onRetry={() => void plane.refetch()} />
      ) : (
        data && (
          <>
            <dl className="grid grid-cols-2 gap-2 sm:grid-cols-3">
              <div className="rounded-lg border border-slate-200 bg-white px-3 py-2">
                <dt className="text-xs text-slate-600 uppercase">Partitions in use</dt>
                <dd className="text-2xl font-semibold tabular-nums">{count(data.livePartitionCount)}</dd>
              </div>
              <div className="rounded-lg border border-slate-200 bg-white px-3 py-2">
                <dt className="text-xs text-slate-600 uppercase">Dead letters</dt>
                <dd className="text-2xl font-semibold tabular-nums">{count(data.deadLetter.depth)}</dd>
              </div>
            </dl>
            {data.partitions.length === 0 ? (
              <EmptyState title="No partition has been claimed yet">No monitoring replica has run against this database.</EmptyState>
            ) : (
              <AdminTable
                caption="Partition queues with their consumers, depth, monitoring replica and traffic"
                headers={["Queue", "Consumers", "Depth", "Replica", "Devices", "Readings/s now", "Last reading"]}
              >
                {data.partitions.map((partition) => (
                  <tr key={partition.index}>
                    <th scope="row" className="px-3 py-2 text-left font-medium">
                      {partition.queue}
                      {!partition.inUse && <span className="ml-2 text-xs font-normal text-slate-600">(draining)</span>}
                    </th>
                    <td className="px-3 py-2 tabular-nums">{count(partition.consumers)}</td>
                    <td className="px-3 py-2 tabular-nums">{count(partition.depth)}</td>
                    <td className="px-3 py-2">
                      {partition.holder ? (
                        `${partition.holder.applicationName ?? "unnamed session"} (pid ${partition.holder.pid})`
                      ) : (
                        <span className="text-red-800">none{partition.lastClaimedBy ? `; last ${partition.lastClaimedBy}` : ""}</span>
                      )}
                    </td>
                    <td className="px-3 py-2 tabular-nums">{partition.devices}</td>
                    <td className="px-3 py-2 tabular-nums">
                      {partition.readingsPerSecond === null ? <span className="text-slate-600">no recent data</span> : partition.readingsPerSecond.toLocaleString()}
                    </td>
                    <td className="px-3 py-2">{partition.lastReadingAt ? formatDateTime(partition.lastReadingAt) : "—"}</td>
                  </tr>
                ))}
              </AdminTable>
            )}
          </>
        )
      )}
      <DeadLetterReasons />
    </section>
  );
}
