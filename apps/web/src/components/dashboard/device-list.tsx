"use client";

import type { Device } from "../api-types.ts";
import { formatKwh } from "../format.ts";

interface DeviceListProps {
  devices: Device[];
  selectedId: string | undefined;
  onSelect: (deviceId: string) => void;
}

/** The client's devices; choosing one shows its consumption. */
export function DeviceList({ devices, selectedId, onSelect }: DeviceListProps) {
  return (
    <ul className="flex flex-col gap-2" aria-label="My devices">
      {devices.map((device) => {
        const selected = device.id === selectedId;
        return (
          <li key={device.id}>
            <button
              type="button"
              aria-pressed={selected}
              onClick={() => onSelect(device.id)}
              className={`flex w-full flex-col gap-1 rounded-lg border px-4 py-3 text-left transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700 ${
                selected ? "border-emerald-600 bg-emerald-50 ring-1 ring-emerald-600" : "border-slate-200 bg-white hover:border-slate-300"
              }`}
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
