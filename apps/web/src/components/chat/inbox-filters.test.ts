import { describe, expect, it } from "vitest";
import type { InboxEntry } from "@ems/contracts/socket";
import { assigneeCounts, matchesFilter, replaceStatus, unreadInOpenConversations, upsertEntry } from "./inbox-filters.ts";

const me = "6a1f5c1e-0000-4000-8000-000000000001";
const other = { id: "6a1f5c1e-0000-4000-8000-000000000002", username: "other-admin" };

function entry(clientId: string, minute: number, fields: Partial<InboxEntry> = {}): InboxEntry {
  const createdAt = `2026-12-15T10:${String(minute).padStart(2, "0")}:00.000Z`;
  return {
    clientId,
    username: clientId,
    lastMessage: { id: `m-${clientId}-${minute}`, clientId, senderId: clientId, source: "client", mode: "admin", body: "hi", createdAt },
    unread: 0,
    status: "open",
    assignee: null,
    ...fields,
  };
}

const mine = entry("mine", 1, { assignee: { id: me, username: "me" }, unread: 2 });
const theirs = entry("theirs", 2, { assignee: other, unread: 1 });
const nobodys = entry("nobodys", 3, { unread: 4 });
const resolvedMine = entry("resolved-mine", 4, { status: "resolved", assignee: { id: me, username: "me" }, unread: 5 });
const all = [nobodys, theirs, mine, resolvedMine];

describe("inbox filters", () => {
  it("shows mine, unassigned or all conversations of the chosen status", () => {
    const shown = (assignee: "mine" | "unassigned" | "all", status: "open" | "resolved") =>
      all.filter((e) => matchesFilter(e, { assignee, status }, me)).map((e) => e.clientId);
    expect(shown("mine", "open")).toEqual(["mine"]);
    expect(shown("unassigned", "open")).toEqual(["nobodys"]);
    expect(shown("all", "open")).toEqual(["nobodys", "theirs", "mine"]);
    expect(shown("mine", "resolved")).toEqual(["resolved-mine"]);
    expect(shown("unassigned", "resolved")).toEqual([]);
  });

  it("counts each assignee filter within a status", () => {
    expect(assigneeCounts(all, "open", me)).toEqual({ mine: 1, unassigned: 1, all: 3 });
    expect(assigneeCounts(all, "resolved", me)).toEqual({ mine: 1, unassigned: 0, all: 1 });
  });

  it("counts unread messages of open conversations only", () => {
    expect(unreadInOpenConversations(all)).toBe(7);
  });
});

describe("inbox rows", () => {
  it("replaces a conversation's row with the one pushed, newest activity first", () => {
    const claimedByMe = { ...nobodys, assignee: { id: me, username: "me" } };
    expect(upsertEntry(all, claimedByMe).map((e) => [e.clientId, e.assignee?.id ?? null])).toEqual([
      ["resolved-mine", me],
      ["nobodys", me],
      ["theirs", other.id],
      ["mine", me],
    ]);
    const newMessage = entry("mine", 9, { assignee: { id: me, username: "me" } });
    expect(upsertEntry(all, newMessage)[0]).toBe(newMessage);
  });

  it("lets a fresh list of one status replace the rows of that status, and take over rows that changed status", () => {
    // While disconnected: "theirs" was resolved, "nobodys" closed for good (gone from the open list),
    // and "resolved-mine" re-opened by its client.
    const reopened = { ...resolvedMine, status: "open" as const };
    const freshOpen = [reopened, mine];
    expect(replaceStatus(all, "open", freshOpen).map((e) => [e.clientId, e.status])).toEqual([
      ["resolved-mine", "open"],
      ["mine", "open"],
    ]);
    const freshResolved = [{ ...theirs, status: "resolved" as const }];
    expect(replaceStatus(all, "resolved", freshResolved).map((e) => [e.clientId, e.status])).toEqual([
      ["nobodys", "open"],
      ["theirs", "resolved"],
      ["mine", "open"],
    ]);
  });
});
