/**
 * @module One log segment: `<base>.log` holds RecordBatch v2 bytes exactly as stored, `<base>.index`
 * and `<base>.timeindex` its sparse indexes. The segment tracks its end offset, size and largest
 * timestamp in memory and serves reads with one readSync for the common case.
 */
import fs from 'node:fs'
import path from 'node:path'
import { BATCH_OVERHEAD, BatchOffsets, LOG_OVERHEAD, checkBatch } from '../protocol/records/batch-header.ts'
import { ErrorCode, TributaryError } from '../util/errors.ts'
import { readInt64, scanHeaders } from './batch-scan.ts'
import { readAt, unlinkIfExists, writeFully } from './durable-io.ts'
import { OffsetIndex } from './offset-index.ts'
import { TimeIndex } from './time-index.ts'
import { type ReadBuffers } from './types.ts'

export const LOG_SUFFIX = '.log'
export const INDEX_SUFFIX = '.index'
export const TIME_INDEX_SUFFIX = '.timeindex'
/** Largest offset distance from a segment's base that the int32 index entries can express. */
export const MAX_RELATIVE_OFFSET = 0x7fffffff

const EMPTY = Buffer.alloc(0)

/**
 * An open log file descriptor that is closed only once no fsync is in flight on it: closing it
 * earlier could let the number be reused by another file and the fsync hit the wrong file.
 */
class SegmentFile {
  readonly fd: number
  #pending = 0
  #closeRequested = false
  #closed = false

  constructor(fd: number) {
    this.fd = fd
  }

