/**
 * @module RecordBatch v2 decoding for consumers. Keys and values are subarrays of the batch (or of its
 * decompressed records), never copies; every record is one object literal of a fixed shape, so the
 * consumer's record arrays stay monomorphic. Every length read is checked against the end of its record
 * before use; nothing is read beyond pos + size. On any error the output array is restored to its length
 * on entry, so bad input changes nothing.
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { readVarInt, readVarLong, type VarintCursor } from '../../util/varint.ts'
import { crc32c } from '../../util/crc32c.ts'
import {
  Attributes,
  BATCH_OVERHEAD,
  BatchOffsets,
  type BatchHeader,
  LOG_OVERHEAD,
  checkBatch,
  readBatchHeader,
} from './batch-header.ts'
import { decompress } from './compression.ts'

export interface DecodedHeader {
  key: string
  value: Buffer | null
}

/** Structurally the ConsumerRecord of src/client/types.ts. */
export interface DecodedRecord {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: readonly DecodedHeader[]
}

export interface DecodeOptions {
  /** Ceiling on the decompressed records of one batch (default 64 MiB); beyond it RECORD_TOO_LARGE. */
  maxUncompressedBytes?: number
  /** Control batches (transaction markers) are skipped unless this is true. */
  includeControl?: boolean
  /** Verify the batch CRC too (default false: checkBatch or forEachBatch have usually done it). */
  verifyCrc?: boolean
}

export const DEFAULT_MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024
/** Smallest encoded record: length, attributes, timestamp delta, offset delta, key, value, header count. */
const MIN_RECORD_SIZE = 7
const TWO_32 = 0x100000000
const EMPTY_HEADERS: readonly DecodedHeader[] = Object.freeze([])

function corrupt(reason: string): TributaryError {
  return new TributaryError(ErrorCode.CORRUPT_RECORD, reason)
}

function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4)
}

const cur: VarintCursor = { pos: 0 }

/** Varint at cur.pos bounded by `end`; the one-byte case, by far the most common, skips the call. */
function varint(buf: Buffer, end: number): number {
  const p = cur.pos
  if (p < end) {
    const b = buf[p] as number
    if (b < 0x80) {
      cur.pos = p + 1
      return (b >>> 1) ^ -(b & 1)
    }
  }
  return readVarInt(buf, cur, end)
}

function bytesField(buf: Buffer, end: number, what: string): Buffer | null {
  const len = varint(buf, end)
  if (len === -1) return null
  const p = cur.pos
  if (len < -1) throw corrupt(`negative ${what} length ${len}`)
  if (len > end - p) throw corrupt(`${what} of ${len} bytes runs past the end of its record`)
  cur.pos = p + len
  return buf.subarray(p, p + len)
}

function readHeaders(buf: Buffer, end: number): readonly DecodedHeader[] {
  const count = varint(buf, end)
  if (count === 0) return EMPTY_HEADERS
  // Each header takes at least two bytes (key length, value length).
  if (count < 0 || count > (end - cur.pos) / 2) throw corrupt(`invalid header count ${count}`)
  const headers: DecodedHeader[] = []
  for (let h = 0; h < count; h++) {
    const kl = varint(buf, end)
    const p = cur.pos
    if (kl < 0) throw corrupt(`invalid header key length ${kl}`)
    if (kl > end - p) throw corrupt(`header key of ${kl} bytes runs past the end of its record`)
    cur.pos = p + kl
    const key = buf.toString('utf8', p, p + kl)
    const value = bytesField(buf, end, 'header value')
    headers.push({ key, value })
  }
  return headers
}

/**
 * Decodes the records of the batch buf[pos, pos + size) and pushes them to `out`. Control batches are
 * skipped unless options.includeControl. Throws CORRUPT_RECORD (with the reason) on malformed input,
 * RECORD_TOO_LARGE when decompressed records would exceed options.maxUncompressedBytes.
 */
