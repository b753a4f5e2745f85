import { NextResponse } from "next/server";
import { z } from "zod";
import { uuidSchema } from "~/lib/schemas.ts";
import { bearerViewer } from "~/server/domain/auth.ts";
import { devicesOfUser } from "~/server/domain/devices.ts";
import { parseInput } from "~/server/errors.ts";
import { jsonRoute } from "~/server/http.ts";

/** GET /api/devices/user/{userId} (Bearer) → 200 the user's devices; the user themself or an admin. */
export const GET = jsonRoute(async (request: Request, context: { params: Promise<{ userId: string }> }) => {
  const viewer = await bearerViewer(request.headers.get("authorization"));
  const { userId } = parseInput(z.object({ userId: uuidSchema }), await context.params);
  return NextResponse.json(await devicesOfUser(viewer, userId));
});