  async sync(fn: (fd: number) => Promise<void>): Promise<void> {
    if (this.#closed || this.#closeRequested) return
    this.#pending++
    try {
      await fn(this.fd)
    } finally {
      this.#pending--
      if (this.#pending === 0 && this.#closeRequested) this.#closeNow()
    }
  }

  close(): void {
    if (this.#pending > 0) this.#closeRequested = true
    else this.#closeNow()
  }

  #closeNow(): void {
    if (this.#closed) return
    this.#closed = true
    fs.closeSync(this.fd)
  }
}

/** `00000000000000001234` for base offset 1234: names sort in offset order. */
export function segmentName(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0')
}

export class LogSegment {
  readonly dir: string
  readonly baseOffset: number
  #file: SegmentFile
  /** Bytes of valid batches in the file. */
  size: number
  /** Offset after the last batch; the base offset while empty. */
  nextOffset: number
  /** Largest batch max timestamp, -1 while empty. */
  maxTimestamp = -1
  offsetOfMaxTimestamp = -1
  /** Broker time at which the segment got its first batch (segment.ms counts from here). */
  rollAnchorMs = -1
  bytesSinceIndexEntry = 0
  /**
   * File position up to which every batch is known to pass its CRC: appends are validated before they
   * are written and recovery validates what it scans, but segments trusted at open (clean shutdown, or
   * below the recovery point) start at 0 and are verified on first read, so a flipped bit in old data
   * is reported instead of served.
   */
  verifiedUpTo = 0
  offsetIndex = new OffsetIndex()
  timeIndex = new TimeIndex()

  constructor(dir: string, baseOffset: number, fd: number, size: number) {
    this.dir = dir
    this.baseOffset = baseOffset
    this.#file = new SegmentFile(fd)
    this.size = size
    this.nextOffset = baseOffset
  }

  static create(dir: string, baseOffset: number): LogSegment {
    const name = path.join(dir, segmentName(baseOffset))
    const fd = fs.openSync(name + LOG_SUFFIX, 'wx+')
    for (const suffix of [INDEX_SUFFIX, TIME_INDEX_SUFFIX]) fs.closeSync(fs.openSync(name + suffix, 'w'))
    return new LogSegment(dir, baseOffset, fd, 0)
  }

  get fd(): number {
    return this.#file.fd
  }

  static open(dir: string, baseOffset: number): LogSegment {
    const file = path.join(dir, segmentName(baseOffset) + LOG_SUFFIX)
    const fd = fs.openSync(file, 'r+')
    return new LogSegment(dir, baseOffset, fd, fs.fstatSync(fd).size)
  }

  get logPath(): string {
    return path.join(this.dir, segmentName(this.baseOffset) + LOG_SUFFIX)
  }

  get indexPath(): string {
    return path.join(this.dir, segmentName(this.baseOffset) + INDEX_SUFFIX)
  }

  get timeIndexPath(): string {
    return path.join(this.dir, segmentName(this.baseOffset) + TIME_INDEX_SUFFIX)
  }

  /** Updates offsets, timestamps and the sparse indexes for a batch stored at `position`. */
  trackBatch(baseOffset: number, lastOffset: number, maxTimestamp: number, position: number, size: number, indexIntervalBytes: number): void {
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp
      this.offsetOfMaxTimestamp = baseOffset
    }
    if (this.bytesSinceIndexEntry >= indexIntervalBytes) {
      const rel = baseOffset - this.baseOffset
      const n = this.offsetIndex.count
      if (n === 0 || this.offsetIndex.relOffsetAt(n - 1) < rel) this.offsetIndex.append(rel, position)
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp - this.baseOffset)
      this.bytesSinceIndexEntry = 0
    }
    this.bytesSinceIndexEntry += size
    this.nextOffset = lastOffset + 1
  }

  /** Tracks every batch in `buf` (stored at file position `position`), reading their headers in place. */
  trackBatches(buf: Buffer, position: number, indexIntervalBytes: number): void {
    for (let i = 0; i < buf.length; ) {
      const size = buf.readInt32BE(i + BatchOffsets.batchLength) + LOG_OVERHEAD
      const base = readInt64(buf, i)
      this.trackBatch(base, base + buf.readInt32BE(i + BatchOffsets.lastOffsetDelta), readInt64(buf, i + BatchOffsets.maxTimestamp), position + i, size, indexIntervalBytes)
      i += size
    }
  }

  /** Appends bytes at the end of the file; on failure the file is cut back so it holds only whole batches. */
  write(buf: Buffer): void {
    try {
      writeFully(this.fd, buf, this.size)
    } catch (err) {
      fs.ftruncateSync(this.fd, this.size)
      throw err
    }
    // Only validated batches are written, so verified data stays verified.
    if (this.verifiedUpTo === this.size) this.verifiedUpTo += buf.length
    this.size += buf.length
  }

  read(position: number, length: number, buffers?: ReadBuffers): Buffer {
    return readAt(this.fd, position, length, buffers)
  }

  /**
   * Whole batches from the one containing `offset` (or the first after it, across a compaction gap),
   * up to `maxBytes` but at least that first batch, stopping before any batch at or above `limitOffset`.
   * Undefined when no batch of this segment ends at or after `offset`. `slack` covers the distance the
   * sparse index may leave before the wanted batch, so one read usually suffices.
   */
  readFrom(offset: number, maxBytes: number, limitOffset: number, slack: number, buffers?: ReadBuffers): Buffer | undefined {
    if (offset >= this.nextOffset) return undefined
    const want = Math.max(maxBytes, BATCH_OVERHEAD)
    let pos = this.offsetIndex.floorPosition(offset - this.baseOffset)
    let buf = this.read(pos, Math.min(this.size - pos, want + slack), buffers)
    let i = 0
    let firstSize = 0
    for (;;) {
      if (i + BATCH_OVERHEAD > buf.length) {
        pos += i
        if (pos + BATCH_OVERHEAD > this.size) return undefined
        buf = this.read(pos, Math.min(this.size - pos, want + slack), buffers)
        i = 0
        continue
      }
      firstSize = buf.readInt32BE(i + BatchOffsets.batchLength) + LOG_OVERHEAD
      const base = readInt64(buf, i)
      if (base + buf.readInt32BE(i + BatchOffsets.lastOffsetDelta) >= offset) {
        if (base >= limitOffset) return EMPTY
        break
      }
      i += firstSize
    }
    if (i + firstSize > buf.length) {
      pos += i
      buf = this.read(pos, Math.min(this.size - pos, Math.max(want, firstSize)), buffers)
      i = 0
    }
    const limit = Math.min(buf.length, i + Math.max(maxBytes, firstSize))
    let end = i + firstSize
    while (end + BATCH_OVERHEAD <= limit) {
      const size = buf.readInt32BE(end + BatchOffsets.batchLength) + LOG_OVERHEAD
      if (end + size > limit || readInt64(buf, end) >= limitOffset) break
      end += size
    }
    if (pos + end > this.verifiedUpTo) this.#verify(buf, i, end, pos)
    return buf.subarray(i, end)
  }

  /** CRC-checks the batches of buf[from, to) (file position `filePos` + index) not yet verified. */
  #verify(buf: Buffer, from: number, to: number, filePos: number): void {
    for (let at = from; at < to; ) {
      const size = buf.readInt32BE(at + BatchOffsets.batchLength) + LOG_OVERHEAD
      const position = filePos + at
      if (position + size > this.verifiedUpTo) {
        const check = checkBatch(buf, at, at + size)
        if (check.kind !== 'ok') {
          throw new TributaryError(
            ErrorCode.CORRUPT_LOG,
            `corrupt batch in ${this.logPath} at byte ${position}: ${check.reason}; the partition's data is not served past it`,
            { details: { file: this.logPath, position } },
          )
        }
        if (position === this.verifiedUpTo) this.verifiedUpTo = position + size
      }
      at += size
    }
  }

