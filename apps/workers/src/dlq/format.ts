import type { QueueNames } from "@ems/contracts/queues";
import type { ListResult, ReplayResult } from "./commands.ts";
import type { DeadLetter } from "@ems/messaging/dead-letters";
import { replayVerdict, type ReplayVerdict } from "./dead-letters.ts";

const PREVIEW_CHARS = 100;

/**
 * Dead letters are whatever a producer sent: control characters (a terminal escape sequence, say)
 * are shown as \xNN, never written raw. Line breaks and tabs are kept only where `multiline`.
 */
export function printable(text: string, multiline = false): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) =>
    multiline && (c === "\n" || c === "\t") ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

const reasonText = (reason: string | undefined) => (reason === undefined ? "(no reason header)" : printable(reason));

function verdictText(verdict: ReplayVerdict): string {
  if (verdict.replayable) return "replayable";
  return `not replayable: ${printable(verdict.why)}${verdict.forceable ? " (--force replays it)" : ""}`;
}

function preview(body: Buffer): string {
  const text = body.toString("utf8");
  const shown = printable(text.slice(0, PREVIEW_CHARS).replace(/[\r\n\t]+/g, " "));
  return text.length > PREVIEW_CHARS ? `${shown}…` : shown;
}

export function formatList(queue: string, result: ListResult, names: QueueNames, reason: string | undefined): string[] {
  const matching = result.groups.reduce((sum, g) => sum + g.count, 0);
  const lines = [
    `${queue}: ${result.total} dead letter(s)` +
      (reason === undefined ? "" : `, ${matching} with a reason starting "${printable(reason)}"`) +
      (result.read !== result.total ? ` (read ${result.read}: the queue changed meanwhile)` : ""),
  ];
  if (result.groups.length === 0) return lines;
  lines.push("", "  count  replayable  reason");
  for (const group of result.groups) {
    const where = [
      group.sourceQueues.length ? `from ${group.sourceQueues.map((q) => printable(q)).join(", ")}` : "source unknown",
      group.firstDeadLetteredAt ? `first ${printable(group.firstDeadLetteredAt)}` : undefined,
    ].filter(Boolean);
    lines.push(`${String(group.count).padStart(7)}  ${String(group.replayable).padStart(10)}  ${reasonText(group.reason)}  (${where.join("; ")})`);
  }
  lines.push("", `First ${result.first.length}:`);
  for (const letter of result.first) {
    lines.push(
      `  #${letter.position}  ${reasonText(letter.reason)}  from ${printable(letter.sourceQueue ?? "?")}  ` +
        `first ${printable(letter.firstDeadLetteredAt ?? "?")}  ×${letter.count}  id ${printable(letter.id ?? "?")}`,
      `      ${verdictText(replayVerdict(letter, names))}  ${preview(letter.body)}`,
    );
  }
  return lines;
}

export function formatShow(queue: string, total: number, letter: DeadLetter, names: QueueNames): string[] {
  const { properties } = letter.message;
  const otherHeaders = Object.entries(properties.headers ?? {}).filter(([key]) => !key.startsWith("x-ems-"));
  const body = letter.body.toString("utf8");
  let pretty: string;
  try {
    pretty = JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    pretty = printable(body, true);
  }
  return [
    `dead letter #${letter.position} of ${total} in ${queue}`,
    `id:                  ${printable(letter.id ?? "(none)")}`,
    `reason:              ${reasonText(letter.reason)}`,
    `source queue:        ${printable(letter.sourceQueue ?? "(unknown)")}`,
    `first dead-lettered: ${printable(letter.firstDeadLetteredAt ?? "(unknown)")}`,
    `times dead-lettered: ${letter.count}`,
    `replay:              ${verdictText(replayVerdict(letter, names))}`,
    ...(properties.contentType ? [`content type:        ${printable(String(properties.contentType))}`] : []),
    ...(otherHeaders.length ? [`other headers:       ${printable(JSON.stringify(Object.fromEntries(otherHeaders)))}`] : []),
    `body (${letter.body.length} bytes):`,
    pretty,
  ];
}

export function formatReplay(queue: string, target: string, result: ReplayResult, force: boolean): string[] {
  const lines = [`replayed ${result.replayed} dead letter(s) from ${queue} into ${target} (read ${result.read})`];
  for (const [why, { count, forceable }] of result.refused) {
    lines.push(`left ${count} in the queue, ${printable(why)}${forceable && !force ? " — add --force to replay them anyway" : ""}`);
  }
  if (result.failure) {
    lines.push(`stopped: ${printable(result.failure.message)}; the dead letters not confirmed stay in the queue (running replay again is safe)`);
  }
  return lines;
}
