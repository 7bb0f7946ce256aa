/**
 * @module A bounds-checked reader over one Kafka message. Every read checks the bytes left before
 * touching the buffer, and every length or count read from the input is checked against the bytes
 * left before anything is allocated, so a hostile frame fails fast with a PROTOCOL_ERROR instead of
 * a RangeError or a huge allocation.
 *
 * Byte fields (bytes, records) come back as views into the input buffer: no copy, so a Produce
 * request's RecordBatch bytes pass through untouched. Keep the frame alive as long as they are used.
 */
import { ErrorCode, TributaryError } from '../util/errors.ts'

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** A 16-byte UUID as Kafka sends it, formatted as the usual lower-case 8-4-4-4-12 hex string. */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000'

export class Reader {
  readonly buf: Buffer
  /** Next byte to read. */
  pos: number
  /** One past the last readable byte; narrowed while a tagged field is read. */
  end: number

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    if (offset < 0 || end > buf.length || offset > end) {
      throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `reader range [${offset}, ${end}) is outside the buffer`)
    }
    this.buf = buf
    this.pos = offset
    this.end = end
  }

  remaining(): number {
    return this.end - this.pos
  }

  /** Throws unless `n` more bytes are present. */
  need(n: number): void {
    if (this.end - this.pos < n) throw this.error(`needs ${n} bytes, ${this.end - this.pos} left`)
  }

  error(message: string): TributaryError {
    return new TributaryError(ErrorCode.PROTOCOL_ERROR, `malformed message at byte ${this.pos}: ${message}`, {
      details: { offset: this.pos },
    })
  }

  skip(n: number): void {
    this.need(n)
    this.pos += n
  }

  /** Throws when bytes are left over: a message must be consumed exactly. */
  expectEnd(): void {
    if (this.pos !== this.end) throw this.error(`${this.end - this.pos} unexpected trailing bytes`)
  }

  bool(): boolean {
    this.need(1)
    const b = this.buf[this.pos++] as number
    // Kafka's Java reader treats any non-zero byte as true.
    return b !== 0
  }

  int8(): number {
    this.need(1)
    const b = this.buf[this.pos++] as number
    return (b << 24) >> 24
  }

  int16(): number {
    this.need(2)
    const b = this.buf
    const p = this.pos
    this.pos = p + 2
    return (((b[p] as number) << 24) >> 16) | (b[p + 1] as number)
  }

  uint16(): number {
    this.need(2)
    const b = this.buf
    const p = this.pos
    this.pos = p + 2
    return ((b[p] as number) << 8) | (b[p + 1] as number)
  }

  int32(): number {
    this.need(4)
    const b = this.buf
    const p = this.pos
    this.pos = p + 4
    return ((b[p] as number) << 24) | ((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number)
  }

  uint32(): number {
    return this.int32() >>> 0
  }

  int64(): bigint {
    this.need(8)
    const v = this.buf.readBigInt64BE(this.pos)
    this.pos += 8
    return v
  }

  float64(): number {
    this.need(8)
    const v = this.buf.readDoubleBE(this.pos)
    this.pos += 8
    return v
  }

  uuid(): string {
    this.need(16)
    const b = this.buf
    const p = this.pos
    this.pos = p + 16
    let s = ''
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) s += '-'
      s += HEX[b[p + i] as number] as string
    }
    return s
  }

  /** Unsigned LEB128 varint of at most 5 bytes, as a number in [0, 2^32). */
  unsignedVarInt(): number {
    const b = this.buf
    let p = this.pos
    const end = this.end
    let value = 0
    for (let shift = 0; shift < 35; shift += 7) {
      if (p >= end) throw this.error('varint runs past the end')
      const byte = b[p++] as number
      if (shift === 28 && byte > 0x0f) throw this.error('varint is longer than 32 bits')
      // Multiplication keeps bit 31 positive; `<<` would wrap it to a negative number.
      value += (byte & 0x7f) * 2 ** shift
      if ((byte & 0x80) === 0) {
        this.pos = p
        return value
      }
    }
    throw this.error('varint is longer than 5 bytes')
  }

  /** Zig-zag varint (int32 range). */
  varInt(): number {
    const raw = this.unsignedVarInt()
    return (raw >>> 1) ^ -(raw & 1)
  }

  /** Unsigned LEB128 varlong of at most 10 bytes. */
  unsignedVarLong(): bigint {
    const b = this.buf
    let p = this.pos
    const end = this.end
    let value = 0n
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (p >= end) throw this.error('varlong runs past the end')
      const byte = b[p++] as number
      if (shift === 63n && byte > 0x01) throw this.error('varlong is longer than 64 bits')
      value |= BigInt(byte & 0x7f) << shift
      if ((byte & 0x80) === 0) {
        this.pos = p
        return value
      }
    }
    throw this.error('varlong is longer than 10 bytes')
  }

  /** Zig-zag varlong (int64 range). */
  varLong(): bigint {
    const raw = this.unsignedVarLong()
    return (raw >> 1n) ^ -(raw & 1n)
  }

  private utf8(length: number): string {
    this.need(length)
    const p = this.pos
    this.pos = p + length
    return this.buf.toString('utf8', p, p + length)
  }

  private view(length: number): Buffer {
    this.need(length)
    const p = this.pos
    this.pos = p + length
    return this.buf.subarray(p, p + length)
  }

  /** int16 length, then UTF-8 bytes; -1 (null) is rejected. */
  string(): string {
    const length = this.int16()
    if (length < 0) throw this.error(`string length ${length} where null is not allowed`)
    return this.utf8(length)
  }

  nullableString(): string | null {
    const length = this.int16()
    if (length === -1) return null
    if (length < 0) throw this.error(`string length ${length}`)
    return this.utf8(length)
  }

  /** Unsigned varint length + 1, then UTF-8 bytes; 0 (null) is rejected. */
  compactString(): string {
    const length = this.unsignedVarInt() - 1
    if (length < 0) throw this.error('compact string is null where null is not allowed')
    return this.utf8(length)
  }

  compactNullableString(): string | null {
    const length = this.unsignedVarInt() - 1
    if (length < 0) return null
    return this.utf8(length)
  }

  /** int32 length, then raw bytes (a view into the input). */
  bytes(): Buffer {
    const length = this.int32()
    if (length < 0) throw this.error(`bytes length ${length} where null is not allowed`)
    return this.view(length)
  }

  nullableBytes(): Buffer | null {
    const length = this.int32()
    if (length === -1) return null
    if (length < 0) throw this.error(`bytes length ${length}`)
    return this.view(length)
  }

  compactBytes(): Buffer {
    const length = this.unsignedVarInt() - 1
    if (length < 0) throw this.error('compact bytes are null where null is not allowed')
    return this.view(length)
  }

  compactNullableBytes(): Buffer | null {
    const length = this.unsignedVarInt() - 1
    if (length < 0) return null
    return this.view(length)
  }

  private checkCount(count: number, minElementSize: number): number {
    // Each element takes at least minElementSize bytes, so a count the remaining bytes cannot hold
    // is rejected before the caller allocates anything for it.
    if (count * minElementSize > this.end - this.pos) {
      throw this.error(`array of ${count} elements cannot fit in ${this.end - this.pos} bytes`)
    }
    return count
  }

  /** int32 element count of an array; -1 (null) is rejected. */
  arrayLength(minElementSize: number): number {
    const count = this.int32()
    if (count < 0) throw this.error(`array length ${count} where null is not allowed`)
    return this.checkCount(count, minElementSize)
  }

  /** int32 element count of a nullable array; -1 means null. */
  nullableArrayLength(minElementSize: number): number {
    const count = this.int32()
    if (count === -1) return -1
    if (count < 0) throw this.error(`array length ${count}`)
    return this.checkCount(count, minElementSize)
  }

  /** Unsigned varint count + 1; 0 (null) is rejected. */
  compactArrayLength(minElementSize: number): number {
    const count = this.unsignedVarInt() - 1
    if (count < 0) throw this.error('compact array is null where null is not allowed')
    return this.checkCount(count, minElementSize)
  }

  /** Unsigned varint count + 1; returns -1 for null. */
  compactNullableArrayLength(minElementSize: number): number {
    const count = this.unsignedVarInt() - 1
    if (count < 0) return -1
    return this.checkCount(count, minElementSize)
  }

  /** Number of tagged fields that follow; each takes at least two bytes (tag and size). */
  taggedFieldCount(): number {
    return this.checkCount(this.unsignedVarInt(), 2)
  }

  /** Narrows the readable range to the next `size` bytes (a tagged field's value); returns the outer end. */
  narrow(size: number): number {
    this.need(size)
    const outer = this.end
    this.end = this.pos + size
    return outer
  }

  /** Checks the narrowed range was read exactly, then restores the outer end returned by `narrow`. */
  widen(outerEnd: number): void {
    if (this.pos !== this.end) throw this.error(`tagged field value has ${this.end - this.pos} unread bytes`)
    this.end = outerEnd
  }

  /** Reads a tagged-field section whose tags are all unknown here, skipping their values. */
  skipTaggedFields(): void {
    const count = this.taggedFieldCount()
    for (let i = 0; i < count; i++) {
      this.unsignedVarInt()
      this.skip(this.unsignedVarInt())
    }
  }
}
