import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hash64, moduloPartitionOf, partitionOf } from "./index.ts";

const partitionCount = fc.integer({ min: 1, max: 64 });

describe("partitionOf", () => {
  it("is deterministic and always in range", () => {
    fc.assert(
      fc.property(fc.string(), partitionCount, (key, n) => {
        const partition = partitionOf(key, n);
        expect(partition).toBe(partitionOf(key, n));
        expect(Number.isInteger(partition)).toBe(true);
        expect(partition).toBeGreaterThanOrEqual(0);
        expect(partition).toBeLessThan(n);
      }),
      { numRuns: 5_000 },
    );
  });

  it("moves keys only into the new partition when growing from n to n+1", () => {
    fc.assert(
      fc.property(fc.uuid(), partitionCount, (key, n) => {
        const before = partitionOf(key, n);
        const after = partitionOf(key, n + 1);
        expect(after === before || after === n).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });

  it("spreads device ids evenly and moves about 1/(n+1) of them on growth", () => {
    const keys = fc.sample(fc.uuid({ version: 4 }), { numRuns: 30_000, seed: 42 });
    const counts = [0, 0, 0];
    let moved = 0;
    for (const key of keys) {
      const two = partitionOf(key, 2);
      const three = partitionOf(key, 3);
      counts[three]! += 1;
      if (two !== three) moved += 1;
    }
    for (const count of counts) expect(Math.abs(count / (keys.length / 3) - 1)).toBeLessThan(0.05);
    expect(Math.abs(moved / keys.length - 1 / 3)).toBeLessThan(0.02);
  });

  it("is pinned: known ids keep their partitions across releases", () => {
    // A changed hash would silently re-route every device (and split hourly totals across replicas
    // during a rolling update), so the mapping itself is part of the contract.
    expect(partitionOf("5c2494a3-1140-4c7a-991a-a1a2561c6bc2", 2)).toMatchInlineSnapshot(`0`);
    expect(partitionOf("00000000-0000-0000-0000-000000000000", 7)).toMatchInlineSnapshot(`5`);
  });
});

describe("hash64", () => {
  it("returns two unsigned 32-bit halves", () => {
    fc.assert(
      fc.property(fc.string(), (key) => {
        const { hi, lo } = hash64(key);
        for (const half of [hi, lo]) {
          expect(Number.isInteger(half) && half >= 0 && half <= 0xffff_ffff).toBe(true);
        }
      }),
    );
  });

  it("avalanches: one changed character flips about half of the 64 bits", () => {
    const popcount = (x: number) => x.toString(2).replaceAll("0", "").length;
    let flipped = 0;
    const samples = fc.sample(fc.uuid(), { numRuns: 2_000, seed: 7 });
    for (const key of samples) {
      const changed = key.slice(0, -1) + (key.endsWith("0") ? "1" : "0");
      const a = hash64(key);
      const b = hash64(changed);
      flipped += popcount(a.hi ^ b.hi) + popcount(a.lo ^ b.lo);
    }
    expect(flipped / samples.length / 64).toBeGreaterThan(0.45);
    expect(flipped / samples.length / 64).toBeLessThan(0.55);
  });
});

describe("moduloPartitionOf", () => {
  it("computes the full 64-bit hash modulo n", () => {
    fc.assert(
      fc.property(fc.string(), partitionCount, (key, n) => {
        const { hi, lo } = hash64(key);
        expect(moduloPartitionOf(key, n)).toBe(Number(((BigInt(hi) << 32n) | BigInt(lo)) % BigInt(n)));
      }),
    );
  });
});
