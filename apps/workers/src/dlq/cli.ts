import { parseArgs } from "node:util";
import { z } from "zod";

export const USAGE = `Usage: npm run dlq -- <command> [options]
       (in the workers image: node /app/dist/dlq.mjs <command> [options])

Dead letters (ems.dead-letter.queue): look at them, and put readings back into sensor.data.queue.

  list   [--reason R] [--limit N]             counts by reason (and how many are replayable), then the
                                              first N dead letters (default 20)
  show   <position|id>                         one dead letter in full (position from 1, as list shows it)
  replay [--reason R] [--limit N] [--force]   moves matching readings that validate into sensor.data.queue
                                              (at most N), oldest first; --force also those that do not
  -h, --help

--reason R selects the dead letters whose reason starts with R (as list prints it, e.g. "unknown device").
Nothing is removed except what replay republished, after RabbitMQ confirmed it; everything else stays
where it was in the queue. Exit status: 0 done, 1 something was refused or failed, 2 bad usage.`;

const count = (what: string) => z.coerce.number({ error: `${what} must be a number` }).int({ error: `${what} must be a whole number` }).positive({ error: `${what} must be at least 1` });

export type DlqCommand =
  | { command: "help" }
  | { command: "list"; reason?: string; limit: number }
  | { command: "show"; ref: { position: number } | { id: string } }
  | { command: "replay"; reason?: string; limit?: number; force: boolean };

/** Parses the tool's command line; throws an Error with a readable message on bad input. */
export function parseDlqArgs(argv: string[]): DlqCommand {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      reason: { type: "string" },
      limit: { type: "string" },
      force: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
  const [command, ...rest] = positionals;
  if (values.help || command === "help") return { command: "help" };
  const reason = values.reason === "" ? undefined : values.reason;
  const limit = values.limit === undefined ? undefined : parse(count("--limit"), values.limit);
  const noArguments = () => {
    if (rest.length > 0) throw new Error(`${command} takes no arguments (got ${rest.join(" ")})`);
  };
  switch (command) {
    case "list":
      noArguments();
      if (values.force) throw new Error("--force applies to replay only");
      return { command: "list", reason, limit: limit ?? 20 };
    case "show": {
      if (rest.length !== 1) throw new Error("show takes one argument: a position (from 1) or a message id");
      if (reason !== undefined || limit !== undefined || values.force) throw new Error("show takes no options");
      const ref = rest[0]!;
      return { command: "show", ref: /^\d+$/.test(ref) ? { position: parse(count("the position"), ref) } : { id: ref } };
    }
    case "replay":
      noArguments();
      return { command: "replay", reason, limit, force: values.force ?? false };
    case undefined:
      throw new Error("no command: list, show or replay");
    default:
      throw new Error(`unknown command "${command}": list, show or replay`);
  }
}

function parse<T>(schema: z.ZodType<T>, value: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? "invalid value");
  return parsed.data;
}
