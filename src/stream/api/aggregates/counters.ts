/**
 * @module Weighted key counters behind topN: exact (a Map, memory grows with the distinct keys)
 * and Space-Saving (Metwally et al. 2005: a fixed number of counters, heavy hitters kept).
 */

import { ErrorCode, TributaryError } from '../../../util/errors.ts'
import { ByteReader, ByteWriter, type DistinctKey, corrupt, readKey, writeKey } from './bytes.ts'

export interface TopNEntry<K> {
  key: K
  /** The count (or summed weight) of the key. Exact, or an upper bound for a Space-Saving topN. */
  value: number
  /** The true value lies in [value - maxError, value]; 0 when exact. */
  maxError: number
}

export interface WeightedCounter<K extends DistinctKey> {
  add(key: K, weight: number): void
  mergeFrom(other: WeightedCounter<K>): WeightedCounter<K>
  /** The `n` largest values, descending; ties by key ascending (numbers before strings). */
  top(n: number): TopNEntry<K>[]
  serialize(): Uint8Array
}

/** Total order on keys for deterministic tie breaking. */
export function compareKeys(a: DistinctKey, b: DistinctKey): number {
  if (typeof a === typeof b) return a < b ? -1 : a > b ? 1 : 0
  return typeof a === 'number' ? -1 : 1
}

function compareEntries<K extends DistinctKey>(a: TopNEntry<K>, b: TopNEntry<K>): number {
  if (a.value !== b.value) return b.value - a.value
  return compareKeys(a.key, b.key)
}

/**
 * The `n` best entries of a stream without sorting all of it: a bounded heap whose root is the
 * worst entry kept.
 */
function selectTop<K extends DistinctKey>(entries: Iterable<TopNEntry<K>>, n: number): TopNEntry<K>[] {
  const heap: TopNEntry<K>[] = []
  if (n <= 0) return heap
  // "worse" is the ordering of the heap: the root compares worst.
  const worse = (i: number, j: number): boolean => compareEntries(heap[i] as TopNEntry<K>, heap[j] as TopNEntry<K>) > 0
  const swap = (i: number, j: number): void => {
    const t = heap[i] as TopNEntry<K>
    heap[i] = heap[j] as TopNEntry<K>
    heap[j] = t
  }
  for (const e of entries) {
    if (heap.length < n) {
      heap.push(e)
      let i = heap.length - 1
      while (i > 0) {
        const parent = (i - 1) >> 1
        if (!worse(i, parent)) break
        swap(i, parent)
        i = parent
      }
    } else if (compareEntries(e, heap[0] as TopNEntry<K>) < 0) {
      heap[0] = e
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let w = i
        if (l < heap.length && worse(l, w)) w = l
        if (r < heap.length && worse(r, w)) w = r
        if (w === i) break
        swap(i, w)
        i = w
      }
    }
  }
  return heap.sort(compareEntries)
}

const SERDE_MAGIC = 0x54 // 'T'
const SERDE_VERSION = 1
const MODE_EXACT = 0
const MODE_SPACE_SAVING = 1
export const MAX_CAPACITY = 1 << 24

export class ExactCounter<K extends DistinctKey> implements WeightedCounter<K> {
  readonly counts = new Map<K, number>()

  add(key: K, weight: number): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + weight)
  }

  mergeFrom(other: WeightedCounter<K>): WeightedCounter<K> {
    if (!(other instanceof ExactCounter)) {
      throw new TributaryError(ErrorCode.INVALID_ARGUMENT, 'cannot merge an exact topN counter with a Space-Saving one')
    }
    for (const [key, w] of (other as ExactCounter<K>).counts) this.add(key, w)
    return this
  }

  *entries(): Generator<TopNEntry<K>> {
    for (const [key, value] of this.counts) yield { key, value, maxError: 0 }
  }

  top(n: number): TopNEntry<K>[] {
    return selectTop(this.entries(), n)
  }

  serialize(): Uint8Array {
    const w = new ByteWriter(16 + this.counts.size * 16)
    w.u8(SERDE_MAGIC)
    w.u8(SERDE_VERSION)
    w.u8(MODE_EXACT)
    w.u32(this.counts.size)
    for (const [key, value] of this.counts) {
      writeKey(w, key)
      w.f64(value)
    }
    return w.finish()
  }
}

