/**
 * @module Walks the records inside one stored batch without copying them: compaction needs each
 * record's key, offset delta, whether it is a tombstone and its raw byte range (a kept record is
 * copied verbatim), and compacted topics must reject keyless records at append time.
 */
import { BATCH_OVERHEAD, BatchOffsets, compressionOf } from '../protocol/records/batch-header.ts'
import { decompress } from '../protocol/records/compression.ts'
import { ErrorCode, TributaryError } from '../util/errors.ts'
import { readVarInt, readVarLong, type VarintCursor } from '../util/varint.ts'

/** Ceiling on a decompressed records section: a small compressed batch cannot make us allocate more. */
export const MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024

/** One record's fields, reused across calls to avoid an allocation per record. */
export interface RecordView {
  /** Byte range of the whole record (length prefix included) in the records buffer. */
  start: number
  end: number
  attributes: number
  timestampDelta: number
  offsetDelta: number
  /** Position right after the offset delta: attributes..offsetDelta can be re-encoded, the rest copied. */
  afterOffsetDelta: number
  /** -1 for a null key. */
  keyLength: number
  keyStart: number
  /** -1 for a null value (a tombstone). */
  valueLength: number
}

export interface RecordsSection {
  buf: Buffer
  start: number
  end: number
}

/** The records bytes of the batch at `pos`, decompressed when the batch is compressed. */
export function recordsSection(batch: Buffer, pos: number, size: number): RecordsSection {
  const codec = compressionOf(batch.readInt16BE(pos + BatchOffsets.attributes))
  if (codec === 0) return { buf: batch, start: pos + BATCH_OVERHEAD, end: pos + size }
  const out = decompress(codec, batch.subarray(pos + BATCH_OVERHEAD, pos + size), MAX_DECOMPRESSED_BYTES)
  return { buf: out, start: 0, end: out.length }
}

function corrupt(message: string): TributaryError {
  return new TributaryError(ErrorCode.CORRUPT_RECORD, message)
}

/**
 * Calls `visit` for each of the `count` records in buf[start, end). The view object is reused:
 * copy what you keep. Throws CORRUPT_RECORD when the records do not fit their section exactly.
 */
export function forEachRecord(section: RecordsSection, count: number, visit: (r: RecordView) => void): void {
  const { buf, end } = section
  const cursor: VarintCursor = { pos: section.start }
  const view: RecordView = {
    start: 0, end: 0, attributes: 0, timestampDelta: 0, offsetDelta: 0, afterOffsetDelta: 0, keyLength: -1, keyStart: 0, valueLength: -1,
  }
  for (let n = 0; n < count; n++) {
    view.start = cursor.pos
    const length = readVarInt(buf, cursor, end)
    if (length < 0 || cursor.pos + length > end) throw corrupt(`record ${n} of ${count} claims ${length} bytes past its batch`)
    const recordEnd = cursor.pos + length
    view.end = recordEnd
    if (cursor.pos >= recordEnd) throw corrupt(`record ${n} is empty`)
    view.attributes = buf[cursor.pos++] as number
    view.timestampDelta = readVarLong(buf, cursor, recordEnd)
    view.offsetDelta = readVarInt(buf, cursor, recordEnd)
    view.afterOffsetDelta = cursor.pos
    view.keyLength = readVarInt(buf, cursor, recordEnd)
    view.keyStart = cursor.pos
    if (view.keyLength < -1 || cursor.pos + Math.max(0, view.keyLength) > recordEnd) throw corrupt(`record ${n} key runs past the record`)
    cursor.pos += Math.max(0, view.keyLength)
    view.valueLength = readVarInt(buf, cursor, recordEnd)
    if (view.valueLength < -1 || cursor.pos + Math.max(0, view.valueLength) > recordEnd) throw corrupt(`record ${n} value runs past the record`)
    visit(view)
    cursor.pos = recordEnd
  }
  if (cursor.pos !== end) throw corrupt(`${end - cursor.pos} bytes left after the batch's ${count} records`)
}
