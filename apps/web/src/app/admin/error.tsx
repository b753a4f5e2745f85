"use client";

import { RouteError } from "~/components/ui/route-error.tsx";

export default function AdminError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <RouteError title="This part of the console could not be shown" error={error} reset={reset} />;
}
