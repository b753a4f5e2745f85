import type { ChatMessage } from "@ems/contracts/socket";

/**
 * Adds messages to a conversation: without duplicates (a message can come both as an ack and as a
 * broadcast, and again with the history after a reconnect) and in the order they were written.
 */
export function mergeMessages(current: readonly ChatMessage[], incoming: readonly ChatMessage[]): ChatMessage[] {
  const byId = new Map(current.map((message) => [message.id, message]));
  let changed = false;
  for (const message of incoming) {
    if (!byId.has(message.id)) {
      byId.set(message.id, message);
      changed = true;
    }
  }
  if (!changed) return current as ChatMessage[];
  return [...byId.values()].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id.localeCompare(b.id));
}

/**
 * Whether the conversation already went to the administrators after `offer` (a bot reply offering the
 * handoff): the client wrote in Admin mode since, by the handoff button or the toggle. The server
 * applies the same rule, so a second click changes nothing.
 */
export function handedOverSince(messages: readonly ChatMessage[], offer: ChatMessage): boolean {
  const offerIndex = messages.findIndex((message) => message.id === offer.id);
  return messages.slice(offerIndex + 1).some((message) => message.source === "client" && message.mode === "admin");
}
