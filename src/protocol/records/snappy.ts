/**
 * @module Snappy for Kafka batches. Java producers write snappy-java's "xerial" framing (magic
 * 82 53 4E 41 50 50 59 00, int32 version, int32 compatible version, then [int32 length][raw snappy
 * block]...); other clients write one raw snappy block. Both are decoded; we write the xerial framing,
 * which every Kafka client reads.
 *
 * The decoder is our own: snappyjs's decoder trusts its input (a 9-byte crafted block makes it loop for
 * billions of steps, and short output is silently zero-filled). Compression uses snappyjs.
 */
import { createRequire } from 'node:module'
import { ErrorCode, TributaryError } from '../../util/errors.ts'

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const XERIAL_HEADER = 16
/** snappy-java's default block size. */
const XERIAL_BLOCK = 32 * 1024

function corrupt(reason: string): TributaryError {
  return new TributaryError(ErrorCode.CORRUPT_RECORD, `snappy: ${reason}`)
}

function tooLarge(limit: number): TributaryError {
  return new TributaryError(ErrorCode.RECORD_TOO_LARGE, `snappy: decompressed data exceeds the limit of ${limit} bytes`)
}

interface SnappyJs {
  compress(input: Buffer): Buffer
}

let snappyJs: SnappyJs | undefined
function snappy(): SnappyJs {
  snappyJs ??= createRequire(import.meta.url)('snappyjs') as SnappyJs
  return snappyJs
}

/** Reads the uncompressed-length preamble of the raw block at src[s, end); returns it and its size. */
function readPreamble(src: Buffer, s: number, end: number, out: { length: number; next: number }): void {
  let value = 0
  for (let shift = 0; shift < 35; shift += 7) {
    if (s >= end) throw corrupt('truncated length preamble')
    const b = src[s++] as number
    value += (b & 0x7f) * 2 ** shift
    if (b < 0x80) {
      if (value > 0xffffffff) throw corrupt('length preamble exceeds 32 bits')
      out.length = value
      out.next = s
      return
    }
  }
  throw corrupt('length preamble is longer than 5 bytes')
}

const preamble = { length: 0, next: 0 }

/** Decodes the raw snappy elements src[s, end) into dst[d, dEnd), which they must fill exactly. */
function decodeElements(src: Buffer, s: number, end: number, dst: Buffer, d: number, dEnd: number): void {
  const start = d
  while (s < end) {
    const tag = src[s++] as number
    const kind = tag & 3
    if (kind === 0) {
      let len = (tag >>> 2) + 1
      if (len > 60) {
        const extra = len - 60
        if (end - s < extra) throw corrupt('truncated literal length')
        len = 0
        for (let i = extra - 1; i >= 0; i--) len = len * 256 + (src[s + i] as number)
        len += 1
        s += extra
      }
      if (len > end - s) throw corrupt('literal runs past the input')
      if (len > dEnd - d) throw corrupt('output is longer than its declared length')
      if (len < 16) for (let i = 0; i < len; i++) dst[d + i] = src[s + i] as number
      else src.copy(dst, d, s, s + len)
      s += len
      d += len
      continue
    }
    let len: number
    let offset: number
    if (kind === 1) {
      if (s >= end) throw corrupt('truncated copy')
      len = ((tag >>> 2) & 7) + 4
      offset = ((tag >>> 5) << 8) | (src[s++] as number)
    } else if (kind === 2) {
      if (end - s < 2) throw corrupt('truncated copy')
      len = (tag >>> 2) + 1
      offset = (src[s] as number) | ((src[s + 1] as number) << 8)
      s += 2
    } else {
      if (end - s < 4) throw corrupt('truncated copy')
      len = (tag >>> 2) + 1
      offset = src.readUInt32LE(s)
      s += 4
    }
    if (offset === 0 || offset > d - start) throw corrupt(`copy offset ${offset} points outside the output`)
    if (len > dEnd - d) throw corrupt('output is longer than its declared length')
    const from = d - offset
    if (offset >= len && len >= 32) dst.copyWithin(d, from, from + len)
    else for (let i = 0; i < len; i++) dst[d + i] = dst[from + i] as number
    d += len
  }
  if (d !== dEnd) throw corrupt(`output is ${d - start} bytes, its preamble says ${dEnd - start}`)
}

