import { MESSAGE_BODY_MAX_LENGTH, offersHandoff, type ChatMessage } from "@ems/contracts/socket";

/** Bot-mode messages carried into the administrators' inbox with a handoff. */
export const HANDOFF_CONTEXT_MESSAGES = 6;
/** Each quoted message is cut to this, so that six of them fit in one message body. */
const QUOTE_MAX_LENGTH = 280;

export const HANDOFF_HEADER = "Handed over from the bot, which could not help. Recent messages:";

export type HandoffPlan =
  | { kind: "not_offered" }
  /** The client already wrote to the administrators after this reply: nothing new to send. */
  | { kind: "already_handed_over"; message: ChatMessage }
  | { kind: "hand_over"; body: string };

const quote = (text: string) => (text.length > QUOTE_MAX_LENGTH ? `${text.slice(0, QUOTE_MAX_LENGTH - 1)}…` : text);

/**
 * What a click on "Ask an administrator" under the bot reply `offerId` does, given the conversation's
 * recent messages (oldest first): the message to send to the administrators — the client's last
 * Bot-mode questions and the rule/AI answers up to that reply (canned fallback replies left out) — or
 * why there is nothing to send.
 */
export function planHandoff(recent: readonly ChatMessage[], offerId: string): HandoffPlan {
  const offerIndex = recent.findIndex((message) => message.id === offerId);
  const offer = recent[offerIndex];
  if (!offer || !offersHandoff(offer)) return { kind: "not_offered" };
  const sentSince = recent.slice(offerIndex + 1).find((message) => message.source === "client" && message.mode === "admin");
  if (sentSince) return { kind: "already_handed_over", message: sentSince };
  const context = recent
    .slice(0, offerIndex)
    .filter((message) => message.mode === "bot" && message.source !== "fallback")
    .slice(-HANDOFF_CONTEXT_MESSAGES)
    .map((message) => `${message.source === "client" ? "Client" : "Bot"}: ${quote(message.body)}`);
  return { kind: "hand_over", body: [HANDOFF_HEADER, ...context].join("\n").slice(0, MESSAGE_BODY_MAX_LENGTH) };
}
