import { describe, expect, it } from "vitest";
import type { ChatMessage } from "@ems/contracts/socket";
import { handedOverSince, mergeMessages } from "./messages.ts";

const clientId = "0d9a3c2e-2f4b-4d55-9d1e-3f2a1b0c9d8e";
const message = (id: string, createdAt: string, source: ChatMessage["source"] = "client", mode: ChatMessage["mode"] = "bot"): ChatMessage => ({
  id,
  clientId,
  senderId: source === "client" ? clientId : null,
  source,
  mode,
  body: id,
  createdAt,
});

describe("mergeMessages", () => {
  it("keeps each message once, in the order written", () => {
    const first = message("a", "2026-03-12T10:00:00.000Z");
    const second = message("b", "2026-03-12T10:00:01.000Z");
    const third = message("c", "2026-03-12T10:00:02.000Z");
    expect(mergeMessages([first, third], [second, first]).map((m) => m.id)).toEqual(["a", "b", "c"]);
  });

  it("returns the same array when nothing is new (no re-render)", () => {
    const current = [message("a", "2026-03-12T10:00:00.000Z")];
    expect(mergeMessages(current, [message("a", "2026-03-12T10:00:00.000Z")])).toBe(current);
  });
});

describe("handedOverSince", () => {
  it("is true once the client wrote in Admin mode after the offer, not before it", () => {
    const before = message("a", "2026-03-12T10:00:00.000Z", "client", "admin");
    const offer = message("b", "2026-03-12T10:00:01.000Z", "fallback");
    const botQuestion = message("c", "2026-03-12T10:00:02.000Z");
    expect(handedOverSince([before, offer, botQuestion], offer)).toBe(false);
    expect(handedOverSince([before, offer, botQuestion, message("d", "2026-03-12T10:00:03.000Z", "client", "admin")], offer)).toBe(true);
  });
});
