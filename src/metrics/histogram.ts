/**
 * @module A log-linear histogram (the HdrHistogram layout): values below 2^bits units get one bucket
 * each, above that every power of two is split into 2^(bits-1) equal buckets. A quantile is therefore
 * within max(value / 2^bits, resolution) of the exact nearest-rank value, memory grows with the log
 * of the largest value, and record() is a few arithmetic operations with no allocation.
 */
import { ErrorCode, TributaryError } from '../util/errors.ts'

export interface HistogramOptions {
  /** Smallest difference that matters, in the recorded unit (e.g. 0.001 for microseconds of a ms value). */
  resolution?: number
  /** Linear sub-buckets per power of two are 2^(bits-1); the relative error is at most 2^-bits. 1..16. */
  bits?: number
}

export interface HistogramSnapshot {
  count: number
  sum: number
  /** 0 when nothing was recorded (as are the quantiles). */
  min: number
  max: number
  mean: number
  p50: number
  p95: number
  p99: number
  p999: number
}

/** Largest scaled value kept exactly; larger values land in the last bucket of the range. */
const MAX_SCALED = Number.MAX_SAFE_INTEGER

function bitLength(n: number): number {
  if (n < 0x100000000) return 32 - Math.clz32(n)
  // Above 2^32 clz32 no longer applies; correct log2's rounding at exact powers of two.
  let e = Math.floor(Math.log2(n))
  if (2 ** e > n) e--
  else if (2 ** (e + 1) <= n) e++
  return e + 1
}

export class Histogram {
  readonly resolution: number
  readonly bits: number
  readonly #subCount: number
  readonly #halfCount: number
  #counts: Float64Array
  #count = 0
  #sum = 0
  #min = Infinity
  #max = -Infinity

  constructor(options: HistogramOptions = {}) {
    const resolution = options.resolution ?? 1
    const bits = options.bits ?? 7
    if (!(resolution > 0) || !Number.isFinite(resolution)) {
      throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `histogram resolution must be a positive number, got ${resolution}`)
    }
    if (!Number.isInteger(bits) || bits < 1 || bits > 16) {
      throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `histogram bits must be an integer in 1..16, got ${bits}`)
    }
    this.resolution = resolution
    this.bits = bits
    this.#subCount = 2 ** bits
    this.#halfCount = this.#subCount / 2
    this.#counts = new Float64Array(this.#subCount * 2)
  }

  /** Records one value. Negative values count as 0; NaN and infinities are ignored. */
  record(value: number): void {
    this.recordMany(value, 1)
  }

  /** Records `times` occurrences of `value`. */
  recordMany(value: number, times: number): void {
    if (!Number.isFinite(value) || !(times > 0)) return
    const v = value < 0 ? 0 : value
    const index = this.#indexOf(Math.min(Math.floor(v / this.resolution), MAX_SCALED))
    if (index >= this.#counts.length) this.#grow(index)
    this.#counts[index] = (this.#counts[index] as number) + times
    this.#count += times
    this.#sum += v * times
    if (v < this.#min) this.#min = v
    if (v > this.#max) this.#max = v
  }

  get count(): number {
    return this.#count
  }

  get sum(): number {
    return this.#sum
  }

  get min(): number {
    return this.#count === 0 ? 0 : this.#min
  }

  get max(): number {
    return this.#count === 0 ? 0 : this.#max
  }

  /**
   * The nearest-rank `q`-quantile (0 < q <= 1), within max(exact / 2^bits, resolution) of the exact
   * one; clamped to the recorded min and max. 0 when empty.
   */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `quantile must be in [0, 1], got ${q}`)
    if (this.#count === 0) return 0
    const rank = Math.max(1, Math.ceil(q * this.#count))
    let seen = 0
    const counts = this.#counts
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i] as number
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, this.#representative(i)))
    }
    return this.#max
  }

  snapshot(): HistogramSnapshot {
    return {
      count: this.#count,
      sum: this.#sum,
      min: this.min,
      max: this.max,
      mean: this.#count === 0 ? 0 : this.#sum / this.#count,
      p50: this.quantile(0.5),
      p95: this.quantile(0.95),
      p99: this.quantile(0.99),
      p999: this.quantile(0.999),
    }
  }

  reset(): void {
    this.#counts.fill(0)
    this.#count = 0
    this.#sum = 0
    this.#min = Infinity
    this.#max = -Infinity
  }

  #indexOf(n: number): number {
    const sub = this.#subCount
    if (n < sub) return n
    const shift = bitLength(n) - this.bits
    const top = Math.floor(n / 2 ** shift)
    return sub + (shift - 1) * this.#halfCount + (top - this.#halfCount)
  }

  /** Lower bound for the exact buckets (width one unit), midpoint for the wider ones. */
  #representative(index: number): number {
    const sub = this.#subCount
    if (index < sub) return index * this.resolution
    const j = index - sub
    const shift = Math.floor(j / this.#halfCount) + 1
    const top = this.#halfCount + (j % this.#halfCount)
    return (top + 0.5) * 2 ** shift * this.resolution
  }

  #grow(index: number): void {
    let size = this.#counts.length
    while (size <= index) size *= 2
    const next = new Float64Array(size)
    next.set(this.#counts)
    this.#counts = next
  }
}
