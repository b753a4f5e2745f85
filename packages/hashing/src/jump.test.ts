import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jumpConsistentHash } from "./jump.ts";

/** The paper's reference algorithm, transcribed with BigInt: slow, obviously right. */
function referenceJump(key: bigint, buckets: number): number {
  let b = -1n;
  let j = 0n;
  while (j < BigInt(buckets)) {
    b = j;
    key = (key * 2862933555777941757n + 1n) & 0xffff_ffff_ffff_ffffn;
    j = BigInt(Math.floor(Number(b + 1n) * (2 ** 31 / Number((key >> 33n) + 1n))));
  }
  return Number(b);
}

const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });

describe("jumpConsistentHash", () => {
  it("matches the reference 64-bit algorithm bit for bit", () => {
    fc.assert(
      fc.property(uint32, uint32, fc.integer({ min: 1, max: 10_000 }), (hi, lo, buckets) => {
        const key = (BigInt(hi) << 32n) | BigInt(lo);
        expect(jumpConsistentHash(hi, lo, buckets)).toBe(referenceJump(key, buckets));
      }),
      { numRuns: 2_000 },
    );
  });

  it("handles the carry of the +1 step and the extreme keys", () => {
    for (const [hi, lo] of [
      [0, 0],
      [0xffff_ffff, 0xffff_ffff],
      [0, 0xffff_ffff],
      [0xffff_ffff, 0],
    ] as const) {
      const key = (BigInt(hi) << 32n) | BigInt(lo);
      for (const buckets of [1, 2, 3, 7, 64, 1000]) expect(jumpConsistentHash(hi, lo, buckets)).toBe(referenceJump(key, buckets));
    }
  });

  it("rejects a bucket count that is not a positive integer", () => {
    expect(() => jumpConsistentHash(1, 2, 0)).toThrow(RangeError);
    expect(() => jumpConsistentHash(1, 2, 1.5)).toThrow(RangeError);
  });
});
