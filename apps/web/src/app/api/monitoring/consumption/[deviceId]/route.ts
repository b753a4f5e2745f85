import { NextResponse } from "next/server";
import { consumptionInputSchema } from "~/lib/schemas.ts";
import { bearerViewer } from "~/server/domain/auth.ts";
import { consumptionForDay } from "~/server/domain/monitoring.ts";
import { parseInput } from "~/server/errors.ts";
import { jsonRoute } from "~/server/http.ts";

/**
 * GET /api/monitoring/consumption/{deviceId}?date=YYYY-MM-DD[&tz=Area/City] (Bearer) → 200 the
 * day's hourly kWh: 24 values for a UTC day, 23-25 for a local day across a DST change.
 */
export const GET = jsonRoute(async (request: Request, context: { params: Promise<{ deviceId: string }> }) => {
  const viewer = await bearerViewer(request.headers.get("authorization"));
  const query = new URL(request.url).searchParams;
  const input = parseInput(consumptionInputSchema, {
    deviceId: (await context.params).deviceId,
    date: query.get("date") ?? undefined,
    tz: query.get("tz") ?? undefined,
  });
  return NextResponse.json(await consumptionForDay(viewer, input));
});
