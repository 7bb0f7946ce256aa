/**
 * @module A 64-bit hash of strings and numbers for the sketches, computed without allocating:
 * two murmur3-style 32-bit lanes over the same input, each with its own seed and block multipliers,
 * cross-mixed at the end. The result is written into `hashOut` instead of being returned as an
 * object, because `add()` of a sketch runs once per record.
 *
 * 64 bits rather than 32 so HyperLogLog needs no large-range correction: with 32 bits, collisions
 * already bias counts of a few hundred million distinct values.
 */

/** `[high, low]` 32-bit words of the last hash; overwritten by every call. */
export const hashOut = new Int32Array(2)

const SCRATCH_F64 = new Float64Array(1)
const SCRATCH_U32 = new Uint32Array(SCRATCH_F64.buffer)

// Different seeds per input kind so the number 1 and the string "1" hash apart.
const STRING_SEED_1 = 0x3c6ef372
const STRING_SEED_2 = 0x7f4a7c15
const NUMBER_SEED_1 = 0x510e527f
const NUMBER_SEED_2 = 0x1f83d9ab

function mixLane1(h: number, block: number): number {
  let k = Math.imul(block, 0xcc9e2d51)
  k = (k << 15) | (k >>> 17)
  k = Math.imul(k, 0x1b873593)
  h ^= k
  h = (h << 13) | (h >>> 19)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}

function mixLane2(h: number, block: number): number {
  let k = Math.imul(block, 0x85ebca77)
  k = (k << 17) | (k >>> 15)
  k = Math.imul(k, 0xc2b2ae3d)
  h ^= k
  h = (h << 15) | (h >>> 17)
  return (Math.imul(h, 5) + 0x561ccd1b) | 0
}

function avalanche(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h
}

function finish(h1: number, h2: number, length: number): void {
  h1 ^= length
  h2 ^= length
  h1 = (h1 + h2) | 0
  h2 = (h2 + h1) | 0
  h1 = avalanche(h1)
  h2 = avalanche(h2)
  h1 = (h1 + h2) | 0
  h2 = (h2 + h1) | 0
  hashOut[0] = h1
  hashOut[1] = h2
}

/** Hashes the UTF-16 code units of `s`, two per 32-bit block. */
export function hashString(s: string): void {
  let h1 = STRING_SEED_1
  let h2 = STRING_SEED_2
  const n = s.length
  let i = 0
  for (; i + 1 < n; i += 2) {
    const block = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16)
    h1 = mixLane1(h1, block)
    h2 = mixLane2(h2, block)
  }
  if (i < n) {
    const block = s.charCodeAt(i)
    h1 = mixLane1(h1, block)
    h2 = mixLane2(h2, block)
  }
  finish(h1, h2, n)
}

/** Hashes the IEEE-754 bits of `x`; -0 hashes as 0 and every NaN alike, so equal values agree. */
export function hashNumber(x: number): void {
  let lo: number
  let hi: number
  if (x !== x) {
    lo = 0
    hi = 0x7ff80000
  } else {
    SCRATCH_F64[0] = x === 0 ? 0 : x
    lo = SCRATCH_U32[0] as number
    hi = SCRATCH_U32[1] as number
  }
  let h1 = mixLane1(NUMBER_SEED_1, lo)
  let h2 = mixLane2(NUMBER_SEED_2, lo)
  h1 = mixLane1(h1, hi)
  h2 = mixLane2(h2, hi)
  finish(h1, h2, 8)
}

export function hashValue(v: string | number): void {
  if (typeof v === 'number') hashNumber(v)
  else hashString(v)
}
