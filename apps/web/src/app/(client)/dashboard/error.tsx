"use client";

import { RouteError } from "~/components/ui/route-error.tsx";

export default function DashboardError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <RouteError title="The dashboard could not be shown" error={error} reset={reset} />;
}
