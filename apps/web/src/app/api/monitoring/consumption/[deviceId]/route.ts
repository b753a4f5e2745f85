import { NextResponse } from "next/server";
import { devicePeriodInputSchema } from "~/lib/consumption-periods.ts";
import { consumptionInputSchema } from "~/lib/schemas.ts";
import { bearerViewer } from "~/server/domain/auth.ts";
import { consumptionForDay, deviceConsumptionOverPeriod } from "~/server/domain/monitoring.ts";
import { badRequest, parseInput } from "~/server/errors.ts";
import { jsonRoute } from "~/server/http.ts";
import { periodConsumptionResponse, periodParams } from "../period-query.ts";

/**
 * GET /api/monitoring/consumption/{deviceId} (Bearer), the owner or an admin, in two forms:
 * - `?date=YYYY-MM-DD[&tz=Area/City]` (the contract's) → the day's hourly kWh: 24 values for a UTC
 *   day, 23-25 for a local day across a DST change;
 * - `?from=&to=&resolution=hour|day|month[&tz=]` → kWh per bucket of [from, to) with the period before.
 */
export const GET = jsonRoute(async (request: Request, context: { params: Promise<{ deviceId: string }> }) => {
  const viewer = await bearerViewer(request.headers.get("authorization"));
  const query = new URL(request.url).searchParams;
  const deviceId = (await context.params).deviceId;
  const periodForm = ["from", "to", "resolution"].some((name) => query.has(name));
  if (periodForm && query.has("date")) throw badRequest("give either date, or from, to and resolution — not both");
  if (periodForm) {
    const input = parseInput(devicePeriodInputSchema, { deviceId, ...periodParams(query) });
    return periodConsumptionResponse(await deviceConsumptionOverPeriod(viewer, input));
  }
  const input = parseInput(consumptionInputSchema, { deviceId, date: query.get("date") ?? undefined, tz: query.get("tz") ?? undefined });
  return NextResponse.json(await consumptionForDay(viewer, input));
});
