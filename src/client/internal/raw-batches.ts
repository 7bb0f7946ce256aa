/**
 * @module Record batches as bytes, for a client whose records cross a thread boundary (the remote
 * client): the embedded consumer can hand out a fetch's stored RecordBatch v2 bytes undecoded, and
 * the embedded producer can append a batch its caller encoded. The host thread then only moves bytes;
 * the worker decodes and encodes (decodeFetched, encodePartitionBatch) on its own core.
 *
 * Internal on purpose: these are optional capabilities of a client's Consumer / Producer objects, not
 * part of src/client/types.ts. A host serving a client without them (the Kafka client) falls back to
 * records (see src/client/remote/host.ts).
 */
import { BATCH_OVERHEAD, BatchOffsets, LOG_OVERHEAD, isControlBatch } from '../../protocol/records/batch-header.ts'
import { decodeRecords, encodeRecordBatch } from '../../protocol/records/record-batch.ts'
import { type CompressionType, type ConsumerBatch, type ConsumerRecord, type Producer, type ProducerRecord, type RecordMetadata, type SendOptions, type Consumer } from '../types.ts'

/** The stored batches one fetch returned for one partition, as the broker returned them. */
export interface RawPartitionBatches {
  topic: string
  partition: number
  /** Whole RecordBatch v2 batches; the first may start before `position`. */
  bytes: Buffer
  /** The position the fetch read from: records before it are not for the caller. */
  position: number
  highWatermark: number
  /** Offset after the last batch in `bytes`: the consumer's position once these are handed out. */
  nextOffset: number
}

/** A consumer that can yield fetched batches undecoded; positions advance as with batches(). */
export interface RawBatchSource {
  rawBatches(options?: { signal?: AbortSignal }): AsyncIterable<RawPartitionBatches>
}

/** A producer that appends RecordBatch v2 bytes its caller encoded (offsets assigned on append). */
export interface EncodedBatchSink {
  /** Partition count of `topic` (UNKNOWN_TOPIC when it does not exist); `fresh` skips any cache. */
  partitionCount(topic: string, fresh?: boolean): Promise<number>
  appendBatch(topic: string, partition: number, bytes: Buffer, options?: SendOptions): Promise<RecordMetadata>
}

export function isRawBatchSource(c: Consumer): c is Consumer & RawBatchSource {
  return typeof (c as Partial<RawBatchSource>).rawBatches === 'function'
}

export function isEncodedBatchSink(p: Producer): p is Producer & EncodedBatchSink {
  const s = p as Partial<EncodedBatchSink>
  return typeof s.appendBatch === 'function' && typeof s.partitionCount === 'function'
}

/**
 * Walks the whole batches of `bytes` (a torn or short tail ends the walk), calling `visit` with each
 * data batch whose last offset is at or past `position` (control batches skipped); returns the offset
 * past the last batch seen, at least `position`.
 */
function walkBatches(bytes: Buffer, position: number, visit: (pos: number, size: number) => void): number {
  let nextOffset = position
  let pos = 0
  while (bytes.length - pos >= BATCH_OVERHEAD) {
    const size = bytes.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD
    if (size < BATCH_OVERHEAD || pos + size > bytes.length) break
    const lastOffset = baseOffsetAt(bytes, pos) + bytes.readInt32BE(pos + BatchOffsets.lastOffsetDelta)
    if (lastOffset >= position && !isControlBatch(bytes.readInt16BE(pos + BatchOffsets.attributes))) visit(pos, size)
    if (lastOffset + 1 > nextOffset) nextOffset = lastOffset + 1
    pos += size
  }
  return nextOffset
}

/** What a fetch's bytes hold for a reader at `position`, from the batch headers alone. */
export function scanFetched(bytes: Buffer, position: number): { nextOffset: number; hasRecords: boolean } {
  let hasRecords = false
  const nextOffset = walkBatches(bytes, position, (pos) => {
    if (bytes.readInt32BE(pos + BatchOffsets.recordsCount) > 0) hasRecords = true
  })
  return { nextOffset, hasRecords }
}

/**
 * Decodes `bytes` (whole batches) for topic-partition read from `position`: records as zero-copy
 * views into the bytes, records before the position dropped (a fetch starts at the batch holding the
 * position), control batches skipped. `nextOffset` is past the last batch seen, even when it held no
 * record for the caller (compacted away, control records).
 */
export function decodeFetched(topic: string, partition: number, bytes: Buffer, position: number, highWatermark: number): ConsumerBatch {
  const records: ConsumerRecord[] = []
  const nextOffset = walkBatches(bytes, position, (pos, size) => decodeRecords(bytes, pos, size, topic, partition, records))
  let skip = 0
  while (skip < records.length && (records[skip] as ConsumerRecord).offset < position) skip++
  if (skip > 0) records.splice(0, skip)
  return { topic, partition, records, highWatermark, nextOffset }
}

/** One RecordBatch v2 of records bound for one partition, as a producer sends it (base offset 0). */
export function encodePartitionBatch(records: readonly ProducerRecord[], compression: CompressionType, timestamp: number): Buffer {
  return encodeRecordBatch(records, { compression, timestamp })
}

/** The records of encoded batches, to send them through a producer that takes only records. */
export function decodeForResend(topic: string, partition: number, bytes: Buffer): ProducerRecord[] {
  const decoded: ConsumerRecord[] = []
  let pos = 0
  while (bytes.length - pos >= BATCH_OVERHEAD) {
    const size = bytes.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD
    decodeRecords(bytes, pos, size, topic, partition, decoded, { verifyCrc: true })
    pos += size
  }
  return decoded.map((r) => ({ topic, partition, key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp }))
}

function baseOffsetAt(bytes: Buffer, pos: number): number {
  return bytes.readInt32BE(pos + BatchOffsets.baseOffset) * 0x100000000 + bytes.readUInt32BE(pos + BatchOffsets.baseOffset + 4)
}
