import { NextResponse } from "next/server";
import { checkDatabases } from "~/server/domain/health.ts";
import { outboxRelayStatus } from "~/server/outbox/start.ts";

export const dynamic = "force-dynamic";

/**
 * GET /api/health for the gateway and the orchestrator: 200 when every database answers, else 503.
 * RabbitMQ being down does not make the app unhealthy (changes wait in the outbox); it is reported.
 */
export async function GET(): Promise<Response> {
  const databases = await checkDatabases();
  const healthy = Object.values(databases).every((state) => state === "ok");
  return NextResponse.json(
    { status: healthy ? "ok" : "unavailable", databases, outboxRelay: outboxRelayStatus() },
    { status: healthy ? 200 : 503, headers: { "Cache-Control": "no-store" } },
  );
}
