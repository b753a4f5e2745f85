import { hash64 } from "./hash64.ts";
import { jumpConsistentHash } from "./jump.ts";

export { hash64, type Hash64 } from "./hash64.ts";
export { jumpConsistentHash } from "./jump.ts";

/**
 * The partition (0 .. partitionCount-1) a key such as a device id belongs to. Deterministic across
 * processes and runs; growing the partition count from n to n+1 moves only the keys that now belong to
 * partition n. Callers should normalise keys first (device ids are lower-cased by parseMeasurement).
 */
export function partitionOf(key: string, partitionCount: number): number {
  const { hi, lo } = hash64(key);
  return jumpConsistentHash(hi, lo, partitionCount);
}

/**
 * The original design's `hash % n`, kept only so the benchmark can show how many keys it moves when n
 * changes. Do not route with it.
 */
export function moduloPartitionOf(key: string, partitionCount: number): number {
  const { hi, lo } = hash64(key);
  // (hi · 2^32 + lo) mod n without exceeding 2^53.
  return ((hi % partitionCount) * (0x1_0000_0000 % partitionCount) + lo) % partitionCount;
}
