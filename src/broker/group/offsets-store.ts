/**
 * @module Committed offsets on disk: records in the compacted internal topic `__consumer_offsets`,
 * appended through the ordinary partition log (so a commit is acknowledged only when the log's flush
 * policy says it is durable) and read back in full when the broker starts. A group always writes to
 * the same partition (murmur2 of its id), so the log order of its records is the order of its writes.
 */
import { ErrorCode, TributaryError, isTributaryError } from '../../util/errors.ts'
import { partitionForKey } from '../../util/murmur2.ts'
import { type Clock } from '../../util/clock.ts'
import { readBatchHeader } from '../../protocol/records/batch-header.ts'
import { type DecodedRecord, decodeRecords, encodeRecordBatch, forEachBatch } from '../../protocol/records/record-batch.ts'
import { type PartitionLog } from '../../log/types.ts'
import { type OffsetsWriter } from './group-offsets.ts'
import {
  type LoadedOffset,
  type OffsetWrite,
  decodeOffsetKey,
  decodeOffsetValue,
  encodeOffsetKey,
  encodeOffsetValue,
} from './offsets-codec.ts'

/** How much of the offsets topic is read at a time during load. */
const LOAD_CHUNK_BYTES = 1024 * 1024

export interface LoadSummary {
  records: LoadedOffset[]
  /** Records whose key or value could not be decoded (skipped). */
  skipped: number
}

export class OffsetsStore implements OffsetsWriter {
  readonly #logs: readonly PartitionLog[]
  readonly #clock: Clock

  constructor(logs: readonly PartitionLog[], clock: Clock) {
    if (logs.length === 0) throw new TributaryError(ErrorCode.ILLEGAL_STATE, 'the offsets topic has no partitions')
    this.#logs = logs
    this.#clock = clock
  }

  partitionFor(groupId: string): number {
    return partitionForKey(Buffer.from(groupId, 'utf8'), this.#logs.length)
  }

  async write(groupId: string, writes: readonly OffsetWrite[]): Promise<number> {
    const records = writes.map((w) => ({
      key: encodeOffsetKey(groupId, w.topic, w.partition),
      value: w.value === null ? null : encodeOffsetValue(w.value),
    }))
    const batch = encodeRecordBatch(records, { timestamp: this.#clock.now() })
    const log = this.#logs[this.partitionFor(groupId)] as PartitionLog
    const result = await log.append(batch)
    return result.baseOffset
  }

  /** Every readable record of every partition, each partition in log order. */
  load(): LoadSummary {
    const records: LoadedOffset[] = []
    let skipped = 0
    const decoded: DecodedRecord[] = []
    this.#logs.forEach((log, partition) => {
      let offset = log.logStartOffset
      while (offset < log.highWatermark) {
        const read = log.read(offset, LOAD_CHUNK_BYTES)
        if (read.records.length === 0) break
        let next = offset
        forEachBatch(read.records, 0, read.records.length, (pos, size) => {
          const header = readBatchHeader(read.records, pos)
          next = Math.max(next, header.baseOffset + header.lastOffsetDelta + 1)
          decoded.length = 0
          decodeRecords(read.records, pos, size, '__consumer_offsets', partition, decoded)
          for (const r of decoded) {
            if (r.offset < offset || r.key === null) continue
            try {
              const key = decodeOffsetKey(r.key)
              const value = r.value === null ? null : decodeOffsetValue(r.value)
              records.push({ groupId: key.groupId, topic: key.topic, partition: key.partition, value, logOffset: r.offset })
            } catch (e) {
              // A record of a newer format or a damaged one: skip it, keep the rest of the groups.
              if (!isTributaryError(e)) throw e
              skipped++
            }
          }
        })
        if (next <= offset) {
          throw new TributaryError(ErrorCode.CORRUPT_LOG, `offsets topic partition ${partition} does not advance at offset ${offset}`)
        }
        offset = next
      }
    })
    return { records, skipped }
  }
}
