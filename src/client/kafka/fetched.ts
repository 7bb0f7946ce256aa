/**
 * @module One partition of a Fetch response (batches decoded by @platformatic/kafka) as one
 * ConsumerBatch: offsets converted from bigint once per batch, records before the position
 * dropped (a fetch starts at the batch holding the position), control batches skipped, and for
 * read_committed the batches of aborted transactions dropped as Kafka's consumer does.
 */
import { type RecordsBatch } from '@platformatic/kafka'
import { type ConsumerBatch, type ConsumerRecord, type RecordHeader } from '../types.ts'

const TIMESTAMP_TYPE_LOG_APPEND = 1 << 3
const TRANSACTIONAL = 1 << 4
const CONTROL = 1 << 5

export interface AbortedTransaction {
  producerId: bigint
  firstOffset: bigint
}

/**
 * Decodes `batches` for topic-partition read from `position`. `nextOffset` is past the last batch
 * seen, even when it held no record for the caller (control records, aborted transactions).
 * `aborted` is given only for read_committed fetches.
 */
export function toConsumerBatch(
  topic: string,
  partition: number,
  batches: readonly RecordsBatch[],
  position: number,
  highWatermark: number,
  aborted?: readonly AbortedTransaction[],
): ConsumerBatch {
  const records: ConsumerRecord[] = []
  let nextOffset = position
  // Aborted transactions in order of first offset; a producer's is active from its first offset to its abort marker.
  const pending = aborted === undefined ? [] : [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0))
  const abortedProducers = new Set<bigint>()
  for (const batch of batches) {
    const base = Number(batch.firstOffset)
    const last = base + batch.lastOffsetDelta
    if (last + 1 > nextOffset) nextOffset = last + 1
    while (pending.length > 0 && (pending[0] as AbortedTransaction).firstOffset <= BigInt(last)) abortedProducers.add((pending.shift() as AbortedTransaction).producerId)
    if ((batch.attributes & CONTROL) !== 0) {
      // Control record key: int16 version, int16 type (0 = abort, 1 = commit). The abort closes the range.
      const type = batch.records[0]?.key?.readInt16BE(2)
      if (type === 0) abortedProducers.delete(batch.producerId)
      continue
    }
    if (last < position) continue
    if (aborted !== undefined && (batch.attributes & TRANSACTIONAL) !== 0 && abortedProducers.has(batch.producerId)) continue
    const logAppend = (batch.attributes & TIMESTAMP_TYPE_LOG_APPEND) !== 0
    const firstTimestamp = Number(batch.firstTimestamp)
    const maxTimestamp = Number(batch.maxTimestamp)
    for (const r of batch.records) {
      const offset = base + r.offsetDelta
      if (offset < position) continue
      const headers: RecordHeader[] = []
      for (const [k, v] of r.headers) headers.push({ key: k === null ? '' : k.toString('utf8'), value: v })
      records.push({
        topic,
        partition,
        offset,
        timestamp: logAppend ? maxTimestamp : firstTimestamp + Number(r.timestampDelta),
        key: r.key,
        value: r.value,
        headers,
      })
    }
  }
  return { topic, partition, records, highWatermark, nextOffset }
}
