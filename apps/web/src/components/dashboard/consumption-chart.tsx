"use client";

import { Bar, BarChart, CartesianGrid, Cell, ReferenceLine, Tooltip, XAxis, YAxis } from "recharts";
import { formatKwh } from "../format.ts";

/** Tailwind's emerald-600 / red-600 / red-800 / slate-500: within the limit, over it, the limit line, the previous period. */
export const BAR_COLOUR = "#059669";
export const OVER_LIMIT_COLOUR = "#dc2626";
const LIMIT_LINE_COLOUR = "#991b1b";
const PREVIOUS_COLOUR = "#64748b";

export interface PeriodBar {
  /** The bucket (a local date, or an hour's UTC start): what a drill-down opens. */
  bucket: string;
  /** The axis tick, e.g. "14:00", "Mon 23", "Mar". */
  label: string;
  /** In full, e.g. "14:00–15:00", "Monday, 23 March 2026", "March 2026". */
  range: string;
  kwh: number;
  /** The previous period's bucket at the same position; null where that period was shorter. */
  previousKwh: number | null;
  previousRange: string | null;
  over: boolean;
}

interface BarTooltipProps {
  active: boolean | undefined;
  payload: readonly { payload?: unknown }[] | undefined;
  limitKwh: number | null;
}

function BarTooltip({ active, payload, limitKwh }: BarTooltipProps) {
  const bar = payload?.[0]?.payload as PeriodBar | undefined;
  if (!active || !bar) return null;
  return (
    <div className="rounded-md border border-slate-200 bg-white px-3 py-2 text-sm shadow-lg">
      <p className="font-medium text-slate-900">{bar.range}</p>
      <p className={bar.over ? "font-semibold text-red-700" : "text-slate-800"}>{formatKwh(bar.kwh)}</p>
      {bar.over && limitKwh !== null && <p className="text-xs text-red-700">{formatKwh(bar.kwh - limitKwh)} over the limit</p>}
      {bar.previousKwh !== null && (
        <p className="text-xs text-slate-700">
          {bar.previousRange}: {formatKwh(bar.previousKwh)}
        </p>
      )}
    </div>
  );
}

interface ConsumptionChartProps {
  bars: PeriodBar[];
  /** The device's hourly limit, drawn on hourly bars of one device; null elsewhere. */
  limitKwh: number | null;
  /** e.g. "Hourly consumption" (the table's name) and what it is of, e.g. "Kitchen meter, 12 March 2026". */
  tableTitle: string;
  caption: string;
  /** Column headings: "Hour" / "Day" / "Month", and "Previous day" etc. */
  bucketHeading: string;
  previousHeading: string;
  /** Opens a bar's own period (a month's days, a day's hours); absent where there is nothing deeper. */
  onDrill?: (bar: PeriodBar) => void;
}

/**
 * Bars of the period with the previous period's beside them in grey; on one device's hours, the
 * limit as a dashed line and the hours over it in red. Clicking a bar drills down. The drawing is
 * hidden from screen readers; the same figures (and the drill-down, as buttons) are in a table.
 */
