import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { parseCsvValues } from "./csv.ts";
import { READING_INTERVAL_MS } from "./load-profile.ts";
import type { SimulatorConfig } from "./simulator.ts";

export const USAGE = `Usage: npm run start:simulator -w @ems/workers -- [options]

Publishes one reading per device every 10 simulated minutes to sensor.data.queue.

Devices (at least one):
  -d, --device <uuid>        a device id (repeatable)
      --devices-file <path>  device ids, one per line (# comments allowed)
Values:
      --csv <path>           replay values from a CSV, one kWh value per line (cycles); default: a daily load profile
      --time-zone <zone>     IANA zone whose clock the profile's morning/evening peaks follow (default UTC)
Time:
      --start <time>         simulated start, ISO 8601 (default: now); rounded down to 10 minutes
      --end <time>           stop before this simulated time
  -n, --count <n>            readings per device, then stop
      --speed <x|max>        simulated minutes per real minute (default 1 = live); max = as fast as possible
Throughput:
      --rate <n>             at most n messages per second
      --in-flight <n>        unconfirmed publishes at once (default 500)
  -h, --help

Simulated time never runs ahead of the real clock (readings from the future are rejected), so a
fast replay that reaches the present continues live. Ctrl-C stops after the in-flight publishes
are confirmed. A progress bar is shown when the run has an end (--end or --count).

Example: replay yesterday for three devices as fast as possible:
  npm run start:simulator -w @ems/workers -- -d <id> -d <id> -d <id> --start 2026-11-26T00:00Z --end 2026-11-27T00:00Z --speed max`;

/** ISO 8601 date or date-time ("2026-11-26", "2026-11-26T06:00Z", "2026-11-26T06:00:00+02:00"); without a zone, local time. */
const isoTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/, { error: "must be an ISO 8601 time such as 2026-11-26T00:00Z" })
  .transform((value) => Date.parse(value))
  .refine((time) => !Number.isNaN(time), { error: "is not a valid date" });

const argsSchema = z
  .object({
    device: z.array(z.uuid({ error: (issue) => `"${String(issue.input)}" is not a UUID` })).default([]),
    "devices-file": z.string().optional(),
    csv: z.string().optional(),
    "time-zone": z
      .string()
      .default("UTC")
      .refine((zone) => isTimeZone(zone), { error: "must be an IANA time zone such as Europe/Bucharest" }),
    start: isoTime.optional(),
    end: isoTime.optional(),
    count: z.coerce.number({ error: "must be a number" }).int().positive().optional(),
    speed: z.union([z.literal("max"), z.coerce.number().positive()], { error: "must be a positive number or max" }).default(1),
    rate: z.coerce.number({ error: "must be a number" }).positive().optional(),
    "in-flight": z.coerce.number({ error: "must be a number" }).int().min(1).max(100_000).default(500),
  })
  .refine((args) => args.start === undefined || args.end === undefined || args.end > args.start, { error: "must be after --start", path: ["end"] });

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export type CliResult = { help: true } | { help: false; config: SimulatorConfig };

/** Parses the simulator's command line; throws an Error with a readable message on bad input. */
export function parseSimulatorArgs(argv: string[], now: number = Date.now(), readFile = (path: string) => readFileSync(path, "utf8")): CliResult {
  const { values } = parseArgs({
    args: argv,
    options: {
      device: { type: "string", short: "d", multiple: true },
      "devices-file": { type: "string" },
      csv: { type: "string" },
      "time-zone": { type: "string" },
      start: { type: "string" },
      end: { type: "string" },
      count: { type: "string", short: "n" },
      speed: { type: "string" },
      rate: { type: "string" },
      "in-flight": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return { help: true };
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => (issue.path.length ? `--${issue.path[0]!.toString()}: ` : "") + issue.message).join("\n"));
  const args = parsed.data;

  const deviceIds = [...args.device];
  if (args["devices-file"]) deviceIds.push(...readDeviceFile(readFile(args["devices-file"]), args["devices-file"]));
  if (deviceIds.length === 0) throw new Error("no devices: pass --device <uuid> or --devices-file <path>");
  const start = args.start ?? now;

  return {
    help: false,
    config: {
      deviceIds: [...new Set(deviceIds.map((id) => id.toLowerCase()))],
      start: start - (start % READING_INTERVAL_MS),
      end: args.end,
      readingsPerDevice: args.count,
      speed: args.speed,
      ratePerSecond: args.rate,
      csvValues: args.csv ? parseCsvValues(readFile(args.csv), args.csv) : undefined,
      timeZone: args["time-zone"],
      maxInFlight: args["in-flight"],
    },
  };
}

function readDeviceFile(text: string, source: string): string[] {
  const uuid = z.uuid();
  return text.split(/\r?\n/).flatMap((line, index) => {
    const id = line.replace(/#.*/, "").trim();
    if (id === "") return [];
    if (!uuid.safeParse(id).success) throw new Error(`${source}:${index + 1}: "${id}" is not a device id (UUID)`);
    return [id];
  });
}
