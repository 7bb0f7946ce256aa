/**
 * @module Packs the records of one consumer batch into a single buffer whose ArrayBuffer is
 * transferred across the port (moved, not copied), for hosts whose consumer cannot hand out the
 * fetched bytes (the Kafka client; the embedded one sends raw batches, see host-consumer.ts).
 * Structured clone would copy every key and value Buffer and its whole pool slab, and turn Buffers
 * into plain Uint8Arrays; decoded keys, values and header values are Buffer views into the
 * transferred bytes. Also checks a send's records before the remote producer encodes them.
 *
 * Two passes (measure, write), no allocation per record beyond the decoded objects. Layout, all
 * lengths int32 (-1 null, -2 absent):
 *   consumer record: f64 offset, f64 timestamp, key, value, u32 header count, (utf8 key, value)*
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type ConsumerBatch, type ConsumerRecord, type ProducerRecord, type RecordHeader } from '../types.ts'
import { type WireBatch } from './messages.ts'

const NULL = -1
const ABSENT = -2

type Bytes = Buffer | Uint8Array | string | null | undefined

function invalid(message: string): TributaryError {
  return new TributaryError(ErrorCode.INVALID_ARGUMENT, message)
}

function sizeOf(v: Bytes): number {
  if (v === null || v === undefined) return 4
  if (typeof v === 'string') return 4 + Buffer.byteLength(v, 'utf8')
  if (v instanceof Uint8Array) return 4 + v.length
  throw invalid(`record bytes must be a Buffer, Uint8Array, string or null, not ${typeof v}`)
}

function writeField(buf: Buffer, pos: number, v: Bytes): number {
  if (v === undefined) {
    buf.writeInt32LE(ABSENT, pos)
    return pos + 4
  }
  if (v === null) {
    buf.writeInt32LE(NULL, pos)
    return pos + 4
  }
  let len: number
  if (typeof v === 'string') len = buf.write(v, pos + 4, 'utf8')
  else {
    buf.set(v, pos + 4)
    len = v.length
  }
  buf.writeInt32LE(len, pos)
  return pos + 4 + len
}

/** Allocated outside Node's Buffer pool, so its ArrayBuffer belongs to this buffer alone and can be transferred. */
function alloc(size: number): Buffer {
  return Buffer.allocUnsafeSlow(size)
}

/**
 * Checks a send's records as the packing once did: throws INVALID_ARGUMENT for what could not be
 * encoded, before anything is placed or sent (a send either goes whole or not at all).
 */
export function checkProducerRecords(records: readonly ProducerRecord[]): void {
  if (!Array.isArray(records)) throw invalid('send() takes an array of records')
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as ProducerRecord
    if (typeof r !== 'object' || r === null) throw invalid(`record ${i} is not an object`)
    if (typeof r.topic !== 'string') throw invalid('record has no topic')
    if (r.partition !== undefined && typeof r.partition !== 'number') throw invalid(`record ${i}: partition must be a number`)
    if (r.timestamp !== undefined && typeof r.timestamp !== 'number') throw invalid(`record ${i}: timestamp must be a number`)
    sizeOf(r.key)
    sizeOf(r.value)
    const headers = r.headers
    if (headers === undefined) continue
    if (!Array.isArray(headers)) throw invalid(`record ${i}: headers must be an array`)
    for (const h of headers) {
      if (typeof h?.key !== 'string') throw invalid(`record ${i}: header key must be a string`)
      sizeOf(h.value)
    }
  }
}

/** Reads a length-prefixed field as a Buffer view (null / undefined for the markers). */
class FieldReader {
  readonly buf: Buffer
  pos = 0

  constructor(bytes: ArrayBuffer) {
    this.buf = Buffer.from(bytes)
  }

  bytes(): Buffer | null | undefined {
    const len = this.#length()
    if (len === NULL) return null
    if (len === ABSENT) return undefined
    const v = this.buf.subarray(this.pos, this.pos + len)
    this.pos += len
    return v
  }

  text(): string {
    const len = this.#length()
    if (len < 0) throw new TributaryError(ErrorCode.CORRUPT_RECORD, 'packed records: a header key is missing')
    const v = this.buf.toString('utf8', this.pos, this.pos + len)
    this.pos += len
    return v
  }

  u32(): number {
    const v = this.buf.readUInt32LE(this.pos)
    this.pos += 4
    return v
  }

  f64(): number {
    const v = this.buf.readDoubleLE(this.pos)
    this.pos += 8
    return v
  }

  #length(): number {
    const len = this.buf.readInt32LE(this.pos)
    this.pos += 4
    if (len > this.buf.length - this.pos) throw new TributaryError(ErrorCode.CORRUPT_RECORD, `packed records: field of ${len} bytes past the end`)
    return len
  }
}

export function packBatch(batch: ConsumerBatch): WireBatch {
  const records = batch.records
  let size = 4
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as ConsumerRecord
    size += 16 + sizeOf(r.key) + sizeOf(r.value) + 4
    for (const h of r.headers) size += sizeOf(h.key) + sizeOf(h.value)
  }
  const buf = alloc(size)
  buf.writeUInt32LE(records.length, 0)
  let pos = 4
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as ConsumerRecord
    pos = buf.writeDoubleLE(r.offset, pos)
    pos = buf.writeDoubleLE(r.timestamp, pos)
    pos = writeField(buf, pos, r.key)
    pos = writeField(buf, pos, r.value)
    buf.writeUInt32LE(r.headers.length, pos)
    pos += 4
    for (const h of r.headers) {
      pos = writeField(buf, pos, h.key)
      pos = writeField(buf, pos, h.value)
    }
  }
  return { topic: batch.topic, partition: batch.partition, highWatermark: batch.highWatermark, nextOffset: batch.nextOffset, bytes: buf.buffer as ArrayBuffer }
}

export function unpackBatch(w: WireBatch): ConsumerBatch {
  const r = new FieldReader(w.bytes)
  const count = r.u32()
  const { topic, partition } = w
  const records = new Array<ConsumerRecord>(count)
  for (let i = 0; i < count; i++) {
    const offset = r.f64()
    const timestamp = r.f64()
    const key = r.bytes() ?? null
    const value = r.bytes() ?? null
    const n = r.u32()
    const headers = new Array<RecordHeader>(n)
    for (let h = 0; h < n; h++) headers[h] = { key: r.text(), value: r.bytes() ?? null }
    records[i] = { topic, partition, offset, timestamp, key, value, headers }
  }
  return { topic, partition, records, highWatermark: w.highWatermark, nextOffset: w.nextOffset }
}
