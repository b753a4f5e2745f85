"use client";

import { useEffect } from "react";
import { Button } from "./button.tsx";

/** The body of a route's error.tsx: what happened, a retry, and a way home. */
export function RouteError({ title, error, reset }: { title: string; error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <div role="alert" className="mx-auto flex max-w-lg flex-col items-start gap-3 rounded-xl border border-red-300 bg-red-50 p-6 text-red-950">
      <h1 className="text-lg font-semibold">{title}</h1>
      {/* In production, server errors reach the browser without their message; the digest finds them in the logs. */}
      <p className="text-sm">
        Something went wrong while loading this page.{error.digest ? ` (Reference ${error.digest}.)` : ""} Try again; if it keeps happening, tell an
        administrator.
      </p>
      <Button onClick={reset}>Try again</Button>
    </div>
  );
}
