import { describe, expect, it } from "vitest";
import type { ChatMessage } from "@ems/contracts/socket";
import { mergeMessages } from "./messages.ts";

const clientId = "0d9a3c2e-2f4b-4d55-9d1e-3f2a1b0c9d8e";
const message = (id: string, createdAt: string): ChatMessage => ({ id, clientId, senderId: clientId, source: "client", mode: "bot", body: id, createdAt });

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
