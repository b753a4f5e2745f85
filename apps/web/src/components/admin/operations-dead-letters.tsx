"use client";

import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { useTRPC } from "~/trpc/react.tsx";
import { errorMessage, formatDateTime } from "../format.ts";
import { Button } from "../ui/button.tsx";
import { EmptyState, ErrorState, LoadingState } from "../ui/states.tsx";
import { AdminTable } from "./admin-table.tsx";

/** The server examines the queue at most this often (DEAD_LETTER_CACHE_MS): asking sooner gets the same answer. */
const EXAMINATION_FRESH_MS = 30_000;

/**
 * The dead letters counted by reason, largest first. Examined once when shown and on request, not
 * with the panel's polling: counting reads the queue (see domain/operations.ts, deadLetterReasons).
 */
export function DeadLetterReasons() {
  const trpc = useTRPC();
  const headingId = useId();
  const reasons = useQuery({ ...trpc.operations.deadLetterReasons.queryOptions(), staleTime: EXAMINATION_FRESH_MS, refetchOnWindowFocus: false });
  const data = reasons.data;
  return (
    <section aria-labelledby={headingId} className="flex flex-col gap-3" aria-busy={reasons.isFetching}>
      <div className="flex flex-wrap items-end justify-between gap-2">
        <div className="flex flex-col gap-1">
          <h3 id={headingId} className="text-base font-semibold">
            Dead letters by reason
          </h3>
          {data?.status === "ok" && (
            <p className="text-sm text-slate-600">
              {data.examined < data.total
                ? `The first ${data.examined.toLocaleString()} of ${data.total.toLocaleString()} examined (from the head of ${data.queue})`
                : data.examined === 0
                  ? `${data.queue} was empty`
                  : `All ${data.examined.toLocaleString()} in ${data.queue}`}
              , at {formatDateTime(data.examinedAt)}; counted again at most every {EXAMINATION_FRESH_MS / 1_000} s.
            </p>
          )}
        </div>
        <Button variant="secondary" size="sm" busy={reasons.isFetching} onClick={() => void reasons.refetch()}>
          Examine again
        </Button>
      </div>
      {reasons.isPending ? (
        <LoadingState label="Counting the dead letters…" className="py-6" />
      ) : reasons.isError && !data ? (
        <ErrorState title="The dead letters could not be counted" message={errorMessage(reasons.error)} onRetry={() => void reasons.refetch()} />
      ) : data?.status === "unavailable" ? (
        <p role="status" className="rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-amber-950">
          {data.message}
        </p>
      ) : data && data.reasons.length === 0 ? (
        <EmptyState title="No dead letters">Every message was consumed.</EmptyState>
      ) : (
        data && (
          <AdminTable caption="Dead letters by reason, the largest count first" headers={["Reason", "Count", "From", "First dead-lettered"]}>
            {data.reasons.map((group) => (
              <tr key={JSON.stringify(group.reason)}>
                <th scope="row" className="px-3 py-2 text-left font-medium break-words">
                  {group.reason ?? <span className="font-normal text-slate-600">(no reason header)</span>}
                </th>
                <td className="px-3 py-2 tabular-nums">{group.count.toLocaleString()}</td>
                <td className="px-3 py-2 break-words">{group.sourceQueues.length ? group.sourceQueues.join(", ") : "—"}</td>
                <td className="px-3 py-2">{group.firstDeadLetteredAt ? formatDateTime(group.firstDeadLetteredAt) : "—"}</td>
              </tr>
            ))}
          </AdminTable>
        )
      )}
    </section>
  );
}
