/**
 * @module A small, fast, seedable PRNG (xoshiro128**) for the data generators. Math.random cannot
 * be seeded, and generated data must be reproducible: the same seed gives the same events on every
 * run and machine. `reseed(seed, stream)` derives an independent state from a pair of numbers, so a
 * generator can give every event its own stream and produce any event without the ones before it.
 */

const TWO_POW_32 = 4294967296
const TWO_POW_53 = 9007199254740992

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

export class SeededRandom {
  private s0 = 0
  private s1 = 0
  private s2 = 0
  private s3 = 0

  constructor(seed: number, stream = 0) {
    this.reseed(seed, stream)
  }

  /** Resets the state from `seed` and `stream` (any non-negative safe integers). */
  reseed(seed: number, stream: number): void {
    const seedLo = seed >>> 0
    const seedHi = Math.floor(seed / TWO_POW_32) >>> 0
    const streamLo = stream >>> 0
    const streamHi = Math.floor(stream / TWO_POW_32) >>> 0
    // splitmix-style: a Weyl sequence over the inputs, each word finalized by mix32.
    let x = mix32(seedLo ^ 0x9e3779b9) ^ mix32(seedHi + 0x7f4a7c15)
    x = mix32(x ^ mix32(streamLo + 0x6a09e667)) ^ mix32(streamHi ^ 0xbb67ae85)
    this.s0 = mix32((x + 0x9e3779b9) | 0)
    this.s1 = mix32((x + 0x3c6ef372) | 0)
    this.s2 = mix32((x + 0xdaa66d2b) | 0)
    this.s3 = mix32((x + 0x78dde6e4) | 0)
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1
    const x = Math.imul(s1, 5)
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0
    const t = s1 << 9
    this.s2 ^= this.s0
    this.s3 ^= this.s1
    this.s1 ^= this.s2
    this.s0 ^= this.s3
    this.s2 ^= t
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21)
    return result
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const hi = this.nextUint32() >>> 5
    const lo = this.nextUint32() >>> 6
    return (hi * 67108864 + lo) / TWO_POW_53
  }

  /** Uniform integer in [0, bound); bound a positive safe integer. */
  nextInt(bound: number): number {
    // Multiply-shift: bias below bound / 2^32, irrelevant for synthetic data.
    if (bound <= TWO_POW_32) return Math.floor((this.nextUint32() * bound) / TWO_POW_32)
    return Math.floor(this.nextDouble() * bound)
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.nextUint32() < p * TWO_POW_32
  }

  /** Standard normal variate (Box-Muller; one of the pair is discarded to stay stateless). */
  nextGaussian(): number {
    const u = 1 - this.nextDouble()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.nextDouble())
  }

  /** Exponential variate with the given mean. */
  nextExponential(mean: number): number {
    return -Math.log(1 - this.nextDouble()) * mean
  }
}
