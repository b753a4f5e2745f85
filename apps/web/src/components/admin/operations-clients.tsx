"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState } from "react";
import { useTRPC } from "~/trpc/react.tsx";
import { errorMessage } from "../format.ts";
import { ErrorState, Skeleton } from "../ui/states.tsx";
import { PanelHeading } from "./operations-panel.tsx";

/** Matches listed at once: enough to pick from, short enough to read on a phone. */
const MATCHES_SHOWN = 8;

/** Where an admin sees a client's consumption (and one device of theirs): its own page, so a link can be shared. */
export function clientConsumptionHref(userId: string, deviceId?: string): string {
  return `/admin/clients/${userId}${deviceId ? `?device=${encodeURIComponent(deviceId)}` : ""}`;
}

/** A client found by username or name opens their consumption, in the same views as their dashboard's. */
export function ClientFinder({ currentId }: { currentId?: string }) {
  const trpc = useTRPC();
  const inputId = useId();
  const hintId = useId();
  const [search, setSearch] = useState("");
  const clients = useQuery(trpc.users.list.queryOptions({ role: "client" }));
  const needle = search.trim().toLowerCase();
  const matching = (clients.data ?? []).filter((client) => !needle || [client.username, client.name].some((text) => text.toLowerCase().includes(needle)));
  const shown = matching.slice(0, MATCHES_SHOWN);
  return (
    <div className="flex flex-col gap-2">
      <label htmlFor={inputId} className="text-sm font-medium text-slate-800">
        Find a client
      </label>
      <input
        id={inputId}
        type="search"
        value={search}
        onChange={(event) => setSearch(event.target.value)}
        placeholder="Username or name…"
        aria-describedby={hintId}
        autoComplete="off"
        className="h-10 w-full rounded-md border border-slate-300 bg-white px-3 text-sm focus:outline-2 focus:outline-offset-1 focus:outline-emerald-700 sm:w-80"
      />
      {clients.isPending ? (
        <Skeleton className="h-16" />
      ) : clients.isError ? (
        <ErrorState title="The clients could not be loaded" message={errorMessage(clients.error)} onRetry={() => void clients.refetch()} />
      ) : (
        <>
          <p id={hintId} role="status" className="text-sm text-slate-600">
            {matching.length === 0
              ? needle
                ? "No client matches."
                : "There are no clients yet."
              : matching.length > shown.length
                ? `${matching.length} clients match; the first ${shown.length} are listed: type more to narrow.`
                : `${matching.length} ${matching.length === 1 ? "client matches" : "clients match"}.`}
          </p>
          {shown.length > 0 && (
            <ul className="grid gap-2 sm:grid-cols-2 lg:grid-cols-4" aria-label="Matching clients">
              {shown.map((client) => (
                <li key={client.id}>
                  <Link
                    href={clientConsumptionHref(client.id)}
                    aria-current={client.id === currentId ? "page" : undefined}
                    className="flex flex-col rounded-lg border border-slate-200 bg-white px-3 py-2 hover:border-emerald-600 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700 aria-[current=page]:border-emerald-600 aria-[current=page]:bg-emerald-50"
                  >
                    <span className="font-medium break-words text-emerald-800 underline">{client.username}</span>
                    <span className="text-xs break-words text-slate-700">
                      {client.name} · {client.deviceCount} {client.deviceCount === 1 ? "device" : "devices"}
                    </span>
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </div>
  );
}

/** The console's way to any client's consumption. */
export function ClientsPanel() {
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} className="flex flex-col gap-3">
      <PanelHeading id={headingId} title="Clients' consumption">
        A client&apos;s devices and consumption by day, week, month or year, as on their own dashboard.
      </PanelHeading>
      <ClientFinder />
    </section>
  );
}
