/**
 * @module Walking stored batches by their headers, in file-sized chunks: one readSync covers many
 * small batches, and a large batch is skipped by its length without reading its body.
 */
import { BATCH_OVERHEAD, LOG_OVERHEAD } from '../protocol/records/batch-header.ts'
import { readFully } from './durable-io.ts'

const HEADER_CHUNK_BYTES = 64 * 1024

/** A signed int64 field as a JS number without BigInt (exact below 2^53, which offsets and timestamps are). */
export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * 4294967296 + buf.readUInt32BE(pos + 4)
}

/**
 * Calls `visit(buf, at, filePos, size)` for each batch in file range [from, to) whose header is
 * readable and whose declared size fits before `to`; stops when `visit` returns false, when fewer
 * than a header's bytes remain, or at a length below the minimum. Returns where it stopped: `to`
 * after a clean walk, else the position of the batch it did not get past.
 */
export function scanHeaders(
  fd: number,
  from: number,
  to: number,
  visit: (buf: Buffer, at: number, filePos: number, size: number) => boolean,
): number {
  const chunk = Buffer.allocUnsafe(Math.min(HEADER_CHUNK_BYTES, Math.max(BATCH_OVERHEAD, to - from)))
  let pos = from
  while (pos + BATCH_OVERHEAD <= to) {
    const n = readFully(fd, chunk, 0, Math.min(chunk.length, to - pos), pos)
    if (n < BATCH_OVERHEAD) return pos
    let i = 0
    while (i + BATCH_OVERHEAD <= n) {
      const size = chunk.readInt32BE(i + 8) + LOG_OVERHEAD
      if (size < BATCH_OVERHEAD || pos + i + size > to) return pos + i
      if (!visit(chunk, i, pos + i, size)) return pos + i
      i += size
    }
    pos += i
  }
  return pos
}

/**
 * Calls `visit` with each whole batch of a validated file: buf[at, at + size) until the next call
 * (the buffer is reused, so copy what must outlive the callback).
 */
export function forEachBatch(fd: number, fileSize: number, visit: (buf: Buffer, at: number, filePos: number, size: number) => void): void {
  const reader = new ChunkReader(fd, fileSize)
  let pos = 0
  while (pos + BATCH_OVERHEAD <= fileSize) {
    let at = reader.ensure(pos, BATCH_OVERHEAD)
    const size = reader.buf.readInt32BE(at + 8) + LOG_OVERHEAD
    if (size < BATCH_OVERHEAD || pos + size > fileSize) throw new Error(`batch at byte ${pos} claims ${size} bytes, past the end of the file`)
    if (reader.available(at) < size) at = reader.ensure(pos, size)
    visit(reader.buf, at, pos, size)
    pos += size
  }
}

/**
 * Gives file bytes [pos, pos + len) as a window of a reusable buffer, reading a larger chunk at a
 * time so sequential access costs one syscall per chunk. Never reads past `fileSize`.
 */
export class ChunkReader {
  buf: Buffer
  #start = 0
  #length = 0
  readonly #fd: number
  readonly #fileSize: number
  readonly #chunkBytes: number

  constructor(fd: number, fileSize: number, chunkBytes = 1 << 20) {
    this.#fd = fd
    this.#fileSize = fileSize
    this.#chunkBytes = chunkBytes
    this.buf = Buffer.allocUnsafe(0)
  }

  /** Index into `buf` of file position `pos`, with min(len, fileSize - pos) bytes available there. */
  ensure(pos: number, len: number): number {
    const want = Math.min(len, this.#fileSize - pos)
    if (pos >= this.#start && pos + want <= this.#start + this.#length) return pos - this.#start
    const readLen = Math.min(Math.max(want, this.#chunkBytes), this.#fileSize - pos)
    if (this.buf.length < readLen) this.buf = Buffer.allocUnsafe(Math.max(readLen, this.#chunkBytes))
    this.#length = readFully(this.#fd, this.buf, 0, readLen, pos)
    this.#start = pos
    return 0
  }

  /** Bytes available in `buf` from index `at`. */
  available(at: number): number {
    return this.#length - at
  }
}
