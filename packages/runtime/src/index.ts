export { STOP_DEADLINE_MS, exitOnStartupFailure, stopOnSignals } from "./stop-on-signals.ts";
export type { StopLogger, StopOnSignalsOptions } from "./stop-on-signals.ts";