export function decodeRecords(
  batch: Buffer,
  pos: number,
  size: number,
  topic: string,
  partition: number,
  out: DecodedRecord[],
  options?: DecodeOptions,
): void {
  if (!Number.isInteger(pos) || !Number.isInteger(size) || pos < 0 || size < BATCH_OVERHEAD || size > batch.length - pos) {
    throw corrupt(`no complete batch of ${size} bytes at position ${pos} of a ${batch.length}-byte buffer`)
  }
  const end = pos + size
  const batchLength = batch.readInt32BE(pos + BatchOffsets.batchLength)
  if (batchLength !== size - LOG_OVERHEAD) throw corrupt(`batch length field ${batchLength} disagrees with the batch size ${size}`)
  const magic = batch[pos + BatchOffsets.magic] as number
  if (magic !== 2) throw corrupt(`unsupported magic byte ${magic}`)
  if (options?.verifyCrc === true) {
    const stored = batch.readUInt32BE(pos + BatchOffsets.crc)
    if (crc32c(batch, pos + BatchOffsets.attributes, end) !== stored) throw corrupt('CRC mismatch')
  }
  const attributes = batch.readInt16BE(pos + BatchOffsets.attributes)
  if ((attributes & Attributes.CONTROL) !== 0 && options?.includeControl !== true) return
  const codec = attributes & Attributes.COMPRESSION_MASK
  if (codec > 4) throw new TributaryError(ErrorCode.UNSUPPORTED_COMPRESSION, `unknown compression codec ${codec}`)
  const lastOffsetDelta = batch.readInt32BE(pos + BatchOffsets.lastOffsetDelta)
  const count = batch.readInt32BE(pos + BatchOffsets.recordsCount)
  if (count < 0 || lastOffsetDelta < 0) throw corrupt(`negative record count ${count} or last offset delta ${lastOffsetDelta}`)
  // Offset deltas strictly increase within [0, lastOffsetDelta].
  if (count > lastOffsetDelta + 1) throw corrupt(`${count} records cannot fit offset deltas up to ${lastOffsetDelta}`)
  const baseOffset = readInt64(batch, pos + BatchOffsets.baseOffset)
  const baseTimestamp = readInt64(batch, pos + BatchOffsets.baseTimestamp)
  const maxTimestamp = readInt64(batch, pos + BatchOffsets.maxTimestamp)
  const logAppend = (attributes & Attributes.TIMESTAMP_LOG_APPEND) !== 0

  let data = batch
  let start = pos + BATCH_OVERHEAD
  let stop = end
  if (codec !== 0) {
    if (count === 0) return
    data = decompress(codec as 1 | 2 | 3 | 4, batch.subarray(start, end), options?.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_BYTES)
    start = 0
    stop = data.length
  }
  if (count > (stop - start) / MIN_RECORD_SIZE) throw corrupt(`${count} records cannot fit in ${stop - start} bytes`)

  const mark = out.length
  try {
    cur.pos = start
    let prevDelta = -1
    for (let i = 0; i < count; i++) {
      const length = varint(data, stop)
      const recordStart = cur.pos
      if (length < MIN_RECORD_SIZE - 1 || length > stop - recordStart) throw corrupt(`record ${i} has invalid length ${length}`)
      const recordEnd = recordStart + length
      cur.pos = recordStart + 1 // attributes: unused in v2
      const timestampDelta = readVarLong(data, cur, recordEnd)
      const offsetDelta = varint(data, recordEnd)
      if (offsetDelta <= prevDelta || offsetDelta > lastOffsetDelta) {
        throw corrupt(`record ${i} has offset delta ${offsetDelta} (previous ${prevDelta}, last ${lastOffsetDelta})`)
      }
      prevDelta = offsetDelta
      const key = bytesField(data, recordEnd, 'key')
      const value = bytesField(data, recordEnd, 'value')
      const headers = readHeaders(data, recordEnd)
      if (cur.pos !== recordEnd) throw corrupt(`record ${i} declares ${length} bytes but its fields take ${cur.pos - recordStart}`)
      out.push({
        topic,
        partition,
        offset: baseOffset + offsetDelta,
        timestamp: logAppend ? maxTimestamp : baseTimestamp + timestampDelta,
        key,
        value,
        headers,
      })
    }
    if (cur.pos !== stop) throw corrupt(`${stop - cur.pos} bytes remain after the last of ${count} records`)
  } catch (err) {
    out.length = mark
    if (err instanceof TributaryError) throw err
    throw new TributaryError(ErrorCode.CORRUPT_RECORD, `undecodable batch: ${String(err)}`, { cause: err })
  }
}

export interface DecodedBatch {
  header: BatchHeader
  records: DecodedRecord[]
}

/**
 * Validates (framing, magic, CRC) and decodes the whole batch at `pos`, control records included unless
 * options.includeControl is false. For tests, compaction and tools; consumers use decodeRecords.
 */
export function decodeRecordBatch(
  buf: Buffer,
  pos = 0,
  options: DecodeOptions & { topic?: string; partition?: number } = {},
): DecodedBatch {
  const check = checkBatch(buf, pos, buf.length)
  if (check.kind !== 'ok') throw corrupt(`batch at position ${pos}: ${check.reason}`)
  const header = readBatchHeader(buf, pos)
  const records: DecodedRecord[] = []
  decodeRecords(buf, pos, check.sizeInBytes, options.topic ?? '', options.partition ?? -1, records, {
    includeControl: options.includeControl ?? true,
    ...(options.maxUncompressedBytes === undefined ? {} : { maxUncompressedBytes: options.maxUncompressedBytes }),
  })
  return { header, records }
}

export interface ForEachBatchOptions {
  /** Check each batch's CRC (default true). Without it only framing and magic are checked. */
  verifyCrc?: boolean
  /** Largest batch size accepted (default 2^31 - 1); a larger length field is corruption. */
  maxBatchSize?: number
}

/**
 * Calls visit(pos, size) for each complete batch in buf[start, end), in order, until visit returns false
 * or the bytes run out. An incomplete trailing batch (a fetch response cut at its byte limit, a torn log
 * tail) ends the walk quietly; a corrupt batch throws CORRUPT_RECORD. Returns the position after the
 * last batch visited, where an incomplete tail (if any) begins.
 */
export function forEachBatch(
  buf: Buffer,
  start: number,
  end: number,
  visit: (pos: number, size: number) => boolean | void,
  options: ForEachBatchOptions = {},
): number {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > buf.length || start > end) {
    throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `invalid range [${start}, ${end}) of a ${buf.length}-byte buffer`)
  }
  const verifyCrc = options.verifyCrc ?? true
  const maxBatchSize = options.maxBatchSize ?? 0x7fffffff
  let pos = start
  while (pos < end) {
    let size: number
    if (verifyCrc) {
      const check = checkBatch(buf, pos, end, maxBatchSize)
      if (check.kind === 'incomplete') break
      if (check.kind === 'corrupt') throw corrupt(`batch at position ${pos}: ${check.reason}`)
      size = check.sizeInBytes
    } else {
      if (end - pos < BATCH_OVERHEAD) break
      size = buf.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD
      if (size < BATCH_OVERHEAD || size > maxBatchSize) throw corrupt(`batch at position ${pos} has invalid length ${size - LOG_OVERHEAD}`)
      const magic = buf[pos + BatchOffsets.magic] as number
      if (magic !== 2) throw corrupt(`batch at position ${pos} has unsupported magic byte ${magic}`)
      if (size > end - pos) break
    }
    const next = pos + size
    if (visit(pos, size) === false) return next
    pos = next
  }
  return pos
}
