import OpenAI from "openai";
import type { ChatCompletionFunctionTool, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { Logger } from "@ems/messaging";
import { MESSAGE_BODY_MAX_LENGTH } from "@ems/contracts/socket";
import type { AiConfig } from "../config.ts";
import { matchRule } from "./rules.ts";
import { SlidingWindowLimiter } from "../rate-limit.ts";
import { UserDataTools } from "./tools.ts";
import { UserDataReader } from "./user-data.ts";

export type BotReply = { source: "rule" | "ai" | "fallback"; body: string };

/** Earlier Bot-mode turns of the same conversation, oldest first, given to the AI as context. */
export interface ChatTurn {
  role: "user" | "assistant";
  content: string;
}

export const SYSTEM_PROMPT = [
  "You are the support assistant of EMS, an Energy Management System.",
  "EMS users are clients (households, small businesses) and administrators. Clients see their own smart-metering",
  "devices (name, description, address, maximum hourly consumption in kWh), consumption charts for one device or all",
  "of them by day (hourly bars, the limit drawn as a line, hours over it in red), week, month (daily bars) or year",
  "(monthly bars), compared with the period before, with drill-down and CSV export, live updates while readings",
  "arrive, and alarms: an over-consumption alert the moment a device's total for a clock hour first exceeds its limit",
  "(active until that hour ends), and a \"device silent\" alarm when a meter that had reported sends nothing for a",
  "while (cleared when it reports again). Alarms are listed with their state and can be acknowledged.",
  "Administrators create users and devices, assign devices to clients, set limits, and answer chats.",
  "Clients cannot change devices or limits themselves; administrators answer Monday to Friday, 09:00-17:00 CET.",
  "EMS does not issue bills; cost = kWh x the supplier's tariff.",
  "Answer briefly (at most about 120 words), in plain text, in the user's language. Never invent account data,",
  "readings or prices. Stay on topics related to EMS and energy use.",
  "When you cannot help — the request needs an administrator (a change to an account, device or limit, a fault to",
  "report), or you do not know the answer — call the hand_off_to_admin tool instead of answering: the user is then",
  "offered a one-click handoff of the conversation to an administrator.",
].join(" ");

/** Under every reply for which `offersHandoff` holds, the client sees this button (apps/web chat). */
const HANDOFF_HINT = "Press “Ask an administrator” below and I will pass your question on, with our conversation, to a person.";

export const FALLBACK_REPLY = `Sorry, I can't answer that right now. ${HANDOFF_HINT}`;

/** The AI said it cannot help (it called the handoff tool). */
export const DECLINED_REPLY = `I can't help with that one, but an administrator can. ${HANDOFF_HINT}`;

export const RATE_LIMITED_REPLY = `You have asked me a lot of questions in a short time, so I am pausing for a minute. ${HANDOFF_HINT}`;

/** The tool the AI calls to say it cannot help. */
export const HANDOFF_TOOL_NAME = "hand_off_to_admin";
const HANDOFF_TOOL: ChatCompletionFunctionTool = {
  type: "function",
  function: {
    name: HANDOFF_TOOL_NAME,
    description: "Offer the user a handoff to a human administrator, because you cannot answer or the request needs an administrator.",
    parameters: {
      type: "object",
      properties: { reason: { type: "string", description: "Why an administrator is needed, in a few words." } },
      required: ["reason"],
      additionalProperties: false,
    },
  },
};

const AI_MAX_TOKENS = 400;

/** Model → tools → model rounds within one answer; a model still calling tools after them gets the fallback. */
const MAX_TOOL_ROUNDS = 3;

/** Who asks the bot: the socket's verified user and the time zone their client reported (UTC if none). */
export interface BotAsker {
  id: string;
  timeZone: string;
}

/** "Monday 2026-11-30 12:05" on the clock of `timeZone`. */
const wallClock = (now: Date, timeZone: string) =>
  `${now.toLocaleDateString("en-US", { timeZone, weekday: "long" })} ${now.toLocaleString("sv-SE", { timeZone, dateStyle: "short", timeStyle: "short" })}`;

/**
 * Told to the model when it may read the user's data: which day it is where the user is (questions say
 * "yesterday", "this morning"), and that the consumption tool counts the user's days unless told otherwise.
 */
const dataNote = (now: Date, timeZone: string) =>
  `It is now ${wallClock(now, timeZone)} in the user's time zone, ${timeZone} (${now.toISOString().slice(0, 16)} UTC). ` +
  "You may read the asking user's own devices, consumption and alerts with the tools list_my_devices, " +
  "get_my_consumption (days are the user's days unless you pass another time_zone) and get_my_alerts (only theirs, " +
  "never anyone else's): use them for questions about their data instead of guessing.";

/**
 * The Bot mode: keyword rules first; otherwise Grok through xAI's OpenAI-compatible chat completions API
 * (bounded by a timeout and a per-user rate limit), which may read the asking user's own data through
 * read-only tools when `config.userData` is set. Without a key, when the AI fails, or when it says it
 * cannot help, a "fallback" reply, which offers a handoff to the administrators. Never throws.
 */
export class SupportBot {
  private readonly client: OpenAI | undefined;
  private readonly limiter: SlidingWindowLimiter;
  private readonly tools: UserDataTools | undefined;

  constructor(
    private readonly config: AiConfig,
    private readonly log: Logger,
  ) {
    this.client =
      config.apiKey === undefined
        ? undefined
        : new OpenAI({ apiKey: config.apiKey, baseURL: config.baseUrl, timeout: config.timeoutMs, maxRetries: 0 });
    this.limiter = new SlidingWindowLimiter(config.ratePerMinute, 60_000);
    this.tools = this.client && config.userData ? new UserDataTools(new UserDataReader(config.userData)) : undefined;
  }

  /** `context` is only loaded when the AI is asked. */
  async answer(asker: BotAsker, question: string, context: () => Promise<ChatTurn[]>): Promise<BotReply> {
    const rule = matchRule(question);
    if (rule) return { source: "rule", body: rule.answer };
    if (!this.client) return { source: "fallback", body: FALLBACK_REPLY };
    if (!this.limiter.tryTake(asker.id)) return { source: "fallback", body: RATE_LIMITED_REPLY };
    try {
      return await this.askAi(this.client, asker, [
        { role: "system", content: SYSTEM_PROMPT },
        ...(this.tools ? [{ role: "system" as const, content: dataNote(new Date(), asker.timeZone) }] : []),
        ...(await context()),
        { role: "user", content: question },
      ]);
    } catch (error) {
      this.log.warn(`AI request failed (${describeAiError(error)}); sending the fallback reply`);
      return { source: "fallback", body: FALLBACK_REPLY };
    }
  }

  /** The conversation with the model: its tool calls on the asker's data are run and answered until it replies. */
  private async askAi(client: OpenAI, asker: BotAsker, messages: ChatCompletionMessageParam[]): Promise<BotReply> {
    // One deadline for the whole answer, tool rounds included.
    const signal = AbortSignal.timeout(this.config.timeoutMs);
    const tools = [HANDOFF_TOOL, ...(this.tools?.definitions ?? [])];
    for (let round = 0; ; round++) {
      const completion = await client.chat.completions.create(
        { model: this.config.model, messages, max_tokens: AI_MAX_TOKENS, temperature: 0.3, tools },
        // The SDK's timeout covers the wait for response headers; the signal bounds the whole call.
        { timeout: this.config.timeoutMs, signal },
      );
      const message = completion.choices[0]?.message;
      const calls = (message?.tool_calls ?? []).filter((call) => call.type === "function");
      if (calls.some((call) => call.function.name === HANDOFF_TOOL_NAME)) {
        this.log.info(`AI offered a handoff to an administrator to user ${asker.id}`);
        return { source: "fallback", body: DECLINED_REPLY };
      }
      if (message && calls.length > 0 && this.tools) {
        if (round === MAX_TOOL_ROUNDS) {
          this.log.warn(`AI still calling tools after ${MAX_TOOL_ROUNDS} rounds; sending the fallback reply`);
          return { source: "fallback", body: FALLBACK_REPLY };
        }
        messages.push({ role: "assistant", content: message.content, tool_calls: calls });
        for (const call of calls) {
          const result = await this.runTool(this.tools, asker, call.function.name, call.function.arguments);
          messages.push({ role: "tool", tool_call_id: call.id, content: JSON.stringify(result) });
        }
        continue;
      }
      const text = message?.content?.trim();
      if (!text) {
        this.log.warn("AI answered with an empty message; sending the fallback reply");
        return { source: "fallback", body: FALLBACK_REPLY };
      }
      return { source: "ai", body: text.slice(0, MESSAGE_BODY_MAX_LENGTH) };
    }
  }

  /** A failing read (a database away) is told to the model, which can still answer or hand off. */
  private async runTool(tools: UserDataTools, asker: BotAsker, name: string, argumentsJson: string): Promise<object> {
    try {
      return await tools.run(asker, name, argumentsJson);
    } catch (error) {
      this.log.warn(`AI tool ${name} failed for user ${asker.id}: ${error instanceof Error ? error.message : String(error)}`);
      return { error: "the data is not available right now" };
    }
  }

  /** Ends the data tools' database pools. */
  async close(): Promise<void> {
    await this.tools?.close();
  }
}

function describeAiError(error: unknown): string {
  // Our only abort signal is the timeout, so an abort is a timeout too.
  if (error instanceof OpenAI.APIConnectionTimeoutError || error instanceof OpenAI.APIUserAbortError) return "timeout";
  if (error instanceof OpenAI.APIError && error.status !== undefined) return `HTTP ${error.status}`;
  return error instanceof Error ? error.message : String(error);
}