function isXerial(src: Buffer): boolean {
  return src.length >= XERIAL_MAGIC.length && src.compare(XERIAL_MAGIC, 0, XERIAL_MAGIC.length, 0, XERIAL_MAGIC.length) === 0
}

/** Decodes raw snappy or xerial-framed snappy; the output never exceeds `maxOutput` bytes. */
export function snappyDecompress(input: Uint8Array, maxOutput: number): Buffer {
  const src = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  if (!isXerial(src)) {
    readPreamble(src, 0, src.length, preamble)
    const length = preamble.length
    const s = preamble.next
    // A snappy element of n bytes yields at most 64 / 3 * n bytes: reject impossible claims before allocating.
    if (length > (src.length - s) * 22) throw corrupt(`preamble claims ${length} bytes from ${src.length - s} bytes of input`)
    if (length > maxOutput) throw tooLarge(maxOutput)
    const out = Buffer.allocUnsafe(length)
    decodeElements(src, s, src.length, out, 0, length)
    return out
  }
  if (src.length < XERIAL_HEADER) throw corrupt('truncated xerial header')
  // First pass: frame every chunk and add up the declared sizes, so nothing is allocated for a lie.
  let total = 0
  for (let s = XERIAL_HEADER; s < src.length; ) {
    if (src.length - s < 4) throw corrupt('truncated xerial chunk length')
    const chunk = src.readInt32BE(s)
    s += 4
    if (chunk < 0 || chunk > src.length - s) throw corrupt(`xerial chunk of ${chunk} bytes runs past the input`)
    if (chunk > 0) {
      readPreamble(src, s, s + chunk, preamble)
      if (preamble.length > (s + chunk - preamble.next) * 22) throw corrupt('chunk preamble claims an impossible length')
      total += preamble.length
      if (total > maxOutput) throw tooLarge(maxOutput)
    }
    s += chunk
  }
  const out = Buffer.allocUnsafe(total)
  let d = 0
  for (let s = XERIAL_HEADER; s < src.length; ) {
    const chunk = src.readInt32BE(s)
    s += 4
    if (chunk > 0) {
      readPreamble(src, s, s + chunk, preamble)
      const length = preamble.length
      decodeElements(src, preamble.next, s + chunk, out, d, d + length)
      d += length
    }
    s += chunk
  }
  return out
}

/** Compresses `input` in xerial framing with 32 KiB blocks, as snappy-java's SnappyOutputStream does. */
export function snappyCompress(input: Uint8Array): Buffer {
  const src = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  const blocks: Buffer[] = []
  let size = XERIAL_HEADER
  for (let start = 0; start < src.length; start += XERIAL_BLOCK) {
    const block = snappy().compress(src.subarray(start, Math.min(src.length, start + XERIAL_BLOCK)))
    blocks.push(block)
    size += 4 + block.length
  }
  const out = Buffer.allocUnsafe(size)
  XERIAL_MAGIC.copy(out, 0)
  // Version 1, minimum compatible version 1, as snappy-java writes.
  out.writeInt32BE(1, 8)
  out.writeInt32BE(1, 12)
  let d = XERIAL_HEADER
  for (const block of blocks) {
    out.writeInt32BE(block.length, d)
    block.copy(out, d + 4)
    d += 4 + block.length
  }
  return out
}

/** Compresses `input` as one raw snappy block (the format librdkafka and Go clients may send). */
export function snappyCompressRaw(input: Uint8Array): Buffer {
  const src = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  return snappy().compress(src)
}
