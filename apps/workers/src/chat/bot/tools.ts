import type { ChatCompletionFunctionTool } from "openai/resources/chat/completions";
import { z } from "zod";
import { isIanaTimeZone } from "@ems/contracts/time-zone";
import type { BotAsker } from "./bot.ts";
import type { UserDataReader } from "./user-data.ts";

/**
 * The AI's read-only tools on the asking user's own data. The model chooses the tool and its
 * arguments; the server supplies whose data it is (the socket's user), so no argument can reach
 * another user's devices. Bad arguments and failures are told to the model as `{error}`, never thrown.
 */

const MAX_PERIOD_DAYS = 366;
const MAX_ALERTS = 20;

const isoDay = z.iso.date({ error: "must be a date YYYY-MM-DD" });
const timeZone = z.string().refine(isIanaTimeZone, "must be an IANA time zone such as Europe/Berlin").optional();

const consumptionArgs = z
  .object({ from: isoDay, to: isoDay, device_id: z.uuid({ error: "must be a device id from list_my_devices" }).optional(), time_zone: timeZone })
  .refine(({ from, to }) => from <= to, "from must not be after to")
  .refine(({ from, to }) => (Date.parse(to) - Date.parse(from)) / 86_400_000 < MAX_PERIOD_DAYS, `the period may span at most ${MAX_PERIOD_DAYS} days`);
const alertsArgs = z.object({ limit: z.number().int().min(1).max(MAX_ALERTS).default(10) });

const objectSchema = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: "object",
  properties,
  required,
  additionalProperties: false,
});

export const USER_DATA_TOOLS: ChatCompletionFunctionTool[] = [
  {
    type: "function",
    function: {
      name: "list_my_devices",
      description: "The user's own metering devices: id, name, description, address and maximum hourly consumption (kWh).",
      parameters: objectSchema({}),
    },
  },
  {
    type: "function",
    function: {
      name: "get_my_consumption",
      description:
        "The user's energy consumption (kWh) from the start of day `from` to the end of day `to`, in total, per device and " +
        "(for up to 31 days) per day. All of the user's devices unless device_id names one of them.",
      parameters: objectSchema(
        {
          from: { type: "string", description: "First day, YYYY-MM-DD." },
          to: { type: "string", description: "Last day (inclusive), YYYY-MM-DD." },
          device_id: { type: "string", description: "Optional: one device's id from list_my_devices." },
          time_zone: { type: "string", description: "IANA time zone the days are in; the user's own zone if omitted." },
        },
        ["from", "to"],
      ),
    },
  },
  {
    type: "function",
    function: {
      name: "get_my_alerts",
      description:
        "The user's latest alarms, newest first, each active or cleared, acknowledged or not, with when it was raised (UTC). " +
        "kind over_consumption: a device went over its limit in a clock hour (hour, kWh in that hour, the limit; cleared when the hour ends). " +
        "kind device_silent: a device stopped reporting (lastReadingAt: its last reading before; clearedAt: when it reported again).",
      parameters: objectSchema({ limit: { type: "integer", description: `How many, 1-${MAX_ALERTS} (default 10).` } }),
    },
  },
];

/** Serialized as JSON for the model. */
type ToolResult = object;

function parse<S extends z.ZodType>(schema: S, argumentsJson: string): { data: z.output<S> } | { error: string } {
  let value: unknown;
  try {
    value = argumentsJson.trim() === "" ? {} : JSON.parse(argumentsJson);
  } catch {
    return { error: "arguments are not valid JSON" };
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return { data: parsed.data };
  const issue = parsed.error.issues[0];
  return { error: `${issue?.path.join(".") || "arguments"}: ${issue?.message ?? "invalid"}` };
}

export class UserDataTools {
  constructor(private readonly reader: UserDataReader) {}

  readonly definitions = USER_DATA_TOOLS;

  has(name: string): boolean {
    return USER_DATA_TOOLS.some((tool) => tool.function.name === name);
  }

  /** Runs tool `name` for the asker (the socket's user; days in their zone by default): the JSON the model is given back. */
  async run(asker: BotAsker, name: string, argumentsJson: string): Promise<ToolResult> {
    switch (name) {
      case "list_my_devices":
        return { devices: await this.reader.devices(asker.id) };
      case "get_my_consumption": {
        const args = parse(consumptionArgs, argumentsJson);
        if ("error" in args) return args;
        const { from, to, device_id: deviceId, time_zone: zone = asker.timeZone } = args.data;
        const consumption = await this.reader.consumption(asker.id, { from, to, timeZone: zone, deviceId });
        return consumption ?? { error: "device_id is not one of the user's devices; only their own devices can be read" };
      }
      case "get_my_alerts": {
        const args = parse(alertsArgs, argumentsJson);
        if ("error" in args) return args;
        return { alerts: await this.reader.alerts(asker.id, args.data.limit) };
      }
      default:
        return { error: `unknown tool ${name}` };
    }
  }

  close(): Promise<void> {
    return this.reader.close();
  }
}
