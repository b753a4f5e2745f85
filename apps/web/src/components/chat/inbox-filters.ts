import type { ConversationStatus, InboxEntry } from "@ems/contracts/socket";

/** Whose conversations the inbox shows: the viewer's, nobody's yet, or everyone's. */
export type AssigneeFilter = "mine" | "unassigned" | "all";

export interface InboxFilter {
  assignee: AssigneeFilter;
  status: ConversationStatus;
}

export const ASSIGNEE_FILTERS: readonly { value: AssigneeFilter; label: string }[] = [
  { value: "mine", label: "Mine" },
  { value: "unassigned", label: "Unassigned" },
  { value: "all", label: "All" },
];

export const STATUS_FILTERS: readonly { value: ConversationStatus; label: string }[] = [
  { value: "open", label: "Open" },
  { value: "resolved", label: "Resolved" },
];

function matchesAssignee(entry: InboxEntry, assignee: AssigneeFilter, viewerId: string): boolean {
  if (assignee === "mine") return entry.assignee?.id === viewerId;
  if (assignee === "unassigned") return entry.assignee === null;
  return true;
}

export function matchesFilter(entry: InboxEntry, filter: InboxFilter, viewerId: string): boolean {
  return entry.status === filter.status && matchesAssignee(entry, filter.assignee, viewerId);
}

/** How many conversations of `status` each assignee filter shows (the numbers beside the filters). */
export function assigneeCounts(entries: readonly InboxEntry[], status: ConversationStatus, viewerId: string): Record<AssigneeFilter, number> {
  const counts: Record<AssigneeFilter, number> = { mine: 0, unassigned: 0, all: 0 };
  for (const entry of entries) {
    if (entry.status !== status) continue;
    for (const { value } of ASSIGNEE_FILTERS) if (matchesAssignee(entry, value, viewerId)) counts[value] += 1;
  }
  return counts;
}

const newestFirst = (a: InboxEntry, b: InboxEntry) => Date.parse(b.lastMessage.createdAt) - Date.parse(a.lastMessage.createdAt);

/** A row the server sent (each is complete) replaces that conversation's row; newest activity first. */
export function upsertEntry(entries: readonly InboxEntry[], entry: InboxEntry): InboxEntry[] {
  return [entry, ...entries.filter((e) => e.clientId !== entry.clientId)].sort(newestFirst);
}

/**
 * A fresh list of the conversations of one status replaces every row of that status known before:
 * a row that changed status while the list was away drops out of it (and arrives with the other list).
 */
export function replaceStatus(entries: readonly InboxEntry[], status: ConversationStatus, fresh: readonly InboxEntry[]): InboxEntry[] {
  const freshIds = new Set(fresh.map((entry) => entry.clientId));
  return [...entries.filter((entry) => entry.status !== status && !freshIds.has(entry.clientId)), ...fresh].sort(newestFirst);
}

/** Unread messages in open conversations: what needs this administrator (the navigation's badge). */
export function unreadInOpenConversations(entries: readonly InboxEntry[]): number {
  return entries.reduce((sum, entry) => sum + (entry.status === "open" ? entry.unread : 0), 0);
}
