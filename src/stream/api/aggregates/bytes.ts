/**
 * @module Byte-level writer and reader for accumulator serdes. The reader checks every length it
 * reads against the bytes present before allocating, so corrupt state fails with a clear error
 * instead of a huge allocation or a silently wrong accumulator.
 */

import { ErrorCode, TributaryError } from '../../../util/errors.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export class ByteWriter {
  private buf: Uint8Array
  private view: DataView
  private pos = 0

  constructor(initialSize = 64) {
    this.buf = new Uint8Array(initialSize)
    this.view = new DataView(this.buf.buffer)
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + extra) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  u8(v: number): void {
    this.ensure(1)
    this.buf[this.pos++] = v
  }

  u32(v: number): void {
    this.ensure(4)
    this.view.setUint32(this.pos, v)
    this.pos += 4
  }

  i32(v: number): void {
    this.ensure(4)
    this.view.setInt32(this.pos, v)
    this.pos += 4
  }

  f64(v: number): void {
    this.ensure(8)
    this.view.setFloat64(this.pos, v)
    this.pos += 8
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
  }

  /** A u32 length followed by the bytes. */
  sizedBytes(b: Uint8Array): void {
    this.u32(b.length)
    this.bytes(b)
  }

  string(s: string): void {
    this.sizedBytes(encoder.encode(s))
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos)
  }
}

export function corrupt(what: string, detail: string): TributaryError {
  return new TributaryError(ErrorCode.STATE_ERROR, `corrupt ${what} accumulator: ${detail}`)
}

export class ByteReader {
  private readonly view: DataView
  private pos = 0
  readonly what: string
  private readonly buf: Uint8Array

  /** `what` names the accumulator in error messages. */
  constructor(buf: Uint8Array, what: string) {
    this.buf = buf
    this.what = what
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  get remaining(): number {
    return this.buf.length - this.pos
  }

  private need(n: number): void {
    if (n > this.buf.length - this.pos) {
      throw corrupt(this.what, `needs ${n} more bytes at offset ${this.pos}, has ${this.buf.length - this.pos}`)
    }
  }

  /** Checks a count read from input against the bytes left, given a minimum size per item. */
  checkCount(count: number, minBytesEach: number): void {
    if (count * minBytesEach > this.buf.length - this.pos) {
      throw corrupt(this.what, `count ${count} exceeds the ${this.buf.length - this.pos} bytes left`)
    }
  }

  u8(): number {
    this.need(1)
    return this.buf[this.pos++] as number
  }

  u32(): number {
    this.need(4)
    const v = this.view.getUint32(this.pos)
    this.pos += 4
    return v
  }

  i32(): number {
    this.need(4)
    const v = this.view.getInt32(this.pos)
    this.pos += 4
    return v
  }

  f64(): number {
    this.need(8)
    const v = this.view.getFloat64(this.pos)
    this.pos += 8
    return v
  }

  bytes(n: number): Uint8Array {
    this.need(n)
    const out = this.buf.slice(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  sizedBytes(): Uint8Array {
    return this.bytes(this.u32())
  }

  string(): string {
    const raw = this.sizedBytes()
    try {
      return decoder.decode(raw)
    } catch (err) {
      throw new TributaryError(ErrorCode.STATE_ERROR, `corrupt ${this.what} accumulator: invalid UTF-8`, { cause: err })
    }
  }

  /** Reads the header every serde starts with and checks it. */
  header(magic: number, version: number): void {
    const m = this.u8()
    const v = this.u8()
    if (m !== magic) throw corrupt(this.what, `wrong magic byte ${m}`)
    if (v !== version) throw corrupt(this.what, `unsupported version ${v}`)
  }

  end(): void {
    if (this.pos !== this.buf.length) throw corrupt(this.what, `${this.buf.length - this.pos} trailing bytes`)
  }
}

export type DistinctKey = string | number

const KEY_NUMBER = 0
const KEY_STRING = 1

export function writeKey(w: ByteWriter, key: DistinctKey): void {
  if (typeof key === 'number') {
    w.u8(KEY_NUMBER)
    w.f64(key)
  } else {
    w.u8(KEY_STRING)
    w.string(key)
  }
}

export function readKey(r: ByteReader): DistinctKey {
  const tag = r.u8()
  if (tag === KEY_NUMBER) return r.f64()
  if (tag === KEY_STRING) return r.string()
  throw corrupt(r.what, `unknown key tag ${tag}`)
}
