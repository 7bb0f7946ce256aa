/**
 * @module Everything an append checks before it touches the log, so that a bad request fails with a
 * clear error and leaves the log byte-for-byte unchanged: framing, magic, CRC, size limits, record
 * counts, control batches, and keys on compacted topics.
 */
import { BatchOffsets, LOG_OVERHEAD, checkBatch, compressionOf, isControlBatch } from '../protocol/records/batch-header.ts'
import { ErrorCode, TributaryError } from '../util/errors.ts'
import { isCompacted } from './log-config.ts'
import { forEachRecord, recordsSection } from './record-scan.ts'
import { type LogConfig } from './types.ts'

export interface ValidatedAppend {
  batches: number
  /** Offsets the append will take (sum of each batch's lastOffsetDelta + 1). */
  offsets: number
}

function fail(code: (typeof ErrorCode)[keyof typeof ErrorCode], message: string): never {
  throw new TributaryError(code, message)
}

function checkKeys(buf: Buffer, pos: number, size: number, index: number): void {
  const count = buf.readInt32BE(pos + BatchOffsets.recordsCount)
  let section
  try {
    section = recordsSection(buf, pos, size)
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err)
    fail(ErrorCode.CORRUPT_RECORD, `batch ${index}: cannot read its records: ${detail}`)
  }
  forEachRecord(section, count, (r) => {
    if (r.keyLength < 0) fail(ErrorCode.INVALID_RECORD, `batch ${index} holds a record without a key; a compacted topic needs a key on every record`)
  })
}

/**
 * Validates a produce payload of one or more concatenated RecordBatch v2 batches against `config`.
 * Throws a TributaryError (RECORD_TOO_LARGE, CORRUPT_RECORD, INVALID_RECORD, UNSUPPORTED_COMPRESSION).
 */
export function validateAppend(buf: Buffer, config: LogConfig, allowControl: boolean): ValidatedAppend {
  if (!Buffer.isBuffer(buf) || buf.length === 0) fail(ErrorCode.INVALID_RECORD, 'append of zero bytes: expected at least one record batch')
  if (buf.length > config.segmentBytes) {
    fail(ErrorCode.RECORD_TOO_LARGE, `append of ${buf.length} bytes is larger than the segment size ${config.segmentBytes}`)
  }
  const compacted = isCompacted(config)
  let pos = 0
  let batches = 0
  let offsets = 0
  while (pos < buf.length) {
    const available = buf.length - pos
    const where = `batch ${batches} at byte ${pos}`
    if (available >= LOG_OVERHEAD) {
      const declared = buf.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD
      if (declared > config.maxMessageBytes && declared <= available) {
        fail(ErrorCode.RECORD_TOO_LARGE, `${where} is ${declared} bytes, above max.message.bytes ${config.maxMessageBytes}`)
      }
    }
    const check = checkBatch(buf, pos, buf.length)
    if (check.kind === 'incomplete') {
      const what = batches > 0 ? `${available} trailing bytes after the last whole batch` : 'truncated batch'
      fail(ErrorCode.CORRUPT_RECORD, `${where}: ${what} (${check.reason})`)
    }
    if (check.kind === 'corrupt') fail(ErrorCode.CORRUPT_RECORD, `${where}: ${check.reason}`)
    const size = check.sizeInBytes
    const attributes = buf.readInt16BE(pos + BatchOffsets.attributes)
    compressionOf(attributes)
    const count = buf.readInt32BE(pos + BatchOffsets.recordsCount)
    const lastOffsetDelta = buf.readInt32BE(pos + BatchOffsets.lastOffsetDelta)
    if (count < 1) fail(ErrorCode.INVALID_RECORD, `${where} has no records`)
    if (lastOffsetDelta !== count - 1) {
      fail(ErrorCode.INVALID_RECORD, `${where}: lastOffsetDelta ${lastOffsetDelta} does not match its ${count} records`)
    }
    const control = isControlBatch(attributes)
    if (control && !allowControl) fail(ErrorCode.INVALID_RECORD, `${where} is a control batch; only the broker writes those`)
    if (compacted && !control) checkKeys(buf, pos, size, batches)
    offsets += count
    batches++
    pos += size
  }
  return { batches, offsets }
}
