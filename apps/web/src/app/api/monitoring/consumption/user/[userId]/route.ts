import { userPeriodInputSchema } from "~/lib/consumption-periods.ts";
import { bearerViewer } from "~/server/domain/auth.ts";
import { userConsumptionOverPeriod } from "~/server/domain/monitoring.ts";
import { parseInput } from "~/server/errors.ts";
import { jsonRoute } from "~/server/http.ts";
import { periodConsumptionResponse, periodParams } from "../../period-query.ts";

/**
 * GET /api/monitoring/consumption/user/{userId}?from=&to=&resolution=hour|day|month[&tz=] (Bearer)
 * → all of that client's devices together, per bucket, with the period before; the client themself
 * or an admin, else 403.
 */
export const GET = jsonRoute(async (request: Request, context: { params: Promise<{ userId: string }> }) => {
  const viewer = await bearerViewer(request.headers.get("authorization"));
  const query = new URL(request.url).searchParams;
  const input = parseInput(userPeriodInputSchema, { userId: (await context.params).userId, ...periodParams(query) });
  return periodConsumptionResponse(await userConsumptionOverPeriod(viewer, input));
});
