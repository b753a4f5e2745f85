import { describe, expect, it } from "vitest";
import { BatchQueue } from "./batch-queue.ts";

function deferred() {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  return { released, release };
}

describe("BatchQueue", () => {
  it("batches items that arrive together and resolves each with its own result", async () => {
    const batches: number[][] = [];
    const queue = new BatchQueue<number, string>(
      (items) => {
        batches.push(items);
        return Promise.resolve(items.map((n) => `#${n}`));
      },
      { maxBatchSize: 3, maxConcurrent: 1 },
    );
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => queue.add(n)));
    expect(results).toEqual(["#1", "#2", "#3", "#4", "#5"]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it("collects items arriving while a batch runs into the next batch, and limits concurrency", async () => {
    const gate = deferred();
    const batches: number[][] = [];
    let concurrent = 0;
    let maxSeen = 0;
    const queue = new BatchQueue<number, number>(
      async (items) => {
        batches.push(items);
        maxSeen = Math.max(maxSeen, ++concurrent);
        await gate.released;
        concurrent--;
        return items;
      },
      { maxBatchSize: 100, maxConcurrent: 1 },
    );
    const first = queue.add(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [2, 3, 4].map((n) => queue.add(n));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1]]);
    gate.release();
    await Promise.all([first, ...later]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
    expect(maxSeen).toBe(1);
  });

  it("rejects every item of a failed batch and keeps working afterwards", async () => {
    let fail = true;
    const queue = new BatchQueue<number, number>(
      (items) => (fail ? Promise.reject(new Error("database unavailable")) : Promise.resolve(items)),
      { maxBatchSize: 10, maxConcurrent: 2 },
    );
    const failed = await Promise.allSettled([queue.add(1), queue.add(2)]);
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    expect(await queue.add(3)).toBe(3);
  });

  it("never splits items added together, and fills batches with whole groups", async () => {
    const batches: number[][] = [];
    const queue = new BatchQueue<number, number>(
      (items) => {
        batches.push(items);
        return Promise.resolve(items.map((n) => n * 10));
      },
      { maxBatchSize: 4, maxConcurrent: 1 },
    );
    const results = await Promise.all([queue.addAll([1, 2, 3]), queue.add(4), queue.addAll([5, 6]), queue.addAll([7, 8, 9, 10, 11])]);
    expect(results).toEqual([[10, 20, 30], 40, [50, 60], [70, 80, 90, 100, 110]]);
    // A group larger than the batch size goes alone rather than being split.
    expect(batches).toEqual([[1, 2, 3, 4], [5, 6], [7, 8, 9, 10, 11]]);
  });
});
