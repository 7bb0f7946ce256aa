/**
 * @module Sparse time index of one segment: (largest batch max timestamp seen so far, relative offset
 * of the batch that carried it). Timestamps strictly increase along the index, so a lookup for `ts`
 * can start scanning at the last entry whose timestamp is below `ts`: every batch up to that entry's
 * offset has a max timestamp < `ts`. The `.timeindex` file holds int64 timestamp + int32 offset entries.
 */
import { persistIndexTail } from './durable-io.ts'

/** Bytes per entry in the `.timeindex` file. */
export const TIME_INDEX_ENTRY_BYTES = 12

export class TimeIndex {
  #timestamps: Float64Array
  #relOffsets: Int32Array
  #count = 0
  #persisted = 0

  constructor(capacity = 16) {
    this.#timestamps = new Float64Array(capacity)
    this.#relOffsets = new Int32Array(capacity)
  }

  get count(): number {
    return this.#count
  }

  /** Timestamp of the last entry, or -Infinity when empty. */
  get lastTimestamp(): number {
    return this.#count === 0 ? -Infinity : (this.#timestamps[this.#count - 1] as number)
  }

  /** Adds an entry only when `timestamp` is above the last one (keeps the index monotonic). */
  maybeAppend(timestamp: number, relOffset: number): void {
    if (timestamp <= this.lastTimestamp) return
    if (this.#count > 0 && relOffset < (this.#relOffsets[this.#count - 1] as number)) return
    if (this.#count === this.#timestamps.length) this.#grow()
    this.#timestamps[this.#count] = timestamp
    this.#relOffsets[this.#count] = relOffset
    this.#count++
  }

  /** Relative offset of the last entry with a timestamp strictly below `timestamp`, or -1. */
  relOffsetBefore(timestamp: number): number {
    let lo = 0
    let hi = this.#count - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if ((this.#timestamps[mid] as number) < timestamp) {
        found = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    return found < 0 ? -1 : (this.#relOffsets[found] as number)
  }

  /** Drops entries pointing at or past `relOffset` (tail truncation). */
  truncateToRelOffset(relOffset: number): void {
    while (this.#count > 0 && (this.#relOffsets[this.#count - 1] as number) >= relOffset) this.#count--
    if (this.#persisted > this.#count) this.#persisted = this.#count
  }

  /** Makes the next `persist` write every entry (the file was lost or replaced). */
  forgetPersisted(): void {
    this.#persisted = 0
  }

  /** Writes the entries not yet in the file and trims the file to exactly the entries in memory. */
  persist(fd: number): void {
    const timestamps = this.#timestamps
    const relOffsets = this.#relOffsets
    persistIndexTail(fd, this.#persisted, this.#count, TIME_INDEX_ENTRY_BYTES, (buf, at, i) => {
      buf.writeBigInt64BE(BigInt(timestamps[i] as number), at)
      buf.writeInt32BE(relOffsets[i] as number, at + 8)
    })
    this.#persisted = this.#count
  }

  /** Parses a `.timeindex` file; undefined when torn or not monotonic (the caller rebuilds). */
  static parse(data: Buffer): TimeIndex | undefined {
    if (data.length % TIME_INDEX_ENTRY_BYTES !== 0) return undefined
    const n = data.length / TIME_INDEX_ENTRY_BYTES
    const index = new TimeIndex(Math.max(16, n))
    for (let i = 0; i < n; i++) {
      const timestamp = Number(data.readBigInt64BE(i * TIME_INDEX_ENTRY_BYTES))
      const relOffset = data.readInt32BE(i * TIME_INDEX_ENTRY_BYTES + 8)
      const before = index.#count
      if (relOffset < 0) return undefined
      index.maybeAppend(timestamp, relOffset)
      if (index.#count === before) return undefined
    }
    index.#persisted = n
    return index
  }

  /** Relative offset of the last entry, or -1. */
  get lastRelOffset(): number {
    return this.#count === 0 ? -1 : (this.#relOffsets[this.#count - 1] as number)
  }

  #grow(): void {
    const timestamps = new Float64Array(this.#timestamps.length * 2)
    timestamps.set(this.#timestamps)
    const relOffsets = new Int32Array(this.#relOffsets.length * 2)
    relOffsets.set(this.#relOffsets)
    this.#timestamps = timestamps
    this.#relOffsets = relOffsets
  }
}
