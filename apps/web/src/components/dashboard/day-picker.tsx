"use client";

import { useId } from "react";
import { Button } from "../ui/button.tsx";
import { shiftDate } from "../format.ts";

interface DayPickerProps {
  date: string;
  today: string;
  onChange: (date: string) => void;
}

/** A date input with previous/next day and a way back to today; days after today are not offered. */
export function DayPicker({ date, today, onChange }: DayPickerProps) {
  const id = useId();
  return (
    <div className="flex flex-wrap items-center gap-2">
      <label htmlFor={id} className="text-sm font-medium text-slate-800">
        Day
      </label>
      <div className="flex items-center gap-1">
        <Button variant="secondary" size="sm" onClick={() => onChange(shiftDate(date, -1))} aria-label="Previous day">
          <span aria-hidden>‹</span>
        </Button>
        <input
          id={id}
          type="date"
          value={date}
          max={today}
          required
          onChange={(event) => {
            // Clearing the field or typing a partial date gives "": keep the last valid day.
            if (event.target.value) onChange(event.target.value > today ? today : event.target.value);
          }}
          className="h-8 rounded-md border border-slate-300 bg-white px-2 text-sm focus:outline-2 focus:outline-offset-1 focus:outline-emerald-700"
        />
        <Button variant="secondary" size="sm" onClick={() => onChange(shiftDate(date, 1))} disabled={date >= today} aria-label="Next day">
          <span aria-hidden>›</span>
        </Button>
      </div>
      <Button variant="ghost" size="sm" onClick={() => onChange(today)} disabled={date === today}>
        Today
      </Button>
    </div>
  );
}
