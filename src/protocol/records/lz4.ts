/**
 * @module LZ4 frame format (the `lz4` codec of Kafka batches), written here rather than taken from lz4js:
 * lz4js's decoder does no bounds checks and ignores checksums and content size, and its encoder neither
 * sets the block-independence flag Kafka's Java client requires ("Dependent block stream is unsupported")
 * nor keeps the last match 12 bytes from the block end as the LZ4 spec demands.
 *
 * Decoding runs two passes over the frame: the first validates every header, checksum, block and match
 * offset and measures the exact output size without writing anything, the second writes into one buffer of
 * exactly that size. So a hostile frame costs at most its own length in work before it is rejected, and the
 * output never exceeds the caller's limit.
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { xxhash32 } from './xxhash32.ts'

const FRAME_MAGIC = 0x184d2204
const SKIPPABLE_MAGIC = 0x184d2a50
const MIN_MATCH = 4
const LAST_LITERALS = 5
const MFLIMIT = 12
const MAX_OFFSET = 0xffff
/** Block maximum sizes by BD bits 6-4; 0-3 are invalid. */
const BLOCK_MAX_SIZES = [0, 0, 0, 0, 0x10000, 0x40000, 0x100000, 0x400000] as const
/** We write 64 KiB blocks, as Kafka's own LZ4 stream does. */
const BLOCK_SIZE = 0x10000
const BD_64KB = 0x40
/** Version 01 and block independence. */
const FLG_VERSION_INDEPENDENT = 0x60
const HASH_LOG = 12
const hashTable = new Int32Array(1 << HASH_LOG)

function corrupt(reason: string): TributaryError {
  return new TributaryError(ErrorCode.CORRUPT_RECORD, `lz4: ${reason}`)
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}

function read32(src: Uint8Array, i: number): number {
  return (src[i] as number) | ((src[i + 1] as number) << 8) | ((src[i + 2] as number) << 16) | ((src[i + 3] as number) << 24)
}

/** Reads an LZ4 length extension (bytes of 255 continue) at `s`; returns the sum, leaves the next position in cursor. */
function readLengthExtension(src: Buffer, s: number, sEnd: number, cursor: { pos: number }): number {
  let added = 0
  let b: number
  do {
    if (s >= sEnd) throw corrupt('length runs past the block')
    b = src[s++] as number
    added += b
  } while (b === 255)
  cursor.pos = s
  return added
}

const extCursor = { pos: 0 }

/**
 * Decodes the LZ4 block src[s, sEnd) to dst at `d`, or only measures it when dst is null.
 * Matches may reach back to `windowStart`; output may not pass `dLimit`. Returns the output end.
 */
function decodeBlock(src: Buffer, s: number, sEnd: number, dst: Buffer | null, d: number, windowStart: number, dLimit: number): number {
  while (s < sEnd) {
    const token = src[s++] as number
    let lit = token >>> 4
    if (lit === 15) {
      lit += readLengthExtension(src, s, sEnd, extCursor)
      s = extCursor.pos
    }
    if (lit > sEnd - s) throw corrupt('literals run past the block')
    if (lit > dLimit - d) throw corrupt('block decodes beyond its maximum size')
    if (dst !== null) {
      if (lit < 16) for (let i = 0; i < lit; i++) dst[d + i] = src[s + i] as number
      else src.copy(dst, d, s, s + lit)
    }
    s += lit
    d += lit
    // The last sequence of a block carries literals only.
    if (s === sEnd) break
    if (sEnd - s < 2) throw corrupt('match offset runs past the block')
    const offset = (src[s] as number) | ((src[s + 1] as number) << 8)
    s += 2
    if (offset === 0 || offset > d - windowStart) throw corrupt(`match offset ${offset} points outside the window`)
    let len = token & 15
    if (len === 15) {
      len += readLengthExtension(src, s, sEnd, extCursor)
      s = extCursor.pos
    }
    len += MIN_MATCH
    if (len > dLimit - d) throw corrupt('block decodes beyond its maximum size')
    if (dst !== null) {
      const from = d - offset
      if (offset >= len && len >= 32) dst.copyWithin(d, from, from + len)
      else for (let i = 0; i < len; i++) dst[d + i] = dst[from + i] as number
    }
    d += len
  }
  return d
}