  /** The first batch below `limitOffset` whose max timestamp is >= `timestamp`. */
  findByTimestamp(timestamp: number, limitOffset: number): { offset: number; timestamp: number } | undefined {
    const rel = this.timeIndex.relOffsetBefore(timestamp)
    const from = rel < 0 ? 0 : this.offsetIndex.floorPosition(rel)
    let found: { offset: number; timestamp: number } | undefined
    scanHeaders(this.fd, from, this.size, (buf, at) => {
      const base = readInt64(buf, at)
      if (base >= limitOffset) return false
      const maxTs = readInt64(buf, at + BatchOffsets.maxTimestamp)
      if (maxTs < timestamp) return true
      found = { offset: base, timestamp: maxTs }
      return false
    })
    return found
  }

  /**
   * Writes both index files (to `<name><suffix>`); `final` first adds the time index entry for the
   * segment's max timestamp, as a sealed segment gets no more batches.
   */
  persistIndexes(final: boolean, suffix = ''): void {
    if (final && this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp - this.baseOffset)
    const flags = fs.constants.O_RDWR | fs.constants.O_CREAT
    const indexFd = fs.openSync(this.indexPath + suffix, flags)
    try {
      this.offsetIndex.persist(indexFd)
    } finally {
      fs.closeSync(indexFd)
    }
    const timeFd = fs.openSync(this.timeIndexPath + suffix, flags)
    try {
      this.timeIndex.persist(timeFd)
    } finally {
      fs.closeSync(timeFd)
    }
  }

  /** Runs an fsync of the log file while keeping its descriptor open. */
  syncWith(sync: (fd: number) => Promise<void>): Promise<void> {
    return this.#file.sync(sync)
  }

  /** fsyncs the index files (before a recovery point may move past this segment). */
  async syncIndexes(sync: (fd: number) => Promise<void>, suffix = ''): Promise<void> {
    for (const p of [this.indexPath + suffix, this.timeIndexPath + suffix]) {
      let fd: number
      try {
        fd = fs.openSync(p, 'r')
      } catch (err) {
        // Deleted meanwhile (retention), or replaced by a writer that synced its own file.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
        throw err
      }
      try {
        await sync(fd)
      } finally {
        fs.closeSync(fd)
      }
    }
  }

  /** Swaps in a new file under the same name (compaction); the old descriptor closes once idle. */
  replaceFile(fd: number, size: number): void {
    const old = this.#file
    this.#file = new SegmentFile(fd)
    this.size = size
    // Compaction writes only batches it decoded and validated.
    this.verifiedUpTo = size
    old.close()
  }

  resetState(): void {
    this.nextOffset = this.baseOffset
    this.maxTimestamp = -1
    this.offsetOfMaxTimestamp = -1
    this.bytesSinceIndexEntry = 0
    this.offsetIndex = new OffsetIndex()
    this.timeIndex = new TimeIndex()
  }

  close(): void {
    this.#file.close()
  }

  /** Closes and unlinks the segment's three files. */
  deleteFiles(): void {
    this.close()
    for (const p of [this.logPath, this.indexPath, this.timeIndexPath]) unlinkIfExists(p)
  }
}
