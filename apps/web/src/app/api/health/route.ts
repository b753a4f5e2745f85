import { NextResponse } from "next/server";
import { checkReadiness } from "~/server/domain/health.ts";
import { outboxRelayStatus } from "~/server/outbox/start.ts";
import { isDraining } from "~/server/shutdown.ts";

export const dynamic = "force-dynamic";

/**
 * GET /api/health, readiness for the gateway: 200 while the auth database answers (sign-in works),
 * `status` "ok" when every database answers and "degraded" when another one does not; 503
 * "unavailable" when auth does not. Each database's state is in `databases`. RabbitMQ being down is
 * reported (`outboxRelay.brokerConnected`) but changes nothing: changes wait in the outbox.
 * While the process drains after SIGTERM it answers 503 "draining", so the gateway routes elsewhere.
 * The container health check uses /api/health/live instead, which touches no database.
 */
export async function GET(): Promise<Response> {
  const readiness = await checkReadiness();
  const { databases } = readiness;
  const status = isDraining() ? "draining" : readiness.status;
  return NextResponse.json(
    { status, databases, outboxRelay: outboxRelayStatus() },
    { status: status === "unavailable" || status === "draining" ? 503 : 200, headers: { "Cache-Control": "no-store" } },
  );
}
