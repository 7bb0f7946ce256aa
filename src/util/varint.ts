/**
 * @module Zig-zag varints as used inside Kafka records. Readers bound-check against the buffer end
 * and report the bytes consumed, so a truncated or hostile input can never read past its end.
 */
import { ErrorCode, TributaryError } from './errors.ts'

/** Result slot reused by readers to avoid allocating per call. */
export interface VarintCursor {
  /** Position of the next unread byte; advanced by every read. */
  pos: number
}

function truncated(): TributaryError {
  return new TributaryError(ErrorCode.CORRUPT_RECORD, 'varint runs past the end of the buffer')
}

/** Reads a zig-zag varint (int32 range) at cursor.pos, bounded by `end`. */
export function readVarInt(buf: Uint8Array, cursor: VarintCursor, end: number): number {
  let pos = cursor.pos
  let raw = 0
  let shift = 0
  for (;;) {
    if (pos >= end) throw truncated()
    const b = buf[pos++] as number
    if (shift === 28) {
      if (b > 0x0f) throw new TributaryError(ErrorCode.CORRUPT_RECORD, 'varint is longer than 5 bytes')
      raw |= b << 28
      break
    }
    raw |= (b & 0x7f) << shift
    if ((b & 0x80) === 0) break
    shift += 7
  }
  cursor.pos = pos
  return (raw >>> 1) ^ -(raw & 1)
}

/** Reads a zig-zag varlong as a JS number; values beyond 2^53 lose precision (timestamps fit). */
export function readVarLong(buf: Uint8Array, cursor: VarintCursor, end: number): number {
  let pos = cursor.pos
  let raw = 0n
  let shift = 0n
  let small = 0
  let smallShift = 0
  // Fast path: up to 4 bytes fits in a 28-bit number.
  for (;;) {
    if (pos >= end) throw truncated()
    const b = buf[pos++] as number
    if (smallShift < 28) {
      small |= (b & 0x7f) << smallShift
      smallShift += 7
      if ((b & 0x80) === 0) {
        cursor.pos = pos
        return (small >>> 1) ^ -(small & 1)
      }
      if (smallShift === 28) {
        raw = BigInt(small)
        shift = 28n
      }
      continue
    }
    raw |= BigInt(b & 0x7f) << shift
    shift += 7n
    if ((b & 0x80) === 0) break
    if (shift > 63n) throw new TributaryError(ErrorCode.CORRUPT_RECORD, 'varlong is longer than 10 bytes')
  }
  cursor.pos = pos
  const value = (raw >> 1n) ^ -(raw & 1n)
  return Number(BigInt.asIntN(64, value))
}

/** Bytes needed for zig-zag varint `value` (int32). */
export function sizeOfVarInt(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0
  let n = 1
  while (v >= 0x80) {
    v >>>= 7
    n++
  }
  return n
}

/** Writes zig-zag varint `value` (int32) at `pos`; returns the next position. */
export function writeVarInt(buf: Uint8Array, pos: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80
    v >>>= 7
  }
  buf[pos++] = v
  return pos
}

function zigZagLong(value: number): bigint {
  const b = BigInt(value)
  return BigInt.asUintN(64, (b << 1n) ^ (b >> 63n))
}

/** Bytes needed for zig-zag varlong `value` (a safe integer). */
export function sizeOfVarLong(value: number): number {
  if (value >= -0x8000000 && value < 0x8000000) return sizeOfVarInt(value)
  let v = zigZagLong(value)
  let n = 1
  while (v >= 0x80n) {
    v >>= 7n
    n++
  }
  return n
}

/** Writes zig-zag varlong `value` (a safe integer) at `pos`; returns the next position. */
export function writeVarLong(buf: Uint8Array, pos: number, value: number): number {
  if (value >= -0x8000000 && value < 0x8000000) return writeVarInt(buf, pos, value)
  let v = zigZagLong(value)
  while (v >= 0x80n) {
    buf[pos++] = Number(v & 0x7fn) | 0x80
    v >>= 7n
  }
  buf[pos++] = Number(v)
  return pos
}
