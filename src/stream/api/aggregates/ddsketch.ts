/**
 * @module DDSketch (Masson, Rim, Lee, VLDB 2019): a quantile sketch with a relative-error guarantee.
 * Values are counted in logarithmic buckets (gamma^(i-1), gamma^i] with gamma = (1+a)/(1-a);
 * reporting a bucket's midpoint 2 gamma^i / (gamma+1) is then within a relative error `a` of every
 * value in it, so any quantile estimate is within `a` (relative) of the true quantile value.
 *
 * Chosen over t-digest because (1) the guarantee is on the value, which suits heavy-tailed
 * latencies where p99 matters in milliseconds, not ranks; (2) merging adds bucket counts, so it is
 * exact, commutative and associative: merged partials equal the sketch of the whole input, which
 * t-digest's centroid merging does not give; (3) `add` is a log and an array increment.
 *
 * Memory is bounded by `maxBuckets` per sign. Data spanning more than gamma^maxBuckets (about
 * 6e17 at a = 1 %, 2048 buckets) collapses its smallest-magnitude buckets together, and quantiles
 * that fall in the collapsed bucket lose the guarantee. The collapse rule depends only on the
 * smallest and largest bucket, so it too is order independent.
 */

import { ErrorCode, TributaryError } from '../../../util/errors.ts'
import { ByteReader, ByteWriter, corrupt } from './bytes.ts'
import { BucketStore } from './bucket-store.ts'

export const DDSKETCH_DEFAULT_ACCURACY = 0.01
export const DDSKETCH_DEFAULT_MAX_BUCKETS = 2048

const SERDE_MAGIC = 0x44 // 'D'
const SERDE_VERSION = 1

export interface DDSketchOptions {
  /** Relative accuracy a of every quantile value, 1e-5 <= a < 1 (default 0.01 = 1 %). */
  relativeAccuracy?: number
  /** Maximum buckets per sign before the smallest magnitudes collapse (default 2048). */
  maxBuckets?: number
}

export function checkSketchOptions(options: DDSketchOptions): { accuracy: number; maxBuckets: number } {
  const accuracy = options.relativeAccuracy ?? DDSKETCH_DEFAULT_ACCURACY
  const maxBuckets = options.maxBuckets ?? DDSKETCH_DEFAULT_MAX_BUCKETS
  // Below 1e-5 bucket indexes of extreme doubles no longer fit the serialized int32.
  if (!(accuracy >= 1e-5 && accuracy < 1)) {
    throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `relativeAccuracy must be in [1e-5, 1), got ${accuracy}`)
  }
  if (!Number.isInteger(maxBuckets) || maxBuckets < 16 || maxBuckets > 1 << 20) {
    throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `maxBuckets must be an integer in 16..2^20, got ${maxBuckets}`)
  }
  return { accuracy, maxBuckets }
}

export class DDSketch {
  readonly relativeAccuracy: number
  readonly maxBuckets: number
  private readonly gamma: number
  private readonly inverseLogGamma: number
  private readonly logGamma: number
  /** Buckets of positive values, indexed by magnitude. */
  readonly positive: BucketStore
  /** Buckets of negative values, indexed by magnitude. */
  readonly negative: BucketStore
  zeroCount = 0
  count = 0
  sum = 0
  min = Infinity
  max = -Infinity

  constructor(options: DDSketchOptions = {}) {
    const { accuracy, maxBuckets } = checkSketchOptions(options)
    this.relativeAccuracy = accuracy
    this.maxBuckets = maxBuckets
    this.gamma = (1 + accuracy) / (1 - accuracy)
    this.logGamma = Math.log(this.gamma)
    this.inverseLogGamma = 1 / this.logGamma
    this.positive = new BucketStore(maxBuckets)
    this.negative = new BucketStore(maxBuckets)
  }

