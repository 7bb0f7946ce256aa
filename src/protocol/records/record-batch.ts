/**
 * @module RecordBatch v2 encoding: the producer's hot path. Two passes over the records: the first
 * measures every field (string byte lengths are kept in a reused scratch array so they are computed once),
 * the second writes into a single Buffer of exactly the right size. Uncompressed batches cost one
 * allocation; compressed ones write the records into a reused scratch buffer, compress, and copy once.
 *
 * Field layout follows Kafka's DefaultRecordBatch / DefaultRecord: baseTimestamp is the first record's
 * timestamp, each record carries (timestamp - baseTimestamp) and its offset delta, maxTimestamp is the
 * largest record timestamp (or the append time for LogAppendTime batches), lastOffsetDelta = count - 1.
 * Decoding lives in record-decoder.ts and is re-exported here, so this module is the one entry point.
 */
import { crc32c } from '../../util/crc32c.ts'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { sizeOfVarInt, sizeOfVarLong, writeVarInt, writeVarLong } from '../../util/varint.ts'
import { Attributes, BATCH_OVERHEAD, BatchOffsets, type CompressionName, LOG_OVERHEAD, TimestampType } from './batch-header.ts'
import { codecFromName, compress } from './compression.ts'

export {
  DEFAULT_MAX_UNCOMPRESSED_BYTES,
  type DecodeOptions,
  type DecodedBatch,
  type DecodedHeader,
  type DecodedRecord,
  type ForEachBatchOptions,
  decodeRecordBatch,
  decodeRecords,
  forEachBatch,
} from './record-decoder.ts'

export type RecordBytes = Uint8Array | string | null

export interface RecordHeaderInput {
  key: string
  value: RecordBytes
}

export interface RecordInput {
  key?: RecordBytes | undefined
  value: RecordBytes
  headers?: readonly RecordHeaderInput[] | undefined
  /** Create time in ms; defaults to `options.timestamp`. */
  timestamp?: number | undefined
  /** Offset relative to the batch base; defaults to the record's index. Set when rewriting a compacted batch. */
  offsetDelta?: number | undefined
}

export interface EncodeBatchOptions {
  /** Default 0: producers send 0 and the broker assigns the real offset in place. */
  baseOffset?: number
  compression?: CompressionName
  /** gzip 1-9, zstd 1-22; ignored by snappy and lz4. */
  compressionLevel?: number
  /** Timestamp for records without one (the caller's clock), and the append time of LogAppendTime batches. */
  timestamp?: number
  timestampType?: TimestampType
  /** Default -1 (no idempotence). */
  producerId?: number
  producerEpoch?: number
  baseSequence?: number
  transactional?: boolean
  control?: boolean
  /** Default -1; the broker stamps its leader epoch. */
  partitionLeaderEpoch?: number
  /** Defaults to the last record's offset delta; must be given for an empty batch (left by compaction). */
  lastOffsetDelta?: number
}

const INT32_MAX = 0x7fffffff
const TWO_32 = 0x100000000

/** Per-record body sizes from the measuring pass. */
let bodySizes: Int32Array = new Int32Array(1024)
/** Byte lengths of key, value, header keys and values in write order (-1 for null). */
let fieldLengths: Int32Array = new Int32Array(4096)
/** Where the records of a compressed batch are assembled before compression. */
let scratch = Buffer.allocUnsafeSlow(64 * 1024)

function invalid(message: string): TributaryError {
  return new TributaryError(ErrorCode.INVALID_ARGUMENT, message)
}

function grow(array: Int32Array, needed: number): Int32Array {
  let size = array.length * 2
  while (size < needed) size *= 2
  const next = new Int32Array(size)
  next.set(array)
  return next
}

/**
 * UTF-8 length of `s`, exactly as Buffer.byteLength computes it (a lone surrogate becomes the 3-byte
 * replacement character). Short strings are measured in JS: cheaper than the call into the runtime.
 */
export function utf8Length(s: string): number {
  const n = s.length
  if (n > 64) return Buffer.byteLength(s, 'utf8')
  let bytes = n
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) {
      bytes += 1
    } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // A surrogate pair: two code units, four bytes.
      bytes += 2
      i++
    } else {
      bytes += 2
    }
  }
  return bytes
}

function lengthOf(v: RecordBytes | undefined): number {
  if (v === null || v === undefined) return -1
  if (typeof v === 'string') return utf8Length(v)
  if (v instanceof Uint8Array) return v.length
  throw invalid(`record bytes must be a Buffer, Uint8Array, string or null, not ${typeof v}`)
}

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw invalid(`${name} ${v} is not an integer in [${min}, ${max}]`)
  return v
}

function writeInt64(buf: Buffer, pos: number, v: number): void {
  const hi = Math.floor(v / TWO_32)
  buf.writeInt32BE(hi, pos)
  buf.writeUInt32BE(v - hi * TWO_32, pos + 4)
}

