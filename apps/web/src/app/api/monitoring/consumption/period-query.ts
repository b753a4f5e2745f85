import { NextResponse } from "next/server";
import { periodConsumptionSchema, type PeriodConsumption } from "~/lib/consumption-periods.ts";

/** The period parameters of a consumption URL (`?from=&to=&resolution=&tz=`), for the routes' zod input schemas. */
export function periodParams(query: URLSearchParams) {
  return {
    from: query.get("from") ?? undefined,
    to: query.get("to") ?? undefined,
    resolution: query.get("resolution") ?? undefined,
    tz: query.get("tz") ?? undefined,
  };
}

/**
 * The answer, checked against its published schema. A mismatch is our fault: a plain Error (500),
 * not the ZodError the route wrapper would report as the caller's bad input.
 */
export function periodConsumptionResponse(result: PeriodConsumption): NextResponse {
  const checked = periodConsumptionSchema.safeParse(result);
  if (!checked.success) throw new Error("a consumption answer does not match its schema", { cause: checked.error });
  return NextResponse.json(checked.data);
}
