/** The logging surface the broker needs; processes pass their own (prefixed, levelled) logger. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type LogLevel = "debug" | "info" | "warn" | "error";
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Readable one-line logs prefixed with the process name, e.g. `12:00:01 [balancer] info  connected`. */
export function consoleLogger(name: string, level: LogLevel = "info"): Logger {
  const write = (at: LogLevel) => (message: string) => {
    if (LEVELS[at] < LEVELS[level]) return;
    const line = `${new Date().toISOString().slice(11, 23)} [${name}] ${at.padEnd(5)} ${message}`;
    if (at === "error" || at === "warn") console.error(line);
    else console.log(line);
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}
