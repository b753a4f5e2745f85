import "server-only";

/**
 * Graceful shutdown of the web server. On SIGTERM (Swarm stopping a task, e.g. in a rolling update)
 * the process first keeps serving for `drainMs` while readiness (/api/health) answers 503, so that the
 * gateway stops routing here before the port closes — Traefik learns of a stopping task only at its
 * next poll of the Docker API. Then it stops the outbox relay (the pass in progress finishes) and exits.
 * Next.js's own handler, which would exit at once, is off in the image (NEXT_MANUAL_SIG_HANDLE=1).
 * A shutdown that hangs is cut short: a second signal, or `drainMs` + 10 s, exits at once.
 */
const state = globalThis as unknown as { __emsDraining?: boolean };

/** True from the moment a stop signal arrived: readiness fails so the gateway routes elsewhere. */
export function isDraining(): boolean {
  return state.__emsDraining === true;
}

export function drainOnSignals(options: { drainMs: number; stop: () => Promise<void>; log: (message: string) => void }): void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (state.__emsDraining) {
      options.log(`${signal} again: exiting now`);
      process.exit(1);
    }
    state.__emsDraining = true;
    options.log(`${signal}: draining for ${options.drainMs} ms (readiness answers 503), then stopping`);
    const tooLong = setTimeout(() => {
      options.log("shutdown took too long: exiting");
      process.exit(1);
    }, options.drainMs + 10_000).unref();
    setTimeout(() => {
      options.stop().then(
        () => {
          clearTimeout(tooLong);
          process.exit(0);
        },
        (error: unknown) => {
          clearTimeout(tooLong);
          options.log(`stopping failed: ${String(error)}`);
          process.exit(1);
        },
      );
    }, options.drainMs);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
