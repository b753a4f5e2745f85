import type { Logger } from "@ems/messaging";

/**
 * Runs `stop` once on SIGTERM (Swarm/Docker stop) or SIGINT (Ctrl-C), then exits: 0 after a clean
 * stop, 1 if stopping failed. A second signal while stopping exits at once, for an impatient operator;
 * unacknowledged messages are then simply redelivered.
 */
export function stopOnSignals(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn(`${signal} again: exiting without waiting for in-flight work`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: finishing in-flight work, then stopping`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error(`stopping failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

/** Logs and exits when a process cannot start, e.g. on invalid configuration. */
export function exitOnStartupFailure(log: Logger): (error: unknown) => never {
  return (error) => {
    log.error(`could not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  };
}