/** Walks all frames of `src`; measures (dst null) or writes. Returns the total output length. */
function walkFrames(src: Buffer, dst: Buffer | null, maxOutput: number): number {
  const end = src.length
  if (end === 0) throw corrupt('empty input')
  let s = 0
  let d = 0
  let frames = 0
  while (s < end) {
    if (end - s < 4) throw corrupt('truncated frame magic')
    const magic = src.readUInt32LE(s)
    if ((magic & 0xfffffff0) >>> 0 === SKIPPABLE_MAGIC) {
      if (end - s < 8) throw corrupt('truncated skippable frame')
      const size = src.readUInt32LE(s + 4)
      if (size > end - s - 8) throw corrupt('skippable frame runs past the input')
      s += 8 + size
      continue
    }
    if (magic !== FRAME_MAGIC) throw corrupt(frames === 0 ? 'bad frame magic' : 'trailing bytes after the last frame')
    s += 4
    if (end - s < 3) throw corrupt('truncated frame descriptor')
    const descStart = s
    const flg = src[s++] as number
    const bd = src[s++] as number
    if (flg >>> 6 !== 1) throw corrupt(`unsupported frame version ${flg >>> 6}`)
    if ((flg & 0x02) !== 0 || (bd & 0x8f) !== 0) throw corrupt('reserved descriptor bits are set')
    const blockMax = BLOCK_MAX_SIZES[(bd >>> 4) & 7] as number
    if (blockMax === 0) throw corrupt(`invalid block maximum size code ${(bd >>> 4) & 7}`)
    const independent = (flg & 0x20) !== 0
    const blockChecksum = (flg & 0x10) !== 0
    const contentChecksum = (flg & 0x04) !== 0
    let contentSize = -1
    if ((flg & 0x08) !== 0) {
      if (end - s < 8) throw corrupt('truncated content size')
      const hi = src.readUInt32LE(s + 4)
      contentSize = hi * 0x100000000 + src.readUInt32LE(s)
      s += 8
      if (contentSize > maxOutput - d) throw tooLarge(maxOutput)
    }
    if ((flg & 0x01) !== 0) throw new TributaryError(ErrorCode.UNSUPPORTED_COMPRESSION, 'lz4: frames with a dictionary id are not supported')
    if (s >= end) throw corrupt('truncated header checksum')
    if (src[s] !== ((xxhash32(src, descStart, s) >>> 8) & 0xff)) throw corrupt('frame header checksum mismatch')
    s++
    const frameStart = d
    for (;;) {
      if (end - s < 4) throw corrupt('truncated block size')
      const word = src.readUInt32LE(s)
      s += 4
      if (word === 0) break
      const size = word & 0x7fffffff
      const stored = word !== size
      if (size > blockMax) throw corrupt(`block of ${size} bytes exceeds the frame's block maximum ${blockMax}`)
      if (size > end - s - (blockChecksum ? 4 : 0)) throw corrupt('block runs past the end of the input')
      if (blockChecksum && dst === null && xxhash32(src, s, s + size) !== src.readUInt32LE(s + size)) {
        throw corrupt('block checksum mismatch')
      }
      if (stored) {
        if (dst !== null) src.copy(dst, d, s, s + size)
        d += size
      } else {
        d = decodeBlock(src, s, s + size, dst, d, independent ? d : frameStart, d + blockMax)
      }
      if (d > maxOutput) throw tooLarge(maxOutput)
      s += size + (blockChecksum ? 4 : 0)
    }
    if (contentChecksum) {
      if (end - s < 4) throw corrupt('truncated content checksum')
      if (dst !== null && xxhash32(dst, frameStart, d) !== src.readUInt32LE(s)) throw corrupt('content checksum mismatch')
      s += 4
    }
    if (contentSize >= 0 && d - frameStart !== contentSize) {
      throw corrupt(`frame declares ${contentSize} bytes of content but holds ${d - frameStart}`)
    }
    frames++
  }
  return d
}

function tooLarge(maxOutput: number): TributaryError {
  return new TributaryError(ErrorCode.RECORD_TOO_LARGE, `lz4: decompressed data exceeds the limit of ${maxOutput} bytes`)
}

/** Decodes a sequence of LZ4 frames (skippable frames allowed) into one exactly sized Buffer. */
export function lz4DecompressFrame(input: Uint8Array, maxOutput: number): Buffer {
  const src = asBuffer(input)
  const total = walkFrames(src, null, maxOutput)
  const out = Buffer.allocUnsafe(total)
  walkFrames(src, out, total)
  return out
}

