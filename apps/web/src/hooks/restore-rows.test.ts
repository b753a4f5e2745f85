import { describe, expect, it } from "vitest";
import { restoreRows } from "./restore-rows.ts";

const row = (id: string, name = id) => ({ id, name });

describe("restoreRows", () => {
  it("puts a changed row back and keeps other rows as they are now", () => {
    const before = [row("a"), row("b")];
    const now = [row("a", "renamed"), row("b", "changed elsewhere")];
    expect(restoreRows(now, before, ["a"])).toEqual([row("a"), row("b", "changed elsewhere")]);
  });

  it("removes a row the failed change added", () => {
    expect(restoreRows([row("a"), row("pending-1")], [row("a")], ["pending-1"])).toEqual([row("a")]);
  });

  it("brings a deleted row back in its old place", () => {
    expect(restoreRows([row("a"), row("c")], [row("a"), row("b"), row("c")], ["b"])).toEqual([row("a"), row("b"), row("c")]);
  });
});
