/**
 * @module Packs the records of one send, or of one consumer batch, into a single buffer whose
 * ArrayBuffer is transferred across the port (moved, not copied). Structured clone would copy every
 * key and value Buffer and its whole pool slab, and turn Buffers into plain Uint8Arrays; decoded
 * keys, values and header values are Buffer views into the transferred bytes.
 *
 * Two passes (measure, write), no allocation per record beyond the decoded objects. Layout, all
 * lengths int32 (-1 null, -2 absent):
 *   producer record: u8 flags (1 partition, 2 timestamp, 4 headers), u32 topic index,
 *     [f64 partition], [f64 timestamp], key, value, [u32 header count, (utf8 key, value)*]
 *   consumer record: f64 offset, f64 timestamp, key, value, u32 header count, (utf8 key, value)*
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type ConsumerBatch, type ConsumerRecord, type ProducerRecord, type RecordHeader } from '../types.ts'
import { type WireBatch } from './messages.ts'

const NULL = -1
const ABSENT = -2
const HAS_PARTITION = 1
const HAS_TIMESTAMP = 2
const HAS_HEADERS = 4

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
  return Buffer.from(new ArrayBuffer(size))
}

export interface PackedRecords {
  topics: string[]
  bytes: ArrayBuffer
}

/** Validates and packs a send's records; throws INVALID_ARGUMENT before anything is sent. */
export function packProducerRecords(records: readonly ProducerRecord[]): PackedRecords {
  if (!Array.isArray(records)) throw invalid('send() takes an array of records')
  const topicIndex = new Map<string, number>()
  const topics: string[] = []
  let size = 4
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as ProducerRecord
    if (typeof r !== 'object' || r === null) throw invalid(`record ${i} is not an object`)
    if (typeof r.topic !== 'string') throw invalid('record has no topic')
    if (!topicIndex.has(r.topic)) {
      topicIndex.set(r.topic, topics.length)
      topics.push(r.topic)
    }
    if (r.partition !== undefined && typeof r.partition !== 'number') throw invalid(`record ${i}: partition must be a number`)
    if (r.timestamp !== undefined && typeof r.timestamp !== 'number') throw invalid(`record ${i}: timestamp must be a number`)
    size += 1 + 4 + (r.partition === undefined ? 0 : 8) + (r.timestamp === undefined ? 0 : 8) + sizeOf(r.key) + sizeOf(r.value)
    const headers = r.headers
    if (headers === undefined) continue
    if (!Array.isArray(headers)) throw invalid(`record ${i}: headers must be an array`)
    size += 4
    for (const h of headers) {
      if (typeof h?.key !== 'string') throw invalid(`record ${i}: header key must be a string`)
      size += sizeOf(h.key) + sizeOf(h.value)
    }
  }
  const buf = alloc(size)
  buf.writeUInt32LE(records.length, 0)
  let pos = 4
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as ProducerRecord
    const flags = (r.partition === undefined ? 0 : HAS_PARTITION) | (r.timestamp === undefined ? 0 : HAS_TIMESTAMP) | (r.headers === undefined ? 0 : HAS_HEADERS)
    buf.writeUInt8(flags, pos)
    buf.writeUInt32LE(topicIndex.get(r.topic) as number, pos + 1)
    pos += 5
    if (r.partition !== undefined) pos = buf.writeDoubleLE(r.partition, pos)
    if (r.timestamp !== undefined) pos = buf.writeDoubleLE(r.timestamp, pos)
    pos = writeField(buf, pos, r.key)
    pos = writeField(buf, pos, r.value)
    const headers = r.headers
    if (headers === undefined) continue
    buf.writeUInt32LE(headers.length, pos)
    pos += 4
    for (const h of headers) {
      pos = writeField(buf, pos, h.key)
      pos = writeField(buf, pos, h.value)
    }
  }
  return { topics, bytes: buf.buffer as ArrayBuffer }
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

  u8(): number {
    return this.buf.readUInt8(this.pos++)
  }

  #length(): number {
    const len = this.buf.readInt32LE(this.pos)
    this.pos += 4
    if (len > this.buf.length - this.pos) throw new TributaryError(ErrorCode.CORRUPT_RECORD, `packed records: field of ${len} bytes past the end`)
    return len
  }
}

export function unpackProducerRecords(packed: PackedRecords): ProducerRecord[] {
  const r = new FieldReader(packed.bytes)
  const count = r.u32()
  const out = new Array<ProducerRecord>(count)
  for (let i = 0; i < count; i++) {
    const flags = r.u8()
    const topic = packed.topics[r.u32()]
    if (topic === undefined) throw new TributaryError(ErrorCode.CORRUPT_RECORD, 'packed records: unknown topic index')
    const record: ProducerRecord = { topic, value: null }
    if ((flags & HAS_PARTITION) !== 0) record.partition = r.f64()
    if ((flags & HAS_TIMESTAMP) !== 0) record.timestamp = r.f64()
    const key = r.bytes()
    if (key !== undefined) record.key = key
    record.value = r.bytes() ?? null
    if ((flags & HAS_HEADERS) !== 0) {
      const n = r.u32()
      const headers = new Array<{ key: string; value: Buffer | null }>(n)
      for (let h = 0; h < n; h++) headers[h] = { key: r.text(), value: r.bytes() ?? null }
      record.headers = headers
    }
    out[i] = record
  }
  return out
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
