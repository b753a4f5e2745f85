/** What the shutdown path logs through; @ems/messaging's Logger is one. */
export interface StopLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** How long a stop may take before the process gives up waiting and exits 1 (below Swarm's 30 s grace period). */
export const STOP_DEADLINE_MS = 15_000;

export interface StopOnSignalsOptions {
  /** A stop still running after this long exits 1 (default {@link STOP_DEADLINE_MS}). */
  deadlineMs?: number;
}

/**
 * The one shutdown path of every EMS process (web and workers): runs `stop` once on SIGTERM
 * (Swarm/Docker stop) or SIGINT (Ctrl-C), then exits 0 after a clean stop, 1 if stopping failed. A
 * stop that hangs (a connection that never closes) exits 1 after `deadlineMs`; a second signal while
 * stopping exits 1 at once, for an impatient operator. Unacknowledged messages are then simply
 * redelivered. `stop` starts synchronously within the signal, so its first statement (e.g. marking
 * the process as draining) holds before any other code runs.
 */
export function stopOnSignals(log: StopLogger, stop: () => Promise<void>, { deadlineMs = STOP_DEADLINE_MS }: StopOnSignalsOptions = {}): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn(`${signal} again: exiting without waiting for in-flight work`);
      return process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: finishing in-flight work, then stopping`);
    // Not unref'd: if `stop` hangs on a promise that nothing keeps alive, this still decides the exit code.
    const deadline = setTimeout(() => {
      log.error(`still stopping after ${deadlineMs / 1000} s: exiting without waiting any longer`);
      process.exit(1);
    }, deadlineMs);
    const exit = (code: number) => {
      clearTimeout(deadline);
      process.exit(code);
    };
    new Promise<void>((resolve) => resolve(stop())).then(
      () => exit(0),
      (error: unknown) => {
        log.error(`stopping failed: ${error instanceof Error ? error.message : String(error)}`);
        exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

/** Logs and exits when a process cannot start, e.g. on invalid configuration. */
export function exitOnStartupFailure(log: StopLogger): (error: unknown) => never {
  return (error) => {
    log.error(`could not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  };
}
