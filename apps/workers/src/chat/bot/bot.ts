import OpenAI from "openai";
import type { Logger } from "@ems/messaging";
import { MESSAGE_BODY_MAX_LENGTH } from "@ems/contracts/socket";
import type { AiConfig } from "../config.ts";
import { matchRule } from "./rules.ts";
import { SlidingWindowLimiter } from "../rate-limit.ts";

export type BotReply = { source: "rule" | "ai" | "fallback"; body: string };

/** Earlier Bot-mode turns of the same conversation, oldest first, given to the AI as context. */
export interface ChatTurn {
  role: "user" | "assistant";
  content: string;
}

export const SYSTEM_PROMPT = [
  "You are the support assistant of EMS, an Energy Management System.",
  "EMS users are clients (households, small businesses) and administrators. Clients see their own smart-metering",
  "devices (name, description, address, maximum hourly consumption in kWh), an hourly consumption chart per device",
  "and day (24 bars in kWh, the limit drawn as a line, hours over the limit in red), live updates while readings",
  "arrive, and an alert the moment a device's total for a clock hour first exceeds its limit; past alerts are in the",
  "alert history. Administrators create users and devices, assign devices to clients, set limits, and answer chats.",
  "Clients cannot change devices or limits themselves; for anything about a specific account, device or limit, tell",
  "them to switch the chat to Admin mode to reach an administrator (Monday to Friday, 09:00-17:00 CET).",
  "EMS does not issue bills; cost = kWh x the supplier's tariff.",
  "Answer briefly (at most about 120 words), in plain text, in the user's language. Never invent account data,",
  "readings or prices; if you do not know, say so and suggest Admin mode. Stay on topics related to EMS and energy use.",
].join(" ");

export const FALLBACK_REPLY =
  "Sorry, I can't answer that right now. Switch the chat to Admin mode to ask an administrator — your message is kept " +
  "and answered even if you leave the page. You can also ask me about devices, the consumption chart, alerts, limits, " +
  "sign-in or your account.";

export const RATE_LIMITED_REPLY =
  "You have asked me a lot of questions in a short time, so I am pausing for a minute. Meanwhile you can switch the " +
  "chat to Admin mode to ask an administrator.";

const AI_MAX_TOKENS = 400;

/**
 * The Bot mode: keyword rules first; otherwise Grok through xAI's OpenAI-compatible chat completions API
 * (bounded by a timeout and a per-user rate limit); without a key, or when the AI fails, a fallback
 * reply that points to Admin mode. Never throws.
 */
export class SupportBot {
  private readonly client: OpenAI | undefined;
  private readonly limiter: SlidingWindowLimiter;

  constructor(
    private readonly config: AiConfig,
    private readonly log: Logger,
  ) {
    this.client =
      config.apiKey === undefined
        ? undefined
        : new OpenAI({ apiKey: config.apiKey, baseURL: config.baseUrl, timeout: config.timeoutMs, maxRetries: 0 });
    this.limiter = new SlidingWindowLimiter(config.ratePerMinute, 60_000);
  }

  /** `context` is only loaded when the AI is asked. */
  async answer(userId: string, question: string, context: () => Promise<ChatTurn[]>): Promise<BotReply> {
    const rule = matchRule(question);
    if (rule) return { source: "rule", body: rule.answer };
    if (!this.client) return { source: "fallback", body: FALLBACK_REPLY };
    if (!this.limiter.tryTake(userId)) return { source: "fallback", body: RATE_LIMITED_REPLY };
    try {
      const completion = await this.client.chat.completions.create(
        {
          model: this.config.model,
          messages: [{ role: "system", content: SYSTEM_PROMPT }, ...(await context()), { role: "user", content: question }],
          max_tokens: AI_MAX_TOKENS,
          temperature: 0.3,
        },
        // The SDK's timeout covers the wait for response headers; the signal bounds the whole call.
        { timeout: this.config.timeoutMs, signal: AbortSignal.timeout(this.config.timeoutMs) },
      );
      const text = completion.choices[0]?.message.content?.trim();
      if (!text) {
        this.log.warn("AI answered with an empty message; sending the fallback reply");
        return { source: "fallback", body: FALLBACK_REPLY };
      }
      return { source: "ai", body: text.slice(0, MESSAGE_BODY_MAX_LENGTH) };
    } catch (error) {
      this.log.warn(`AI request failed (${describeAiError(error)}); sending the fallback reply`);
      return { source: "fallback", body: FALLBACK_REPLY };
    }
  }
}

function describeAiError(error: unknown): string {
  // Our only abort signal is the timeout, so an abort is a timeout too.
  if (error instanceof OpenAI.APIConnectionTimeoutError || error instanceof OpenAI.APIUserAbortError) return "timeout";
  if (error instanceof OpenAI.APIError && error.status !== undefined) return `HTTP ${error.status}`;
  return error instanceof Error ? error.message : String(error);
}