export function ConsumptionChart({ bars, limitKwh, tableTitle, caption, bucketHeading, previousHeading, onDrill }: ConsumptionChartProps) {
  const peak = Math.max(limitKwh ?? 0, ...bars.map((bar) => Math.max(bar.kwh, bar.previousKwh ?? 0)));
  // Head-room above the tallest bar and the limit, so the limit line is always in view.
  const yMax = peak > 0 ? Number((peak * 1.15).toPrecision(2)) : 1;
  const drill = onDrill ? (_item: unknown, index: number) => bars[index] && onDrill(bars[index]) : undefined;
  return (
    <div className="flex flex-col gap-2">
      <figure className="flex flex-col gap-2">
        <div className={`h-72 w-full ${onDrill ? "[&_.recharts-bar-rectangle]:cursor-pointer" : ""}`} aria-hidden data-testid="consumption-chart">
          <BarChart responsive style={{ width: "100%", height: "100%" }} data={bars} margin={{ top: 16, right: 8, bottom: 0, left: 0 }} barGap={1} accessibilityLayer={false}>
            <CartesianGrid vertical={false} stroke="#e2e8f0" />
            <XAxis dataKey="label" tickFormatter={(label: string) => label.replace(/:00$/, "")} interval="preserveStartEnd" tick={{ fontSize: 12, fill: "#475569" }} tickLine={false} />
            <YAxis domain={[0, yMax]} width={48} tick={{ fontSize: 12, fill: "#475569" }} tickLine={false} axisLine={false} tickFormatter={(value: number) => String(value)} />
            <Tooltip cursor={{ fill: "#f1f5f9" }} content={({ active, payload }) => <BarTooltip active={active} payload={payload} limitKwh={limitKwh} />} isAnimationActive={false} />
            {limitKwh !== null && (
              <ReferenceLine
                y={limitKwh}
                stroke={LIMIT_LINE_COLOUR}
                strokeDasharray="6 4"
                strokeWidth={2}
                ifOverflow="extendDomain"
                label={{ value: `Limit ${formatKwh(limitKwh)}`, position: "insideTopRight", fill: LIMIT_LINE_COLOUR, fontSize: 12 }}
              />
            )}
            <Bar dataKey="previousKwh" name={previousHeading} fill={PREVIOUS_COLOUR} fillOpacity={0.45} isAnimationActive={false} radius={[3, 3, 0, 0]} onClick={drill} />
            <Bar dataKey="kwh" name="Consumption" isAnimationActive={false} radius={[3, 3, 0, 0]} onClick={drill}>
              {bars.map((bar) => (
                <Cell key={bar.bucket} fill={bar.over ? OVER_LIMIT_COLOUR : BAR_COLOUR} data-over={bar.over} data-bucket={bar.bucket} />
              ))}
            </Bar>
          </BarChart>
        </div>
        <figcaption className="flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-slate-700">
          <span className="inline-flex items-center gap-1.5">
            <span aria-hidden className="size-3 rounded-sm" style={{ background: BAR_COLOUR }} /> {limitKwh !== null ? "Within the limit" : "Consumption"}
          </span>
          {limitKwh !== null && (
            <>
              <span className="inline-flex items-center gap-1.5">
                <span aria-hidden className="size-3 rounded-sm" style={{ background: OVER_LIMIT_COLOUR }} /> Over the limit
              </span>
              <span className="inline-flex items-center gap-1.5">
                <span aria-hidden className="h-0 w-4 border-t-2 border-dashed" style={{ borderColor: LIMIT_LINE_COLOUR }} /> Limit per hour
              </span>
            </>
          )}
          <span className="inline-flex items-center gap-1.5">
            <span aria-hidden className="size-3 rounded-sm opacity-45" style={{ background: PREVIOUS_COLOUR }} /> {previousHeading}
          </span>
          <span className="text-slate-600">
            Times on your clock; values in kWh.{onDrill && " Click a bar to see it in detail."}
          </span>
        </figcaption>
      </figure>
      {/* The same figures as a table: for screen readers, keyboard users (no hovering) and exact values. */}
      <details className="text-sm">
        <summary className="w-fit cursor-pointer rounded text-emerald-800 underline focus-visible:outline-2 focus-visible:outline-emerald-700">Show the figures as a table</summary>
        <div className="mt-2 max-h-72 overflow-auto rounded-md border border-slate-200" tabIndex={0} role="region" aria-label={`${tableTitle} figures`}>
          <table className="w-full text-left text-sm">
            <caption className="sr-only">
              {tableTitle}: {caption}
            </caption>
            <thead className="sticky top-0 bg-slate-50 text-xs text-slate-700">
              <tr>
                <th scope="col" className="px-3 py-1.5 font-semibold">{bucketHeading}</th>
                <th scope="col" className="px-3 py-1.5 font-semibold">Consumption</th>
                <th scope="col" className="px-3 py-1.5 font-semibold">{previousHeading}</th>
                {limitKwh !== null && <th scope="col" className="px-3 py-1.5 font-semibold">Over the limit</th>}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {bars.map((bar) => (
                <tr key={bar.bucket} className={bar.over ? "text-red-800" : ""}>
                  <th scope="row" className="px-3 py-1 font-normal tabular-nums">
                    {onDrill ? (
                      <button type="button" onClick={() => onDrill(bar)} className="rounded text-emerald-800 underline focus-visible:outline-2 focus-visible:outline-emerald-700">
                        {bar.range}
                      </button>
                    ) : (
                      bar.range
                    )}
                  </th>
                  <td className="px-3 py-1 tabular-nums">{formatKwh(bar.kwh)}</td>
                  <td className="px-3 py-1 tabular-nums">{bar.previousKwh === null ? "—" : formatKwh(bar.previousKwh)}</td>
                  {limitKwh !== null && <td className="px-3 py-1">{bar.over ? "yes" : "no"}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}
