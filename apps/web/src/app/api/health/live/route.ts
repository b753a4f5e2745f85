import { NextResponse } from "next/server";

export const dynamic = "force-dynamic";

/**
 * GET /api/health/live, liveness for the container health check: 200 {"status":"ok"} whenever the
 * process can answer. It touches no database on purpose: restarting a replica does not bring a
 * database back, and killing every replica for one would take sign-in down with it.
 */
export function GET(): Response {
  return NextResponse.json({ status: "ok" }, { headers: { "Cache-Control": "no-store" } });
}
