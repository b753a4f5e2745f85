/**
 * A fast, non-cryptographic 64-bit hash of a string, returned as two unsigned 32-bit halves.
 *
 * Two independent multiplicative lanes (one multiply per two characters each, different odd constants and
 * seeds) are cross-mixed at the end and each passed through MurmurHash3's 32-bit finaliser, so every
 * input bit affects every output bit. Only `Math.imul` and shifts are used: no BigInt and no
 * allocation besides the result, which keeps partition lookups in the tens of millions per second.
 * Not for security (keys are device ids chosen by the system, not adversaries).
 */
export interface Hash64 {
  /** Upper 32 bits, unsigned. */
  hi: number;
  /** Lower 32 bits, unsigned. */
  lo: number;
}

const LANE_1_SEED = 0x243f6a88;
const LANE_2_SEED = 0x85a308d3;
const LANE_1_MULTIPLIER = 0x9e3779b1;
const LANE_2_MULTIPLIER = 0x85ebca77;

/** MurmurHash3's fmix32: full avalanche of one 32-bit word. */
function finalize32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function hash64(key: string): Hash64 {
  let lane1 = LANE_1_SEED ^ key.length;
  let lane2 = LANE_2_SEED ^ key.length;
  // Two UTF-16 code units (16 bits each) per 32-bit word: half the multiplies, nothing lost.
  const pairedLength = key.length & ~1;
  for (let i = 0; i < pairedLength; i += 2) {
    const word = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16);
    lane1 = Math.imul(lane1 ^ word, LANE_1_MULTIPLIER);
    lane1 ^= lane1 >>> 15;
    lane2 = Math.imul(lane2 ^ word, LANE_2_MULTIPLIER);
    lane2 ^= lane2 >>> 13;
  }
  if (pairedLength < key.length) {
    const last = key.charCodeAt(pairedLength);
    lane1 = Math.imul(lane1 ^ last, LANE_1_MULTIPLIER);
    lane2 = Math.imul(lane2 ^ last, LANE_2_MULTIPLIER);
  }
  // Cross-mix so that neither half depends on one lane only.
  lane1 ^= Math.imul(lane2 ^ (lane2 >>> 15), 0x2c1b3c6d);
  lane2 ^= Math.imul(lane1 ^ (lane1 >>> 15), 0x297a2d39);
  return { hi: finalize32(lane1), lo: finalize32(lane2) };
}
