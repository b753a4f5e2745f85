/**
 * `npm run bench:hashing`: balance, remapping and speed of partitionOf over 100,000 random UUIDs,
 * with the original design's `hash % n` measured beside it. The last line printed is one JSON object
 * (see the package README for the fields and the targets).
 */
import { randomUUID } from "node:crypto";
import { moduloPartitionOf, partitionOf } from "../src/index.ts";

const KEY_COUNT = 100_000;
const PARTITIONS = 2;
const LOOKUP_ROUNDS = 30;

// Round-tripped through JSON so the keys are flat strings, as the balancer gets them from message bodies.
const keys = JSON.parse(JSON.stringify(Array.from({ length: KEY_COUNT }, () => randomUUID()))) as string[];

const counts = new Array<number>(PARTITIONS).fill(0);
let jumpMoved = 0;
let moduloMoved = 0;
for (const key of keys) {
  const before = partitionOf(key, PARTITIONS);
  counts[before]! += 1;
  if (partitionOf(key, PARTITIONS + 1) !== before) jumpMoved += 1;
  if (moduloPartitionOf(key, PARTITIONS + 1) !== moduloPartitionOf(key, PARTITIONS)) moduloMoved += 1;
}

// Warm up, then time whole passes over the keys; the checksum keeps the work from being optimised away.
let checksum = 0;
for (const key of keys) checksum += partitionOf(key, PARTITIONS);
const started = process.hrtime.bigint();
for (let round = 0; round < LOOKUP_ROUNDS; round++) {
  for (const key of keys) checksum += partitionOf(key, PARTITIONS);
}
const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
const result = {
  keys: KEY_COUNT,
  partitions: PARTITIONS,
  maxOverMean: round4(Math.max(...counts) / (KEY_COUNT / PARTITIONS)),
  remapFraction: round4(jumpMoved / KEY_COUNT),
  idealRemap: round4(1 / (PARTITIONS + 1)),
  moduloRemapFraction: round4(moduloMoved / KEY_COUNT),
  lookupsPerSec: Math.round((LOOKUP_ROUNDS * KEY_COUNT) / elapsedSeconds),
};
console.log(`partition sizes at n=${PARTITIONS}: ${counts.join(", ")} (checksum ${checksum})`);
console.log(JSON.stringify(result));