/** Writes a non-null field whose byte length is `len`; short ASCII strings skip the encoder call. */
function writeBytes(buf: Buffer, pos: number, v: Uint8Array | string, len: number): number {
  if (typeof v === 'string') {
    if (len === v.length && len <= 48) {
      // UTF-8 length equals UTF-16 length only when every code unit is ASCII.
      for (let i = 0; i < len; i++) buf[pos + i] = v.charCodeAt(i)
    } else {
      buf.write(v, pos, len, len === v.length ? 'latin1' : 'utf8')
    }
  } else if (len <= 48) {
    for (let i = 0; i < len; i++) buf[pos + i] = v[i] as number
  } else {
    buf.set(v, pos)
  }
  return pos + len
}

interface Measure {
  total: number
  baseTimestamp: number
  maxTimestamp: number
  lastDelta: number
}

const measured: Measure = { total: 0, baseTimestamp: -1, maxTimestamp: -1, lastDelta: -1 }

/** First pass: sizes of every record and field, timestamps, offset deltas. */
function measure(records: readonly RecordInput[], defaultTimestamp: number | undefined): void {
  const n = records.length
  if (bodySizes.length < n) bodySizes = grow(bodySizes, n)
  let lens = fieldLengths
  let li = 0
  let total = 0
  let baseTs = -1
  let maxTs = -1
  let prevDelta = -1
  for (let i = 0; i < n; i++) {
    const rec = records[i] as RecordInput
    if (typeof rec !== 'object' || rec === null) throw invalid(`record ${i} is not an object`)
    const ts = rec.timestamp ?? defaultTimestamp
    if (ts === undefined || !Number.isSafeInteger(ts)) throw invalid(`record ${i} has no valid timestamp (${ts}) and no default was given`)
    if (i === 0) {
      baseTs = ts
      maxTs = ts
    } else if (ts > maxTs) {
      maxTs = ts
    }
    const delta = rec.offsetDelta ?? i
    if (!Number.isInteger(delta) || delta <= prevDelta || delta > INT32_MAX) {
      throw invalid(`record ${i} has offset delta ${delta}; deltas must increase from 0`)
    }
    prevDelta = delta
    const headers = rec.headers
    const hn = headers === undefined ? 0 : headers.length
    if (li + 2 + 2 * hn > lens.length) lens = fieldLengths = grow(lens, li + 2 + 2 * hn)
    const kl = lengthOf(rec.key)
    const vl = lengthOf(rec.value)
    lens[li++] = kl
    lens[li++] = vl
    let body =
      1 + sizeOfVarLong(ts - baseTs) + sizeOfVarInt(delta) + sizeOfVarInt(kl) + (kl > 0 ? kl : 0) + sizeOfVarInt(vl) + (vl > 0 ? vl : 0) + sizeOfVarInt(hn)
    for (let h = 0; h < hn; h++) {
      const header = (headers as readonly RecordHeaderInput[])[h] as RecordHeaderInput
      if (typeof header.key !== 'string') throw invalid(`record ${i} header ${h} has a non-string key`)
      const hk = utf8Length(header.key)
      const hv = lengthOf(header.value)
      lens[li++] = hk
      lens[li++] = hv
      body += sizeOfVarInt(hk) + hk + sizeOfVarInt(hv) + (hv > 0 ? hv : 0)
    }
    bodySizes[i] = body
    total += sizeOfVarInt(body) + body
  }
  if (total > INT32_MAX - BATCH_OVERHEAD) throw new TributaryError(ErrorCode.RECORD_TOO_LARGE, `batch of ${total} bytes is too large`)
  measured.total = total
  measured.baseTimestamp = baseTs
  measured.maxTimestamp = maxTs
  measured.lastDelta = prevDelta
}

/** Second pass: writes the records at `pos`; returns the end position. */
function writeRecords(buf: Buffer, pos: number, records: readonly RecordInput[], defaultTimestamp: number | undefined, baseTs: number): number {
  const lens = fieldLengths
  let li = 0
  for (let i = 0; i < records.length; i++) {
    const rec = records[i] as RecordInput
    pos = writeVarInt(buf, pos, bodySizes[i] as number)
    buf[pos++] = 0
    pos = writeVarLong(buf, pos, (rec.timestamp ?? (defaultTimestamp as number)) - baseTs)
    pos = writeVarInt(buf, pos, rec.offsetDelta ?? i)
    const kl = lens[li++] as number
    pos = writeVarInt(buf, pos, kl)
    if (kl >= 0) pos = writeBytes(buf, pos, rec.key as Uint8Array | string, kl)
    const vl = lens[li++] as number
    pos = writeVarInt(buf, pos, vl)
    if (vl >= 0) pos = writeBytes(buf, pos, rec.value as Uint8Array | string, vl)
    const headers = rec.headers
    if (headers === undefined || headers.length === 0) {
      buf[pos++] = 0
      continue
    }
    pos = writeVarInt(buf, pos, headers.length)
    for (let h = 0; h < headers.length; h++) {
      const header = headers[h] as RecordHeaderInput
      const hk = lens[li++] as number
      pos = writeVarInt(buf, pos, hk)
      pos = writeBytes(buf, pos, header.key, hk)
      const hv = lens[li++] as number
      pos = writeVarInt(buf, pos, hv)
      if (hv >= 0) pos = writeBytes(buf, pos, header.value as Uint8Array | string, hv)
    }
  }
  return pos
}

