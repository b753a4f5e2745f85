"use client";

import { useId, type ReactNode } from "react";
import { Button } from "../ui/button.tsx";

/** A row being saved is dimmed; a row whose change was refused is flagged red for a moment. */
export function rowStateClass(pending: boolean, rolledBack: boolean): string {
  if (rolledBack) return "bg-red-50 outline-2 -outline-offset-2 outline-red-600 transition-colors";
  if (pending) return "opacity-60 transition-opacity";
  return "hover:bg-slate-50";
}

interface TableToolbarProps {
  title: string;
  count: number | undefined;
  filter: string;
  onFilter: (value: string) => void;
  filterLabel: string;
  action: ReactNode;
}

export function TableToolbar({ title, count, filter, onFilter, filterLabel, action }: TableToolbarProps) {
  const id = useId();
  return (
    <div className="flex flex-wrap items-end justify-between gap-3">
      <h1 className="text-2xl font-semibold">
        {title}
        {count !== undefined && <span className="ml-2 text-base font-normal text-slate-600">({count})</span>}
      </h1>
      <div className="flex w-full flex-wrap items-center gap-2 sm:w-auto">
        <label htmlFor={id} className="sr-only">
          {filterLabel}
        </label>
        <input
          id={id}
          type="search"
          value={filter}
          onChange={(event) => onFilter(event.target.value)}
          placeholder="Filter…"
          className="h-10 min-w-0 flex-1 rounded-md border border-slate-300 bg-white px-3 text-sm focus:outline-2 focus:outline-offset-1 focus:outline-emerald-700 sm:w-56 sm:flex-none"
        />
        {action}
      </div>
    </div>
  );
}

/**
 * A table that scrolls sideways on a phone instead of squeezing its columns. The scrolling frame is a
 * focusable, named region so keyboard users can scroll it too, even when no cell holds a control
 * (WCAG 2.1.1; axe's scrollable-region-focusable).
 */
export function AdminTable({ caption, headers, children }: { caption: string; headers: string[]; children: ReactNode }) {
  return (
    <div
      role="region"
      aria-label={caption}
      tabIndex={0}
      className="overflow-x-auto rounded-xl border border-slate-200 bg-white focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700"
    >
      <table className="w-full min-w-[48rem] border-collapse text-sm">
        <caption className="sr-only">{caption}</caption>
        <thead className="border-b border-slate-200 bg-slate-50 text-left text-xs tracking-wide text-slate-700 uppercase">
          <tr>
            {headers.map((header) => (
              <th key={header} scope="col" className="px-3 py-2 font-semibold">
                {header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">{children}</tbody>
      </table>
    </div>
  );
}

export function RowActions({ name, disabled, onEdit, onDelete }: { name: string; disabled: boolean; onEdit: () => void; onDelete: () => void }) {
  return (
    <div className="flex gap-1">
      <Button variant="secondary" size="sm" onClick={onEdit} disabled={disabled} aria-label={`Edit ${name}`}>
        Edit
      </Button>
      <Button variant="ghost-danger" size="sm" onClick={onDelete} disabled={disabled} aria-label={`Delete ${name}`}>
        Delete
      </Button>
    </div>
  );
}
