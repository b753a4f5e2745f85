"use client";

import { useId } from "react";
import { PERIOD_KINDS, shiftAnchor, type PeriodKind, type ViewPeriod } from "~/lib/consumption-periods.ts";
import { Button } from "../ui/button.tsx";
import { KIND_NAMES, periodLabel } from "./period-labels.ts";

interface PeriodSwitchProps {
  kind: PeriodKind;
  onChange: (kind: PeriodKind) => void;
}

/** Day / Week / Month / Year: toggle buttons (aria-pressed), one pressed at a time. */
export function PeriodSwitch({ kind, onChange }: PeriodSwitchProps) {
  return (
    <div role="group" aria-label="Period" className="inline-flex rounded-md border border-slate-300 bg-white p-0.5">
      {PERIOD_KINDS.map((option) => (
        <button
          key={option}
          type="button"
          aria-pressed={option === kind}
          onClick={() => onChange(option)}
          className={`h-8 rounded px-3 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-emerald-700 ${
            option === kind ? "bg-emerald-700 text-white" : "text-slate-800 hover:bg-slate-100"
          }`}
        >
          {KIND_NAMES[option].label}
        </button>
      ))}
    </div>
  );
}

interface PeriodNavigatorProps {
  view: ViewPeriod;
  anchor: string;
  today: string;
  onChange: (anchor: string) => void;
}

/**
 * The period shown, with the one before and after (none after the current one) and a way back to
 * the current one; days and weeks also take a date.
 */
export function PeriodNavigator({ view, anchor, today, onChange }: PeriodNavigatorProps) {
  const id = useId();
  const name = KIND_NAMES[view.kind].label.toLowerCase();
  const containsToday = view.from <= today && today < view.to;
  return (
    <div className="flex flex-wrap items-center gap-2">
      <div className="flex items-center gap-1">
        <Button variant="secondary" size="sm" onClick={() => onChange(shiftAnchor(view.kind, anchor, -1))} aria-label={`Previous ${name}`}>
          <span aria-hidden>‹</span>
        </Button>
        <p className="min-w-32 px-1 text-center text-sm font-medium text-slate-900" aria-live="polite" data-testid="period-label">
          {periodLabel(view.kind, view.from, view.to)}
        </p>
        <Button variant="secondary" size="sm" onClick={() => onChange(shiftAnchor(view.kind, anchor, 1))} disabled={view.to > today} aria-label={`Next ${name}`}>
          <span aria-hidden>›</span>
        </Button>
      </div>
      {(view.kind === "day" || view.kind === "week") && (
        <>
          <label htmlFor={id} className="sr-only">
            Go to date
          </label>
          <input
            id={id}
            type="date"
            value={anchor}
            max={today}
            required
            onChange={(event) => {
              // Clearing the field or typing a partial date gives "": keep the last valid day.
              if (event.target.value) onChange(event.target.value > today ? today : event.target.value);
            }}
            className="h-8 rounded-md border border-slate-300 bg-white px-2 text-sm focus:outline-2 focus:outline-offset-1 focus:outline-emerald-700"
          />
        </>
      )}
      <Button variant="ghost" size="sm" onClick={() => onChange(today)} disabled={containsToday}>
        {KIND_NAMES[view.kind].current}
      </Button>
    </div>
  );
}