/** Encodes records as one RecordBatch v2 (magic 2), CRC-32C included. */
export function encodeRecordBatch(records: readonly RecordInput[], options: EncodeBatchOptions = {}): Buffer {
  const n = records.length
  const baseOffset = options.baseOffset ?? 0
  if (!Number.isSafeInteger(baseOffset)) throw invalid(`baseOffset ${baseOffset} is not a safe integer`)
  const producerId = options.producerId ?? -1
  if (!Number.isSafeInteger(producerId)) throw invalid(`producerId ${producerId} is not a safe integer`)
  const producerEpoch = checkInt('producerEpoch', options.producerEpoch ?? -1, -1, 0x7fff)
  const baseSequence = checkInt('baseSequence', options.baseSequence ?? -1, -1, INT32_MAX)
  const leaderEpoch = checkInt('partitionLeaderEpoch', options.partitionLeaderEpoch ?? -1, -1, INT32_MAX)
  const codec = codecFromName(options.compression ?? 'none')
  const logAppend = options.timestampType === TimestampType.LOG_APPEND_TIME
  const defaultTs = options.timestamp
  if (defaultTs !== undefined && !Number.isSafeInteger(defaultTs)) throw invalid(`timestamp ${defaultTs} is not a safe integer`)
  if (logAppend && defaultTs === undefined) throw invalid('a LogAppendTime batch needs options.timestamp (the append time)')

  measure(records, defaultTs)
  const { total } = measured
  let baseTs = measured.baseTimestamp
  let maxTs = measured.maxTimestamp
  if (n === 0) {
    if (options.lastOffsetDelta === undefined) throw invalid('an empty batch needs options.lastOffsetDelta')
    baseTs = maxTs = defaultTs ?? -1
  }
  if (logAppend) maxTs = defaultTs as number
  const lastOffsetDelta = checkInt('lastOffsetDelta', options.lastOffsetDelta ?? measured.lastDelta, Math.max(0, measured.lastDelta), INT32_MAX)

  let buf: Buffer
  if (codec === 0) {
    buf = Buffer.allocUnsafe(BATCH_OVERHEAD + total)
    writeRecords(buf, BATCH_OVERHEAD, records, defaultTs, baseTs)
  } else {
    if (scratch.length < total) scratch = Buffer.allocUnsafeSlow(Math.max(total, scratch.length * 2))
    writeRecords(scratch, 0, records, defaultTs, baseTs)
    const compressed = compress(codec, scratch.subarray(0, total), options.compressionLevel)
    if (compressed.length > INT32_MAX - BATCH_OVERHEAD) throw new TributaryError(ErrorCode.RECORD_TOO_LARGE, 'compressed batch is too large')
    buf = Buffer.allocUnsafe(BATCH_OVERHEAD + compressed.length)
    compressed.copy(buf, BATCH_OVERHEAD)
  }

  let attributes = codec
  if (logAppend) attributes |= Attributes.TIMESTAMP_LOG_APPEND
  if (options.transactional === true) attributes |= Attributes.TRANSACTIONAL
  if (options.control === true) attributes |= Attributes.CONTROL
  writeInt64(buf, BatchOffsets.baseOffset, baseOffset)
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, BatchOffsets.batchLength)
  buf.writeInt32BE(leaderEpoch, BatchOffsets.partitionLeaderEpoch)
  buf[BatchOffsets.magic] = 2
  buf.writeInt16BE(attributes, BatchOffsets.attributes)
  buf.writeInt32BE(lastOffsetDelta, BatchOffsets.lastOffsetDelta)
  writeInt64(buf, BatchOffsets.baseTimestamp, baseTs)
  writeInt64(buf, BatchOffsets.maxTimestamp, maxTs)
  writeInt64(buf, BatchOffsets.producerId, producerId)
  buf.writeInt16BE(producerEpoch, BatchOffsets.producerEpoch)
  buf.writeInt32BE(baseSequence, BatchOffsets.baseSequence)
  buf.writeInt32BE(n, BatchOffsets.recordsCount)
  buf.writeUInt32BE(crc32c(buf, BatchOffsets.attributes, buf.length), BatchOffsets.crc)
  return buf
}
