"use client";

import type { Device } from "../api-types.ts";
import { formatKwh } from "../format.ts";

/** The selector's entry for the total of every device. */
export const ALL_DEVICES = "all";

interface DeviceListProps {
  devices: Device[];
  /** The list's name, e.g. "My devices". */
  label: string;
  /** The entry for all of them together, e.g. "All my devices". */
  allLabel: string;
  /** A device id, or ALL_DEVICES. */
  selectedId: string | undefined;
  onSelect: (deviceId: string) => void;
}

const ENTRY_CLASSES =
  "flex w-full flex-col gap-1 rounded-lg border px-4 py-3 text-left transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700";
const entryState = (selected: boolean) => (selected ? "border-emerald-600 bg-emerald-50 ring-1 ring-emerald-600" : "border-slate-200 bg-white hover:border-slate-300");

/** A client's devices, and all of them together; choosing one shows its consumption. */
export function DeviceList({ devices, label, allLabel, selectedId, onSelect }: DeviceListProps) {
  return (
    <ul className="flex flex-col gap-2" aria-label={label}>
      <li>
        <button type="button" aria-pressed={selectedId === ALL_DEVICES} onClick={() => onSelect(ALL_DEVICES)} className={`${ENTRY_CLASSES} ${entryState(selectedId === ALL_DEVICES)}`}>
          <span className="flex items-baseline justify-between gap-3">
            <span className="font-medium break-words text-slate-900">{allLabel}</span>
            <span className="shrink-0 text-xs text-slate-700">
              {devices.length} {devices.length === 1 ? "device" : "devices"}
            </span>
          </span>
          <span className="text-sm text-slate-700">Their consumption added together</span>
        </button>
      </li>
      {devices.map((device) => {
        const selected = device.id === selectedId;
        return (
          <li key={device.id}>
            <button
              type="button"
              aria-pressed={selected}
              onClick={() => onSelect(device.id)}
              className={`${ENTRY_CLASSES} ${entryState(selected)}`}
            >
              <span className="flex items-baseline justify-between gap-3">
                <span className="font-medium break-words text-slate-900">{device.name}</span>
                <span className="shrink-0 text-xs text-slate-700">
                  limit <strong className="font-semibold">{formatKwh(device.maxHourlyConsumption)}</strong>/h
                </span>
              </span>
              {device.description && <span className="text-sm break-words text-slate-700">{device.description}</span>}
              {device.address && (
                <span className="text-xs break-words text-slate-600">
                  <span className="sr-only">Address: </span>
                  {device.address}
                </span>
              )}
            </button>
          </li>
        );
      })}
    </ul>
  );
}
