/**
 * @module RecordBatch v2 header: the fixed 61 bytes in front of the records. The log, the broker
 * and the wire server read these fields in place from stored bytes, without decoding records.
 *
 * Layout: baseOffset int64 @0, batchLength int32 @8 (bytes after this field), partitionLeaderEpoch
 * int32 @12, magic int8 @16, crc uint32 @17 (CRC-32C of [21, end)), attributes int16 @21,
 * lastOffsetDelta int32 @23, baseTimestamp int64 @27, maxTimestamp int64 @35, producerId int64 @43,
 * producerEpoch int16 @51, baseSequence int32 @53, recordsCount int32 @57, records @61.
 */
import { crc32c } from '../../util/crc32c.ts'
import { ErrorCode, TributaryError } from '../../util/errors.ts'

export const BatchOffsets = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordsCount: 57,
  records: 61,
} as const

/** Size of the batch header; also the smallest possible batch. */
export const BATCH_OVERHEAD = 61
/** Bytes before (and excluding) the batchLength-counted region. */
export const LOG_OVERHEAD = 12

export const Attributes = {
  COMPRESSION_MASK: 0x07,
  TIMESTAMP_LOG_APPEND: 0x08,
  TRANSACTIONAL: 0x10,
  CONTROL: 0x20,
  DELETE_HORIZON: 0x40,
} as const

export const CompressionCodec = {
  none: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
} as const
export type CompressionCodec = (typeof CompressionCodec)[keyof typeof CompressionCodec]
export type CompressionName = keyof typeof CompressionCodec

export const TimestampType = {
  CREATE_TIME: 0,
  LOG_APPEND_TIME: 1,
} as const
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType]

/** The header fields of one batch, read from its bytes. Offsets and timestamps as JS numbers. */
export interface BatchHeader {
  baseOffset: number
  /** Total size in bytes of the batch (batchLength + 12). */
  sizeInBytes: number
  partitionLeaderEpoch: number
  magic: number
  crc: number
  attributes: number
  lastOffsetDelta: number
  baseTimestamp: number
  maxTimestamp: number
  producerId: number
  producerEpoch: number
  baseSequence: number
  recordsCount: number
}

function readInt64AsNumber(buf: Buffer, pos: number): number {
  return Number(buf.readBigInt64BE(pos))
}

/** Reads the header of the batch at `pos`. The caller must have checked that 61 bytes are present. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  return {
    baseOffset: readInt64AsNumber(buf, pos + BatchOffsets.baseOffset),
    sizeInBytes: buf.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD,
    partitionLeaderEpoch: buf.readInt32BE(pos + BatchOffsets.partitionLeaderEpoch),
    magic: buf.readInt8(pos + BatchOffsets.magic),
    crc: buf.readUInt32BE(pos + BatchOffsets.crc),
    attributes: buf.readInt16BE(pos + BatchOffsets.attributes),
    lastOffsetDelta: buf.readInt32BE(pos + BatchOffsets.lastOffsetDelta),
    baseTimestamp: readInt64AsNumber(buf, pos + BatchOffsets.baseTimestamp),
    maxTimestamp: readInt64AsNumber(buf, pos + BatchOffsets.maxTimestamp),
    producerId: readInt64AsNumber(buf, pos + BatchOffsets.producerId),
    producerEpoch: buf.readInt16BE(pos + BatchOffsets.producerEpoch),
    baseSequence: buf.readInt32BE(pos + BatchOffsets.baseSequence),
    recordsCount: buf.readInt32BE(pos + BatchOffsets.recordsCount),
  }
}

/** Overwrites baseOffset in place (outside the CRC'd region, so the CRC stays valid). */
export function setBaseOffset(buf: Buffer, pos: number, baseOffset: number): void {
  buf.writeBigInt64BE(BigInt(baseOffset), pos + BatchOffsets.baseOffset)
}

/** Overwrites partitionLeaderEpoch in place (outside the CRC'd region). */
export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + BatchOffsets.partitionLeaderEpoch)
}

/** CRC-32C of the batch at `pos` as computed over its bytes (not the stored field). */
export function computeBatchCrc(buf: Buffer, pos: number, sizeInBytes: number): number {
  return crc32c(buf, pos + BatchOffsets.attributes, pos + sizeInBytes)
}

/**
 * Outcome of checking the batch at `pos` against the bytes present: `ok` with its size,
 * `incomplete` when the bytes end before the batch does (a torn tail), or `corrupt` with a reason.
 */
export type BatchCheck =
  | { kind: 'ok'; sizeInBytes: number }
  | { kind: 'incomplete'; reason: string }
  | { kind: 'corrupt'; reason: string }

/**
 * Validates framing, magic and CRC of the batch starting at `pos` in buf[pos, end).
 * Never reads beyond `end`; `maxBatchSize` bounds what a length field may claim.
 */
export function checkBatch(buf: Buffer, pos: number, end: number, maxBatchSize = 0x7fffffff): BatchCheck {
  const available = end - pos
  if (available < LOG_OVERHEAD) return { kind: 'incomplete', reason: `only ${available} bytes, less than a batch header` }
  const batchLength = buf.readInt32BE(pos + BatchOffsets.batchLength)
  const size = batchLength + LOG_OVERHEAD
  if (batchLength < BATCH_OVERHEAD - LOG_OVERHEAD) return { kind: 'corrupt', reason: `batch length ${batchLength} is below the minimum` }
  if (size > maxBatchSize) return { kind: 'corrupt', reason: `batch length ${batchLength} exceeds the limit of ${maxBatchSize} bytes` }
  if (available < BATCH_OVERHEAD) return { kind: 'incomplete', reason: `only ${available} bytes, less than a batch header` }
  const magic = buf.readInt8(pos + BatchOffsets.magic)
  if (magic !== 2) return { kind: 'corrupt', reason: `unsupported magic byte ${magic}` }
  if (available < size) return { kind: 'incomplete', reason: `batch of ${size} bytes but only ${available} present` }
  const stored = buf.readUInt32BE(pos + BatchOffsets.crc)
  const actual = computeBatchCrc(buf, pos, size)
  if (stored !== actual) return { kind: 'corrupt', reason: `CRC mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)})` }
  const count = buf.readInt32BE(pos + BatchOffsets.recordsCount)
  const lastOffsetDelta = buf.readInt32BE(pos + BatchOffsets.lastOffsetDelta)
  if (count < 0 || lastOffsetDelta < 0) return { kind: 'corrupt', reason: `negative record count ${count} or last offset delta ${lastOffsetDelta}` }
  return { kind: 'ok', sizeInBytes: size }
}

export function compressionOf(attributes: number): CompressionCodec {
  const codec = attributes & Attributes.COMPRESSION_MASK
  if (codec > 4) throw new TributaryError(ErrorCode.UNSUPPORTED_COMPRESSION, `unknown compression codec ${codec}`)
  return codec as CompressionCodec
}

export function isControlBatch(attributes: number): boolean {
  return (attributes & Attributes.CONTROL) !== 0
}

export function isTransactionalBatch(attributes: number): boolean {
  return (attributes & Attributes.TRANSACTIONAL) !== 0
}
