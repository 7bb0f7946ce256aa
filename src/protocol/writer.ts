/**
 * @module A growable writer for Kafka messages. Bytes go into chunks that are never copied while
 * writing; large byte fields (RecordBatch bytes in Fetch responses) are linked in as their own chunk
 * instead of being copied. The result is either the chunk list (for a vectored socket write) or one
 * exact-size Buffer.
 *
 * Encoders trust their typed input (it comes from our own code): integers are written as given,
 * without range checks. What would silently corrupt the framing is checked: string lengths and
 * UUID syntax.
 */
import { ErrorCode, TributaryError } from '../util/errors.ts'

/** Byte fields at least this large are referenced, not copied. */
const ZERO_COPY_THRESHOLD = 1024
const MAX_CHUNK = 64 * 1024

/** A spot reserved for an int32 that is known only later (a frame's size). */
export interface Int32Slot {
  readonly buf: Buffer
  readonly offset: number
  /** Writer length at the end of the slot. */
  readonly after: number
}

function badArgument(message: string): TributaryError {
  return new TributaryError(ErrorCode.INVALID_ARGUMENT, message)
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48
  if (code >= 97 && code <= 102) return code - 87
  if (code >= 65 && code <= 70) return code - 55
  return -1
}

export class Writer {
  /** Finished chunks, in order. */
  private readonly chunks: Buffer[] = []
  private chunksLength = 0
  private buf: Buffer
  /** Start of the bytes in `buf` not yet handed to `chunks`. */
  private start = 0
  private pos = 0

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize)
  }

  /** Bytes written so far. */
  get length(): number {
    return this.chunksLength + this.pos - this.start
  }

  private ensure(n: number): void {
    if (this.buf.length - this.pos >= n) return
    this.flushChunk()
    // Grow geometrically up to MAX_CHUNK; a larger single write gets a chunk of its own size.
    const size = Math.max(n, Math.min(this.buf.length * 2, MAX_CHUNK))
    this.buf = Buffer.allocUnsafe(size)
    this.start = 0
    this.pos = 0
  }

  private flushChunk(): void {
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos))
      this.chunksLength += this.pos - this.start
      this.start = this.pos
    }
  }

  /** The message as chunks, for `socket.cork()` + writes or `writev`. */
  toBuffers(): Buffer[] {
    this.flushChunk()
    return this.chunks.slice()
  }

  /** The message as one exact-size Buffer (copies when there is more than one chunk). */
  toBuffer(): Buffer {
    this.flushChunk()
    if (this.chunks.length === 1) return this.chunks[0] as Buffer
    return Buffer.concat(this.chunks, this.chunksLength)
  }

  bool(v: boolean): void {
    this.ensure(1)
    this.buf[this.pos++] = v ? 1 : 0
  }

  int8(v: number): void {
    this.ensure(1)
    this.buf[this.pos++] = v & 0xff
  }

  int16(v: number): void {
    this.ensure(2)
    const b = this.buf
    const p = this.pos
    b[p] = (v >>> 8) & 0xff
    b[p + 1] = v & 0xff
    this.pos = p + 2
  }

  uint16(v: number): void {
    this.int16(v)
  }

  int32(v: number): void {
    this.ensure(4)
    const b = this.buf
    const p = this.pos
    b[p] = (v >>> 24) & 0xff
    b[p + 1] = (v >>> 16) & 0xff
    b[p + 2] = (v >>> 8) & 0xff
    b[p + 3] = v & 0xff
    this.pos = p + 4
  }

  uint32(v: number): void {
    this.int32(v)
  }

  int64(v: bigint): void {
    this.ensure(8)
    this.buf.writeBigInt64BE(BigInt.asIntN(64, v), this.pos)
    this.pos += 8
  }

  float64(v: number): void {
    this.ensure(8)
    this.buf.writeDoubleBE(v, this.pos)
    this.pos += 8
  }

  /** A UUID string (8-4-4-4-12 hex, any case) as its 16 bytes. */
  uuid(v: string): void {
    if (v.length !== 36 || v[8] !== '-' || v[13] !== '-' || v[18] !== '-' || v[23] !== '-') {
      throw badArgument(`not a UUID: ${JSON.stringify(v)}`)
    }
    this.ensure(16)
    const b = this.buf
    let p = this.pos
    for (let i = 0; i < 36; i += 2) {
      if (i === 8 || i === 13 || i === 18 || i === 23) i++
      const hi = hexValue(v.charCodeAt(i))
      const lo = hexValue(v.charCodeAt(i + 1))
      if (hi < 0 || lo < 0) throw badArgument(`not a UUID: ${JSON.stringify(v)}`)
      b[p++] = (hi << 4) | lo
    }
    this.pos = p
  }

  /** Unsigned LEB128 varint of a number in [0, 2^32). */
  unsignedVarInt(v: number): void {
    this.ensure(5)
    const b = this.buf
    let p = this.pos
    let x = v >>> 0
    while (x >= 0x80) {
      b[p++] = (x & 0x7f) | 0x80
      x >>>= 7
    }
    b[p++] = x
    this.pos = p
  }

  /** Zig-zag varint (int32 range). */
  varInt(v: number): void {
    this.unsignedVarInt(((v << 1) ^ (v >> 31)) >>> 0)
  }

  /** Unsigned LEB128 varlong of a value in [0, 2^64). */
  unsignedVarLong(v: bigint): void {
    this.ensure(10)
    const b = this.buf
    let p = this.pos
    let x = BigInt.asUintN(64, v)
    while (x >= 0x80n) {
      b[p++] = Number(x & 0x7fn) | 0x80
      x >>= 7n
    }
    b[p++] = Number(x)
    this.pos = p
  }

  /** Zig-zag varlong (int64 range). */
  varLong(v: bigint): void {
    const x = BigInt.asIntN(64, v)
    this.unsignedVarLong((x << 1n) ^ (x >> 63n))
  }

  private utf8(s: string, length: number): void {
    this.ensure(length)
    this.buf.write(s, this.pos, length, 'utf8')
    this.pos += length
  }

  private int16Length(s: string): number {
    const length = Buffer.byteLength(s, 'utf8')
    if (length > 0x7fff) throw badArgument(`string of ${length} bytes does not fit an int16 length`)
    return length
  }

  /** int16 length, then UTF-8 bytes. */
  string(s: string): void {
    const length = this.int16Length(s)
    this.int16(length)
    this.utf8(s, length)
  }

  nullableString(s: string | null): void {
    if (s === null) this.int16(-1)
    else this.string(s)
  }

  /** Unsigned varint length + 1, then UTF-8 bytes. */
  compactString(s: string): void {
    const length = Buffer.byteLength(s, 'utf8')
    this.unsignedVarInt(length + 1)
    this.utf8(s, length)
  }

  compactNullableString(s: string | null): void {
    if (s === null) this.unsignedVarInt(0)
    else this.compactString(s)
  }

  /** Raw bytes with no length prefix; large ones are referenced instead of copied. */
  raw(data: Uint8Array): void {
    const n = data.length
    if (n >= ZERO_COPY_THRESHOLD) {
      this.flushChunk()
      this.chunks.push(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, n))
      this.chunksLength += n
      return
    }
    this.ensure(n)
    this.buf.set(data, this.pos)
    this.pos += n
  }

  /** int32 length, then the bytes. */
  bytes(data: Uint8Array): void {
    this.int32(data.length)
    this.raw(data)
  }

  nullableBytes(data: Uint8Array | null): void {
    if (data === null) this.int32(-1)
    else this.bytes(data)
  }

  compactBytes(data: Uint8Array): void {
    this.unsignedVarInt(data.length + 1)
    this.raw(data)
  }

  compactNullableBytes(data: Uint8Array | null): void {
    if (data === null) this.unsignedVarInt(0)
    else this.compactBytes(data)
  }

  /** Reserves four bytes for an int32 written later with `fillInt32`. */
  reserveInt32(): Int32Slot {
    this.ensure(4)
    const slot = { buf: this.buf, offset: this.pos, after: this.length + 4 }
    this.pos += 4
    return slot
  }

  /** Writes `v` into a slot reserved earlier; the chunk it lives in is shared, not copied. */
  fillInt32(slot: Int32Slot, v: number): void {
    slot.buf.writeInt32BE(v, slot.offset)
  }
}
