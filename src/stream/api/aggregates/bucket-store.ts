/**
 * @module The dense, bounded bucket array behind DDSketch: counts for the contiguous bucket indexes
 * [minIndex, maxIndex], at most `maxBuckets` of them. When a new index would widen the range past
 * that, every lower bucket folds into the lowest one kept ("collapse lowest"). The kept range is
 * always [max(lowest seen, highest seen - maxBuckets + 1), highest seen], whatever the order of
 * adds and merges, so merging stores equals building one store from all the input.
 *
 * The array grows by doubling up to a bit more than `maxBuckets`, so steady-state adds allocate
 * nothing.
 */

import { type ByteReader, type ByteWriter, corrupt } from './bytes.ts'

const INITIAL_CAPACITY = 64

export class BucketStore {
  readonly maxBuckets: number
  private counts: Float64Array
  /** Bucket index held by counts[0]. */
  private base = 0
  minIndex = 0
  maxIndex = -1
  total = 0

  constructor(maxBuckets: number) {
    this.maxBuckets = maxBuckets
    this.counts = new Float64Array(Math.min(INITIAL_CAPACITY, maxBuckets))
  }

  /** Number of buckets in the kept range (including empty ones inside it). */
  get span(): number {
    return this.total === 0 ? 0 : this.maxIndex - this.minIndex + 1
  }

  countAt(index: number): number {
    if (this.total === 0 || index < this.minIndex || index > this.maxIndex) return 0
    return this.counts[index - this.base] as number
  }

  add(index: number, weight: number): void {
    if (this.total === 0) {
      this.ensureRange(index, index)
      this.minIndex = index
      this.maxIndex = index
    } else if (index > this.maxIndex) {
      const lowestKept = index - this.maxBuckets + 1
      if (lowestKept > this.minIndex) this.collapseBelow(lowestKept)
      this.ensureRange(this.minIndex, index)
      this.maxIndex = index
    } else if (index < this.minIndex) {
      const lowestKept = this.maxIndex - this.maxBuckets + 1
      if (index < lowestKept) index = lowestKept
      if (index < this.minIndex) {
        this.ensureRange(index, this.maxIndex)
        this.minIndex = index
      }
    }
    this.counts[index - this.base] = (this.counts[index - this.base] as number) + weight
    this.total += weight
  }

  /**
   * Folds all buckets below `lowestKept` into it and makes it the new minIndex; `lowestKept` may
   * lie above maxIndex, in which case it becomes the only bucket. The caller extends maxIndex.
   */
  private collapseBelow(lowestKept: number): void {
    const counts = this.counts
    const end = Math.min(lowestKept - 1, this.maxIndex)
    let folded = 0
    for (let i = this.minIndex; i <= end; i++) {
      folded += counts[i - this.base] as number
      counts[i - this.base] = 0
    }
    if (lowestKept > this.maxIndex) {
      // Everything was folded and the array is all zeros: re-base it on the new bucket.
      this.base = lowestKept
      this.maxIndex = lowestKept
    }
    this.minIndex = lowestKept
    counts[lowestKept - this.base] = (counts[lowestKept - this.base] as number) + folded
  }

  /** Makes [lo, hi] addressable, keeping the current contents; zero-fills what is new. */
  private ensureRange(lo: number, hi: number): void {
    const cap = this.counts.length
    if (lo >= this.base && hi < this.base + cap) return
    const needed = hi - lo + 1
    // Keep capacity at twice the range where allowed, and headroom beyond maxBuckets, so a range
    // that slides (values drifting upward and collapsing) re-bases only every so many adds.
    const limit = this.maxBuckets + Math.max(16, this.maxBuckets >> 1)
    let newCap = cap
    while (newCap < 2 * needed && newCap < limit) newCap *= 2
    newCap = Math.min(newCap, limit)
    let newBase: number
    if (this.total === 0) newBase = lo - ((newCap - needed) >> 1)
    else if (hi >= this.base + cap) newBase = lo // growing upward: slack above
    else newBase = hi - newCap + 1 // growing downward: slack below
    const next = newCap === cap ? this.counts : new Float64Array(newCap)
    if (this.total > 0) {
      const from = this.minIndex - this.base
      const to = this.maxIndex - this.base + 1
      const dest = this.minIndex - newBase
      if (next === this.counts) {
        next.copyWithin(dest, from, to)
        // Zero what the move exposed: everything outside the moved range.
        next.fill(0, 0, dest)
        next.fill(0, dest + (to - from))
      } else {
        next.set(this.counts.subarray(from, to), dest)
      }
    }
    this.counts = next
    this.base = newBase
  }

  /** The bucket index holding the element of 0-based `rank`, counting from the lowest bucket. */
  indexAtRank(rank: number): number {
    let seen = 0
    for (let i = this.minIndex; i <= this.maxIndex; i++) {
      seen += this.counts[i - this.base] as number
      if (seen > rank) return i
    }
    return this.maxIndex
  }

  /** Same, counting from the highest bucket down. */
  indexAtRankFromTop(rank: number): number {
    let seen = 0
    for (let i = this.maxIndex; i >= this.minIndex; i--) {
      seen += this.counts[i - this.base] as number
      if (seen > rank) return i
    }
    return this.minIndex
  }

  mergeFrom(other: BucketStore): void {
    if (other.total === 0) return
    // Highest first, so the range is settled (and any collapse done) before the lower buckets land.
    for (let i = other.maxIndex; i >= other.minIndex; i--) {
      const c = other.counts[i - other.base] as number
      if (c !== 0) this.add(i, c)
    }
  }

  write(w: ByteWriter): void {
    const span = this.span
    w.i32(this.minIndex)
    w.u32(span)
    for (let i = 0; i < span; i++) w.f64(this.counts[this.minIndex + i - this.base] as number)
  }

  /** Reads into an empty store. */
  read(r: ByteReader): void {
    const minIndex = r.i32()
    const span = r.u32()
    if (span > this.maxBuckets) throw corrupt(r.what, `bucket span ${span} above maxBuckets ${this.maxBuckets}`)
    r.checkCount(span, 8)
    if (span === 0) return
    for (let i = 0; i < span; i++) {
      const c = r.f64()
      if (!(c >= 0) || !Number.isInteger(c)) throw corrupt(r.what, `bucket count ${c}`)
      if (c > 0) this.add(minIndex + i, c)
    }
  }
}