  /** Adds one value; NaN and infinities are ignored (they have no bucket). */
  add(x: number): void {
    if (!Number.isFinite(x)) return
    this.count++
    this.sum += x
    if (x < this.min) this.min = x
    if (x > this.max) this.max = x
    if (x > 0) this.positive.add(Math.ceil(Math.log(x) * this.inverseLogGamma), 1)
    else if (x < 0) this.negative.add(Math.ceil(Math.log(-x) * this.inverseLogGamma), 1)
    else this.zeroCount++
  }

  private bucketValue(index: number): number {
    return (2 * Math.exp(index * this.logGamma)) / (this.gamma + 1)
  }

  /**
   * The value at rank floor(q (n-1)) of the sorted input, within the relative accuracy; exact at
   * q = 0 and 1 (min and max are tracked exactly). null when the sketch is empty.
   */
  quantile(q: number): number | null {
    if (!(q >= 0 && q <= 1)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `quantile must be in [0, 1], got ${q}`)
    if (this.count === 0) return null
    if (q === 0) return this.min
    if (q === 1) return this.max
    const rank = Math.floor(q * (this.count - 1))
    let value: number
    const negatives = this.negative.total
    if (rank < negatives) {
      // Most negative first: the negative store ordered by descending magnitude.
      value = -this.bucketValue(this.negative.indexAtRankFromTop(rank))
    } else if (rank < negatives + this.zeroCount) {
      value = 0
    } else {
      value = this.bucketValue(this.positive.indexAtRank(rank - negatives - this.zeroCount))
    }
    // The midpoint of an end bucket can lie beyond the data; the exact extremes are closer.
    return Math.min(this.max, Math.max(this.min, value))
  }

  mergeFrom(other: DDSketch): this {
    if (other.relativeAccuracy !== this.relativeAccuracy || other.maxBuckets !== this.maxBuckets) {
      throw new TributaryError(
        ErrorCode.INVALID_ARGUMENT,
        `cannot merge DDSketches with accuracy/buckets ${this.relativeAccuracy}/${this.maxBuckets} and ` +
          `${other.relativeAccuracy}/${other.maxBuckets}`,
      )
    }
    if (other.count === 0) return this
    this.positive.mergeFrom(other.positive)
    this.negative.mergeFrom(other.negative)
    this.zeroCount += other.zeroCount
    this.count += other.count
    this.sum += other.sum
    if (other.min < this.min) this.min = other.min
    if (other.max > this.max) this.max = other.max
    return this
  }

  serialize(): Uint8Array {
    const w = new ByteWriter(128)
    w.u8(SERDE_MAGIC)
    w.u8(SERDE_VERSION)
    w.f64(this.relativeAccuracy)
    w.u32(this.maxBuckets)
    w.f64(this.count)
    w.f64(this.sum)
    w.f64(this.min)
    w.f64(this.max)
    w.f64(this.zeroCount)
    this.positive.write(w)
    this.negative.write(w)
    return w.finish()
  }

  static deserialize(bytes: Uint8Array): DDSketch {
    const r = new ByteReader(bytes, 'DDSketch')
    r.header(SERDE_MAGIC, SERDE_VERSION)
    const relativeAccuracy = r.f64()
    const maxBuckets = r.u32()
    let sketch: DDSketch
    try {
      sketch = new DDSketch({ relativeAccuracy, maxBuckets })
    } catch (err) {
      throw new TributaryError(ErrorCode.STATE_ERROR, 'corrupt DDSketch accumulator: bad options', { cause: err })
    }
    sketch.count = r.f64()
    sketch.sum = r.f64()
    sketch.min = r.f64()
    sketch.max = r.f64()
    sketch.zeroCount = r.f64()
    sketch.positive.read(r)
    sketch.negative.read(r)
    r.end()
    const counted = sketch.positive.total + sketch.negative.total + sketch.zeroCount
    if (!Number.isInteger(sketch.zeroCount) || sketch.zeroCount < 0 || counted !== sketch.count) {
      throw corrupt('DDSketch', `count ${sketch.count} does not match the bucket counts ${counted}`)
    }
    if (sketch.count > 0 && !(sketch.min <= sketch.max)) throw corrupt('DDSketch', 'min above max')
    return sketch
  }
}