/**
 * Space-Saving with `capacity` counters in a min-heap keyed by count: a new key takes over the
 * smallest counter and inherits its count as its possible overestimate. For one stream of total
 * weight N every count overestimates by at most N / capacity, and every key whose true weight
 * exceeds N / capacity is present.
 */
export class SpaceSaving<K extends DistinctKey> implements WeightedCounter<K> {
  readonly capacity: number
  private keys: K[] = []
  private counts: Float64Array
  private errors: Float64Array
  private readonly slots = new Map<K, number>()

  constructor(capacity: number) {
    this.capacity = capacity
    // Grown on demand, so a large capacity costs memory only once that many keys show up.
    this.counts = new Float64Array(Math.min(capacity, 16))
    this.errors = new Float64Array(this.counts.length)
  }

  private reserve(size: number): void {
    if (size <= this.counts.length) return
    const cap = Math.min(this.capacity, Math.max(size, this.counts.length * 2))
    const counts = new Float64Array(cap)
    counts.set(this.counts)
    const errors = new Float64Array(cap)
    errors.set(this.errors)
    this.counts = counts
    this.errors = errors
  }

  get size(): number {
    return this.keys.length
  }

  /** What an absent key may have had: 0 until counters were recycled, then the smallest count. */
  get floor(): number {
    return this.keys.length < this.capacity ? 0 : (this.counts[0] as number)
  }

  add(key: K, weight: number): void {
    if (!(weight >= 0)) {
      throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `Space-Saving topN needs non-negative weights, got ${weight}`)
    }
    const slot = this.slots.get(key)
    if (slot !== undefined) {
      this.counts[slot] = (this.counts[slot] as number) + weight
      this.siftDown(slot)
    } else if (this.keys.length < this.capacity) {
      const i = this.keys.length
      this.reserve(i + 1)
      this.keys.push(key)
      this.counts[i] = weight
      this.errors[i] = 0
      this.slots.set(key, i)
      this.siftUp(i)
    } else {
      this.slots.delete(this.keys[0] as K)
      const floor = this.counts[0] as number
      this.keys[0] = key
      this.errors[0] = floor
      this.counts[0] = floor + weight
      this.slots.set(key, 0)
      this.siftDown(0)
    }
  }

  private swap(i: number, j: number): void {
    const k = this.keys[i] as K
    this.keys[i] = this.keys[j] as K
    this.keys[j] = k
    const c = this.counts[i] as number
    this.counts[i] = this.counts[j] as number
    this.counts[j] = c
    const e = this.errors[i] as number
    this.errors[i] = this.errors[j] as number
    this.errors[j] = e
    this.slots.set(this.keys[i] as K, i)
    this.slots.set(this.keys[j] as K, j)
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1
      if ((this.counts[parent] as number) <= (this.counts[i] as number)) break
      this.swap(i, parent)
      i = parent
    }
  }

  private siftDown(i: number): void {
    const n = this.keys.length
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < n && (this.counts[l] as number) < (this.counts[m] as number)) m = l
      if (r < n && (this.counts[r] as number) < (this.counts[m] as number)) m = r
      if (m === i) return
      this.swap(i, m)
      i = m
    }
  }

  *entries(): Generator<TopNEntry<K>> {
    for (let i = 0; i < this.keys.length; i++) {
      yield { key: this.keys[i] as K, value: this.counts[i] as number, maxError: this.errors[i] as number }
    }
  }

  top(n: number): TopNEntry<K>[] {
    return selectTop(this.entries(), n)
  }

  /**
   * Mergeable-summaries style (Agarwal et al. 2012): a key missing from a full summary may have
   * had up to that summary's floor, so it is credited the floor as count and as error; then the
   * `capacity` largest survive. Bounds stay valid; errors add up across merges.
   */
  mergeFrom(other: WeightedCounter<K>): WeightedCounter<K> {
    if (!(other instanceof SpaceSaving) || other.capacity !== this.capacity) {
      throw new TributaryError(ErrorCode.INVALID_ARGUMENT, 'can only merge Space-Saving topN counters of equal capacity')
    }
    const b = other as SpaceSaving<K>
    const floorA = this.floor
    const floorB = b.floor
    const merged = new Map<K, TopNEntry<K>>()
    for (const e of this.entries()) merged.set(e.key, { key: e.key, value: e.value + floorB, maxError: e.maxError + floorB })
    for (const e of b.entries()) {
      const mine = merged.get(e.key)
      if (mine === undefined) merged.set(e.key, { key: e.key, value: e.value + floorA, maxError: e.maxError + floorA })
      else {
        // Was credited floorB as if absent from b; replace that with b's actual counter.
        mine.value += e.value - floorB
        mine.maxError += e.maxError - floorB
      }
    }
    const kept = selectTop(merged.values(), this.capacity)
    this.load(kept)
    return this
  }

  private load(entries: readonly TopNEntry<K>[]): void {
    this.keys = []
    this.slots.clear()
    for (const e of entries) {
      const i = this.keys.length
      this.reserve(i + 1)
      this.keys.push(e.key)
      this.counts[i] = e.value
      this.errors[i] = e.maxError
      this.slots.set(e.key, i)
      this.siftUp(i)
    }
  }

  serialize(): Uint8Array {
    const w = new ByteWriter(16 + this.keys.length * 24)
    w.u8(SERDE_MAGIC)
    w.u8(SERDE_VERSION)
    w.u8(MODE_SPACE_SAVING)
    w.u32(this.capacity)
    w.u32(this.keys.length)
    for (const e of this.entries()) {
      writeKey(w, e.key)
      w.f64(e.value)
      w.f64(e.maxError)
    }
    return w.finish()
  }

  static fromEntries<K extends DistinctKey>(capacity: number, entries: readonly TopNEntry<K>[]): SpaceSaving<K> {
    const s = new SpaceSaving<K>(capacity)
    s.load(entries)
    return s
  }
}