function writeLength(dst: Buffer, d: number, rest: number): number {
  while (rest >= 255) {
    dst[d++] = 255
    rest -= 255
  }
  dst[d++] = rest
  return d
}

/**
 * Compresses src[start, end) as one independent LZ4 block at dst[d]; returns the output end, or -1 when
 * the result would pass `dLimit` (the caller then stores the block uncompressed).
 */
function compressBlock(src: Buffer, start: number, end: number, dst: Buffer, d: number, dLimit: number): number {
  let anchor = start
  let ip = start
  const mflimit = end - MFLIMIT
  const matchLimit = end - LAST_LITERALS
  let searches = 1 << 6
  while (ip <= mflimit) {
    const seq = read32(src, ip)
    const h = Math.imul(seq, 0x9e3779b1) >>> (32 - HASH_LOG)
    const ref = hashTable[h] as number
    hashTable[h] = ip
    // Refs from earlier blocks fall below `start`, which keeps blocks independent.
    if (ref < start || ip - ref > MAX_OFFSET || read32(src, ref) !== seq) {
      ip += searches++ >> 6
      continue
    }
    searches = 1 << 6
    let mStart = ip
    let rStart = ref
    while (mStart > anchor && rStart > start && src[mStart - 1] === src[rStart - 1]) {
      mStart--
      rStart--
    }
    let mEnd = ip + MIN_MATCH
    let r = ref + MIN_MATCH
    while (mEnd < matchLimit && src[mEnd] === src[r]) {
      mEnd++
      r++
    }
    const lit = mStart - anchor
    const ml = mEnd - mStart - MIN_MATCH
    if (d + lit + ((lit / 255) | 0) + ((ml / 255) | 0) + 6 > dLimit) return -1
    const tokenPos = d++
    let token = lit >= 15 ? 0xf0 : lit << 4
    if (lit >= 15) d = writeLength(dst, d, lit - 15)
    src.copy(dst, d, anchor, mStart)
    d += lit
    const offset = mStart - rStart
    dst[d++] = offset & 0xff
    dst[d++] = offset >>> 8
    if (ml >= 15) {
      token |= 15
      d = writeLength(dst, d, ml - 15)
    } else {
      token |= ml
    }
    dst[tokenPos] = token
    ip = mEnd
    anchor = ip
    if (ip - 2 >= start && ip - 2 <= mflimit) hashTable[Math.imul(read32(src, ip - 2), 0x9e3779b1) >>> (32 - HASH_LOG)] = ip - 2
  }
  const lit = end - anchor
  if (d + lit + ((lit / 255) | 0) + 2 > dLimit) return -1
  dst[d++] = lit >= 15 ? 0xf0 : lit << 4
  if (lit >= 15) d = writeLength(dst, d, lit - 15)
  src.copy(dst, d, anchor, end)
  return d + lit
}

/**
 * Compresses `input` as one LZ4 frame as Kafka's Java client writes it: version 1, independent 64 KiB
 * blocks, no checksums beyond the header's (Kafka does not verify content checksums).
 */
export function lz4CompressFrame(input: Uint8Array): Buffer {
  const src = asBuffer(input)
  const n = src.length
  const blocks = Math.ceil(n / BLOCK_SIZE)
  // Each block is stored raw when compression does not shrink it, so this bound always holds.
  const out = Buffer.allocUnsafe(7 + n + 4 * blocks + 4)
  out.writeUInt32LE(FRAME_MAGIC, 0)
  out[4] = FLG_VERSION_INDEPENDENT
  out[5] = BD_64KB
  out[6] = (xxhash32(out, 4, 6) >>> 8) & 0xff
  let d = 7
  hashTable.fill(-1)
  for (let start = 0; start < n; start += BLOCK_SIZE) {
    const end = Math.min(n, start + BLOCK_SIZE)
    const sizePos = d
    d += 4
    const written = compressBlock(src, start, end, out, d, d + (end - start) - 1)
    if (written < 0) {
      out.writeUInt32LE((end - start + 0x80000000) >>> 0, sizePos)
      src.copy(out, d, start, end)
      d += end - start
    } else {
      out.writeUInt32LE(written - d, sizePos)
      d = written
    }
  }
  out.writeUInt32LE(0, d)
  return out.subarray(0, d + 4)
}
