/**
 * Jump consistent hash (Lamping & Veach, 2014, "A Fast, Minimal Memory, Consistent Hash Algorithm"):
 * maps a 64-bit key to a bucket in [0, buckets). Going from n to n+1 buckets moves exactly the keys
 * that land in the new bucket (about 1/(n+1) of them) and no others.
 *
 * The paper's 64-bit linear congruential step `key = key * 2862933555777941757 + 1` is done on two
 * unsigned 32-bit halves so that it stays in fast integer arithmetic (BigInt would be ~50× slower);
 * results are bit-for-bit those of the reference C++ implementation (see jump.test.ts).
 */
const MULTIPLIER_HI = 0x27bb2ee6;
const MULTIPLIER_LO = 0x87b0b0fd;
const MULTIPLIER_LO_LOW16 = MULTIPLIER_LO & 0xffff;
const MULTIPLIER_LO_HIGH16 = MULTIPLIER_LO >>> 16;
const TWO_POW_31 = 0x8000_0000;

export function jumpConsistentHash(keyHi: number, keyLo: number, buckets: number): number {
  if (!Number.isInteger(buckets) || buckets < 1) {
    throw new RangeError(`buckets must be a positive integer, got ${buckets}`);
  }
  let hi = keyHi >>> 0;
  let lo = keyLo >>> 0;
  let bucket = -1;
  let next = 0;
  while (next < buckets) {
    bucket = next;
    // (hi:lo) * (MULTIPLIER_HI:MULTIPLIER_LO) mod 2^64. Math.imul gives the low 32 bits of each 32×32
    // product; the upper half of lo × MULTIPLIER_LO is built from 16-bit partial products, every
    // intermediate below 2^32 so that no floating-point division or modulo is needed.
    const loLow16 = lo & 0xffff;
    const loHigh16 = lo >>> 16;
    const lowLow = loLow16 * MULTIPLIER_LO_LOW16;
    const middle1 = loHigh16 * MULTIPLIER_LO_LOW16 + (lowLow >>> 16);
    const middle2 = loLow16 * MULTIPLIER_LO_HIGH16 + (middle1 & 0xffff);
    const upperOfLoTimesLo = loHigh16 * MULTIPLIER_LO_HIGH16 + (middle1 >>> 16) + (middle2 >>> 16);
    const productLo = Math.imul(lo, MULTIPLIER_LO) >>> 0;
    const productHi = upperOfLoTimesLo + Math.imul(hi, MULTIPLIER_LO) + Math.imul(lo, MULTIPLIER_HI);
    // + 1, carrying into the upper half.
    lo = (productLo + 1) >>> 0;
    hi = (productHi + (lo === 0 ? 1 : 0)) >>> 0;
    // (key >>> 33) + 1 is (hi >>> 1) + 1.
    next = Math.floor((bucket + 1) * (TWO_POW_31 / ((hi >>> 1) + 1)));
  }
  return bucket;
}
