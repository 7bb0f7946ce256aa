/**
 * @module Sparse offset index of one segment: (offset relative to the segment base, byte position of
 * the batch starting there), one entry per `indexIntervalBytes` of log. Kept in typed arrays for
 * lookups; the `.index` file holds the same entries as big-endian int32 pairs and is rewritten from
 * memory when the segment is sealed or the log is closed (it can always be rebuilt from the log).
 */
import { persistIndexTail } from './durable-io.ts'

/** Bytes per entry in the `.index` file: int32 relative offset, int32 position. */
export const OFFSET_INDEX_ENTRY_BYTES = 8

export class OffsetIndex {
  #relOffsets: Int32Array
  #positions: Int32Array
  #count = 0
  /** Entries already in the file; the rest are written by `persist`. */
  #persisted = 0

  constructor(capacity = 16) {
    this.#relOffsets = new Int32Array(capacity)
    this.#positions = new Int32Array(capacity)
  }

  get count(): number {
    return this.#count
  }

  relOffsetAt(i: number): number {
    return this.#relOffsets[i] as number
  }

  positionAt(i: number): number {
    return this.#positions[i] as number
  }

  append(relOffset: number, position: number): void {
    if (this.#count === this.#relOffsets.length) this.#grow()
    this.#relOffsets[this.#count] = relOffset
    this.#positions[this.#count] = position
    this.#count++
  }

  /** Byte position of the last indexed batch starting at or before `relOffset`; 0 when none. */
  floorPosition(relOffset: number): number {
    const i = this.floorSlot(relOffset)
    return i < 0 ? 0 : (this.#positions[i] as number)
  }

  /** Slot of the largest entry with relative offset <= `relOffset`, or -1. */
  floorSlot(relOffset: number): number {
    let lo = 0
    let hi = this.#count - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if ((this.#relOffsets[mid] as number) <= relOffset) {
        found = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    return found
  }

  /** Drops entries at or after `position` (used when the log tail is truncated). */
  truncateToPosition(position: number): void {
    while (this.#count > 0 && (this.#positions[this.#count - 1] as number) >= position) this.#count--
    if (this.#persisted > this.#count) this.#persisted = this.#count
  }

  /** Makes the next `persist` write every entry (the file was lost or replaced). */
  forgetPersisted(): void {
    this.#persisted = 0
  }

  /** Writes the entries not yet in the file and trims the file to exactly the entries in memory. */
  persist(fd: number): void {
    const relOffsets = this.#relOffsets
    const positions = this.#positions
    persistIndexTail(fd, this.#persisted, this.#count, OFFSET_INDEX_ENTRY_BYTES, (buf, at, i) => {
      buf.writeInt32BE(relOffsets[i] as number, at)
      buf.writeInt32BE(positions[i] as number, at + 4)
    })
    this.#persisted = this.#count
  }

  /**
   * Parses an `.index` file. Returns undefined when it cannot be a valid index for a log of
   * `logSize` bytes (torn size, entries out of order, positions past the end): the caller rebuilds.
   */
  static parse(data: Buffer, logSize: number): OffsetIndex | undefined {
    if (data.length % OFFSET_INDEX_ENTRY_BYTES !== 0) return undefined
    const n = data.length / OFFSET_INDEX_ENTRY_BYTES
    const index = new OffsetIndex(Math.max(16, n))
    let prevOffset = -1
    let prevPosition = -1
    for (let i = 0; i < n; i++) {
      const relOffset = data.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES)
      const position = data.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES + 4)
      if (relOffset <= prevOffset || position <= prevPosition || position >= logSize) return undefined
      index.append(relOffset, position)
      prevOffset = relOffset
      prevPosition = position
    }
    index.#persisted = n
    return index
  }

  #grow(): void {
    const relOffsets = new Int32Array(this.#relOffsets.length * 2)
    relOffsets.set(this.#relOffsets)
    const positions = new Int32Array(this.#positions.length * 2)
    positions.set(this.#positions)
    this.#relOffsets = relOffsets
    this.#positions = positions
  }
}
