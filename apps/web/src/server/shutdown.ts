import "server-only";
import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { STOP_DEADLINE_MS, stopOnSignals } from "@ems/runtime";

/**
 * Graceful shutdown of the web server, through the one shutdown path of every EMS process
 * (`stopOnSignals` of @ems/runtime). On SIGTERM (Swarm stopping a task, e.g. in a rolling update):
 * 1. readiness (/api/health) answers 503 at once while the process keeps serving for `drainMs`, so
 *    that the gateway stops routing here before the port closes — Traefik learns of a stopping task
 *    only at its next poll of the Docker API;
 * 2. the HTTP server stops accepting connections and the requests in progress finish;
 * 3. `stop` runs (the outbox relays finish their pass, the broker connection closes), then exit 0.
 * Next.js's own handler, which would exit at once, is off in the image (NEXT_MANUAL_SIG_HANDLE=1).
 * A second signal exits at once; a shutdown still running `drainMs` + 15 s after the signal exits 1
 * (Swarm's stop_grace_period must be longer, or it kills the task first).
 */
const state = globalThis as unknown as { __emsDraining?: boolean };

/** True from the moment a stop signal arrived: readiness fails so the gateway routes elsewhere. */
export function isDraining(): boolean {
  return state.__emsDraining === true;
}

/**
 * The HTTP servers of this process and their requests in progress. Next.js does not hand out its
 * server, so both are seen through Node's `http.server.request.start` diagnostics channel.
 */
const http = { servers: new Set<Server>(), inFlight: 0, onIdle: [] as (() => void)[], tracking: false };

function trackRequests(): void {
  if (http.tracking) return;
  http.tracking = true;
  subscribe("http.server.request.start", (message) => {
    const { server, response } = message as { server: Server; response: ServerResponse<IncomingMessage> };
    http.servers.add(server);
    http.inFlight++;
    // `close` also fires for a response the client abandoned, which `finish` would not.
    response.once("close", () => {
      if (--http.inFlight === 0) for (const resolve of http.onIdle.splice(0)) resolve();
    });
  });
}

/** Stops accepting connections, closes idle keep-alive ones, and waits for the requests in progress. */
async function closeHttpServers(log: (message: string) => void): Promise<void> {
  for (const server of http.servers) {
    server.close();
    server.closeIdleConnections();
  }
  if (http.inFlight === 0) return;
  log(`waiting for ${http.inFlight} request(s) in progress`);
  await new Promise<void>((resolve) => http.onIdle.push(resolve));
}

export function drainOnSignals(options: { drainMs: number; stop: () => Promise<void>; log: (message: string) => void }): void {
  const { drainMs, stop, log } = options;
  trackRequests();
  stopOnSignals(
    { info: log, warn: log, error: log },
    async () => {
      state.__emsDraining = true;
      log(`draining for ${drainMs} ms (readiness answers 503), then stopping`);
      await new Promise((resolve) => setTimeout(resolve, drainMs));
      await closeHttpServers(log);
      await stop();
    },
    { deadlineMs: drainMs + STOP_DEADLINE_MS },
  );
}
