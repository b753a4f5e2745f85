import { NextResponse } from "next/server";
import { getSessionViewer } from "~/server/auth.ts";
import { bearerViewer } from "~/server/domain/auth.ts";
import { checkReadiness, healthBody, within } from "~/server/domain/health.ts";
import { outboxRelayStatus } from "~/server/outbox/start.ts";
import { isDraining } from "~/server/shutdown.ts";
import type { Viewer } from "~/server/viewer.ts";

export const dynamic = "force-dynamic";

/**
 * Who asks, for the details only: the user of an `Authorization: Bearer` token (as the REST routes
 * verify it) or of the session cookie, else null. A missing, invalid, expired or revoked credential is
 * null, not a 401 — the probe answers everyone — and so is one that cannot be checked in time (the
 * auth database down). The gateway sends neither header, so its probe touches no credential.
 */
async function viewerOf(request: Request): Promise<Viewer | null> {
  if (request.headers.has("authorization")) return within(() => bearerViewer(request.headers.get("authorization")), null);
  if (request.headers.get("cookie")) return within(() => getSessionViewer(), null);
  return null;
}

/**
 * GET /api/health, readiness for the gateway: 200 while the auth database answers (sign-in works),
 * `status` "ok" when every database answers and "degraded" when another one does not; 503
 * "unavailable" when auth does not. While the process drains after SIGTERM it answers 503
 * "draining", so the gateway routes elsewhere. Everyone gets only `{status}`; an admin (Bearer
 * token or session) also gets each database's state (`databases`) and the outbox relay's
 * (`outboxRelay`, with its last error). RabbitMQ being down is reported
 * (`outboxRelay.brokerConnected`) but changes nothing: changes wait in the outbox.
 * The container health check uses /api/health/live instead, which touches no database.
 */
export async function GET(request: Request): Promise<Response> {
  const [readiness, viewer] = await Promise.all([checkReadiness(), viewerOf(request)]);
  const status = isDraining() ? "draining" : readiness.status;
  const body = healthBody(status, { databases: readiness.databases, outboxRelay: outboxRelayStatus() }, viewer);
  return NextResponse.json(body, {
    status: status === "unavailable" || status === "draining" ? 503 : 200,
    headers: { "Cache-Control": "no-store" },
  });
}
