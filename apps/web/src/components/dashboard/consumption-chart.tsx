"use client";

import { Bar, BarChart, CartesianGrid, Cell, ReferenceLine, Tooltip, XAxis, YAxis } from "recharts";
import type { DayConsumption } from "../api-types.ts";
import { formatKwh } from "../format.ts";

/** Tailwind's emerald-600 / red-600 / red-800: within the limit, over it, the limit line. */
export const BAR_COLOUR = "#059669";
export const OVER_LIMIT_COLOUR = "#dc2626";
const LIMIT_LINE_COLOUR = "#991b1b";

export interface HourBar {
  /** "HH:MM" on the viewer's clock. */
  label: string;
  range: string;
  kwh: number;
  over: boolean;
}

/** One bar per hour of the day (24; 23 or 25 on a DST change), flagged when over the limit. */
export function toHourBars(hours: DayConsumption["hours"], limitKwh: number): HourBar[] {
  return hours.map((hour, index) => {
    const next = hours[index + 1]?.localTime ?? "24:00";
    return { label: hour.localTime, range: `${hour.localTime}–${next}`, kwh: hour.kwh, over: hour.kwh > limitKwh };
  });
}

interface HourTooltipProps {
  active: boolean | undefined;
  payload: readonly { payload?: unknown }[] | undefined;
  limitKwh: number;
}

function HourTooltip({ active, payload, limitKwh }: HourTooltipProps) {
  const bar = payload?.[0]?.payload as HourBar | undefined;
  if (!active || !bar) return null;
  return (
    <div className="rounded-md border border-slate-200 bg-white px-3 py-2 text-sm shadow-lg">
      <p className="font-medium text-slate-900">{bar.range}</p>
      <p className={bar.over ? "font-semibold text-red-700" : "text-slate-800"}>{formatKwh(bar.kwh)}</p>
      {bar.over && <p className="text-xs text-red-700">{formatKwh(bar.kwh - limitKwh)} over the limit</p>}
    </div>
  );
}

interface ConsumptionChartProps {
  hours: DayConsumption["hours"];
  limitKwh: number;
  /** Names the chart for assistive technology, e.g. "Kitchen meter on 12 March 2026". */
  caption: string;
}

/**
 * Hourly bars with the device's limit as a dashed line and the hours over it in red. The drawing is
 * hidden from screen readers; the same figures are in a table that opens below it.
 */
export function ConsumptionChart({ hours, limitKwh, caption }: ConsumptionChartProps) {
  const bars = toHourBars(hours, limitKwh);
  const peak = Math.max(limitKwh, ...bars.map((bar) => bar.kwh));
  // Head-room above the taller of the peak and the limit, so the limit line is always in view.
  const yMax = peak > 0 ? Number((peak * 1.15).toPrecision(2)) : 1;
  return (
    <div className="flex flex-col gap-2">
      <figure className="flex flex-col gap-2">
        <div className="h-72 w-full" aria-hidden data-testid="consumption-chart">
          <BarChart responsive style={{ width: "100%", height: "100%" }} data={bars} margin={{ top: 16, right: 8, bottom: 0, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid vertical={false} stroke="#e2e8f0" />
            <XAxis dataKey="label" tickFormatter={(label: string) => label.replace(/:00$/, "")} interval="preserveStartEnd" tick={{ fontSize: 12, fill: "#475569" }} tickLine={false} />
            <YAxis domain={[0, yMax]} width={48} tick={{ fontSize: 12, fill: "#475569" }} tickLine={false} axisLine={false} tickFormatter={(value: number) => String(value)} />
            <Tooltip cursor={{ fill: "#f1f5f9" }} content={({ active, payload }) => <HourTooltip active={active} payload={payload} limitKwh={limitKwh} />} isAnimationActive={false} />
            <ReferenceLine
              y={limitKwh}
              stroke={LIMIT_LINE_COLOUR}
              strokeDasharray="6 4"
              strokeWidth={2}
              ifOverflow="extendDomain"
              label={{ value: `Limit ${formatKwh(limitKwh)}`, position: "insideTopRight", fill: LIMIT_LINE_COLOUR, fontSize: 12 }}
            />
            <Bar dataKey="kwh" name="Consumption" isAnimationActive={false} radius={[3, 3, 0, 0]}>
              {bars.map((bar) => (
                <Cell key={bar.label} fill={bar.over ? OVER_LIMIT_COLOUR : BAR_COLOUR} data-over={bar.over} />
              ))}
            </Bar>
          </BarChart>
        </div>
        <figcaption className="flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-slate-700">
          <span className="inline-flex items-center gap-1.5">
            <span aria-hidden className="size-3 rounded-sm" style={{ background: BAR_COLOUR }} /> Within the limit
          </span>
          <span className="inline-flex items-center gap-1.5">
            <span aria-hidden className="size-3 rounded-sm" style={{ background: OVER_LIMIT_COLOUR }} /> Over the limit
          </span>
          <span className="inline-flex items-center gap-1.5">
            <span aria-hidden className="h-0 w-4 border-t-2 border-dashed" style={{ borderColor: LIMIT_LINE_COLOUR }} /> Limit per hour
          </span>
          <span className="text-slate-600">Hours on your clock; values in kWh.</span>
        </figcaption>
      </figure>
      {/* The same figures as a table: for screen readers, keyboard users (no hovering) and exact values. */}
      <details className="text-sm">
        <summary className="w-fit cursor-pointer rounded text-emerald-800 underline focus-visible:outline-2 focus-visible:outline-emerald-700">Show the figures as a table</summary>
        <div className="mt-2 max-h-72 overflow-y-auto rounded-md border border-slate-200" tabIndex={0}>
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Hourly consumption: {caption}</caption>
            <thead className="sticky top-0 bg-slate-50 text-xs text-slate-700">
              <tr>
                <th scope="col" className="px-3 py-1.5 font-semibold">Hour</th>
                <th scope="col" className="px-3 py-1.5 font-semibold">Consumption</th>
                <th scope="col" className="px-3 py-1.5 font-semibold">Over the limit</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {bars.map((bar) => (
                <tr key={bar.label} className={bar.over ? "text-red-800" : ""}>
                  <th scope="row" className="px-3 py-1 font-normal tabular-nums">{bar.range}</th>
                  <td className="px-3 py-1 tabular-nums">{formatKwh(bar.kwh)}</td>
                  <td className="px-3 py-1">{bar.over ? "yes" : "no"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}