/** Reads either counter kind. */
export function deserializeCounter<K extends DistinctKey>(bytes: Uint8Array): WeightedCounter<K> {
  const r = new ByteReader(bytes, 'topN')
  r.header(SERDE_MAGIC, SERDE_VERSION)
  const mode = r.u8()
  if (mode === MODE_EXACT) {
    const n = r.u32()
    r.checkCount(n, 13)
    const c = new ExactCounter<K>()
    for (let i = 0; i < n; i++) {
      const key = readKey(r) as K
      const value = r.f64()
      if (c.counts.has(key)) throw corrupt('topN', 'duplicate key')
      c.counts.set(key, value)
    }
    r.end()
    return c
  }
  if (mode === MODE_SPACE_SAVING) {
    const capacity = r.u32()
    const n = r.u32()
    if (n > capacity) throw corrupt('topN', `${n} counters for capacity ${capacity}`)
    r.checkCount(n, 21)
    if (capacity < 1 || capacity > MAX_CAPACITY) throw corrupt('topN', `capacity ${capacity}`)
    const entries: TopNEntry<K>[] = []
    const seen = new Set<K>()
    for (let i = 0; i < n; i++) {
      const key = readKey(r) as K
      const value = r.f64()
      const maxError = r.f64()
      if (seen.has(key)) throw corrupt('topN', 'duplicate key')
      if (!(value >= 0 && maxError >= 0 && maxError <= value)) throw corrupt('topN', `counter ${value} ± ${maxError}`)
      seen.add(key)
      entries.push({ key, value, maxError })
    }
    r.end()
    return SpaceSaving.fromEntries(capacity, entries)
  }
  throw corrupt('topN', `unknown mode ${mode}`)
}
