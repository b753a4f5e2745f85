"use client";

import { useQueryClient, type QueryKey } from "@tanstack/react-query";
import { useCallback, useRef, useState } from "react";
import { useToast } from "~/components/ui/toast.tsx";
import { errorMessage } from "~/components/format.ts";
import { restoreRows, type Identified } from "./restore-rows.ts";

export interface OptimisticChange<T extends Identified, R> {
  /** The server call. */
  mutate: () => Promise<R>;
  /** The list as it should look at once. */
  optimistic: (items: T[]) => T[];
  /** The list once the server answered (e.g. the placeholder row replaced by the stored one). */
  settle?: (items: T[], result: R) => T[];
  /** Rows the change touches: on failure exactly these are put back as they were. */
  affectedIds: string[];
  /** "Saving kitchen meter", for the failure notice: "… failed". */
  description: string;
  /** Other lists the change affects, fetched again once it is done. */
  alsoInvalidate?: QueryKey[];
}

const ROLLBACK_HIGHLIGHT_MS = 5_000;

/**
 * Optimistic changes to a cached list (admin tables): the row changes at once; if the server
 * refuses, that row alone is put back, highlighted, and a notice says what failed and why. Other
 * changes made meanwhile are kept. Returns whether the change was stored.
 */
export function useOptimisticList<T extends Identified>(queryKey: QueryKey) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [pendingIds, setPendingIds] = useState<ReadonlySet<string>>(new Set());
  const [rolledBackIds, setRolledBackIds] = useState<ReadonlySet<string>>(new Set());
  const sequence = useRef(0);

  const mark = (setter: typeof setPendingIds, ids: string[], on: boolean) =>
    setter((current) => {
      const next = new Set(current);
      for (const id of ids) {
        if (on) next.add(id);
        else next.delete(id);
      }
      return next;
    });

  const run = useCallback(
    async <R>(change: OptimisticChange<T, R>): Promise<boolean> => {
      await queryClient.cancelQueries({ queryKey });
      const before = queryClient.getQueryData<T[]>(queryKey) ?? [];
      queryClient.setQueryData<T[]>(queryKey, (items = []) => change.optimistic(items));
      mark(setPendingIds, change.affectedIds, true);
      try {
        const result = await change.mutate();
        if (change.settle) queryClient.setQueryData<T[]>(queryKey, (items = []) => change.settle?.(items, result) ?? items);
        return true;
      } catch (error) {
        queryClient.setQueryData<T[]>(queryKey, (items = []) => restoreRows(items, before, change.affectedIds));
        toast({ tone: "error", title: `${change.description} failed — the change was undone`, description: errorMessage(error) });
        const rolledBack = change.affectedIds.filter((id) => before.some((b) => b.id === id));
        mark(setRolledBackIds, rolledBack, true);
        setTimeout(() => mark(setRolledBackIds, rolledBack, false), ROLLBACK_HIGHLIGHT_MS);
        return false;
      } finally {
        mark(setPendingIds, change.affectedIds, false);
        void queryClient.invalidateQueries({ queryKey });
        for (const key of change.alsoInvalidate ?? []) void queryClient.invalidateQueries({ queryKey: key });
      }
    },
    [queryClient, queryKey, toast],
  );

  /** A placeholder id for a row the server has not created yet. */
  const placeholderId = useCallback(() => `pending-${++sequence.current}`, []);

  return { run, pendingIds, rolledBackIds, placeholderId };
}
