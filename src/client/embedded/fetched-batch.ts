/**
 * @module Turns the stored batches a fetch returned for one partition into one ConsumerBatch:
 * records decoded straight from the fetched bytes (zero-copy keys and values), records before the
 * position dropped (a fetch starts at the batch holding the position), control batches skipped.
 */
import { BATCH_OVERHEAD, BatchOffsets, LOG_OVERHEAD, isControlBatch } from '../../protocol/records/batch-header.ts'
import { decodeRecords } from '../../protocol/records/record-batch.ts'
import { type ConsumerBatch, type ConsumerRecord } from '../types.ts'

/**
 * Decodes `bytes` (whole batches) for topic-partition read from `position`. `nextOffset` is past the
 * last batch seen, even when it held no record for the caller (compacted away, control records).
 */
export function decodeFetched(topic: string, partition: number, bytes: Buffer, position: number, highWatermark: number): ConsumerBatch {
  const records: ConsumerRecord[] = []
  let nextOffset = position
  let pos = 0
  while (bytes.length - pos >= BATCH_OVERHEAD) {
    const size = bytes.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD
    if (size < BATCH_OVERHEAD || pos + size > bytes.length) break
    const baseOffset = bytes.readInt32BE(pos + BatchOffsets.baseOffset) * 0x100000000 + bytes.readUInt32BE(pos + BatchOffsets.baseOffset + 4)
    const lastOffset = baseOffset + bytes.readInt32BE(pos + BatchOffsets.lastOffsetDelta)
    if (lastOffset >= position && !isControlBatch(bytes.readInt16BE(pos + BatchOffsets.attributes))) {
      decodeRecords(bytes, pos, size, topic, partition, records)
    }
    if (lastOffset + 1 > nextOffset) nextOffset = lastOffset + 1
    pos += size
  }
  let skip = 0
  while (skip < records.length && (records[skip] as ConsumerRecord).offset < position) skip++
  if (skip > 0) records.splice(0, skip)
  return { topic, partition, records, highWatermark, nextOffset }
}
