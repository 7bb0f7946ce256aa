/**
 * @module Durable transaction state: one record per change of a transactional id, in the compacted
 * internal topic `__transaction_state` (key = transactional id, value = JSON), appended through
 * the partition log so a change is acknowledged only once on disk, and replayed at start (the
 * last record of an id wins).
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type Clock } from '../../util/clock.ts'
import { type DecodedRecord, decodeRecords, encodeRecordBatch, forEachBatch } from '../../protocol/records/record-batch.ts'
import { readBatchHeader } from '../../protocol/records/batch-header.ts'
import { type PartitionLog } from '../../log/types.ts'

export const TRANSACTION_STATE_TOPIC = '__transaction_state'
const RECORD_VERSION = 1
const LOAD_CHUNK_BYTES = 1024 * 1024

export type TxnState = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort'

/** What survives a restart of one transactional id. */
export interface TxnRecord {
  producerId: number
  producerEpoch: number
  /** The epoch before a bump by the coordinator itself (timeout), which the producer may still present once; -1 if none. */
  lastEpoch: number
  timeoutMs: number
  state: TxnState
  /** When the open transaction started (clock ms); -1 when none is open. */
  startedAt: number
  partitions: [string, number][]
  groups: string[]
  /** Staged offsets, recorded with PrepareCommit: group → [topic, partition, offset, metadata]. */
  offsets: Record<string, [string, number, number, string | null][]>
}

function isRecord(v: unknown): v is TxnRecord & { v: number } {
  if (typeof v !== 'object' || v === null) return false
  const r = v as Record<string, unknown>
  return (
    r['v'] === RECORD_VERSION &&
    Number.isSafeInteger(r['producerId']) &&
    Number.isInteger(r['producerEpoch']) &&
    typeof r['state'] === 'string' &&
    Array.isArray(r['partitions']) &&
    Array.isArray(r['groups']) &&
    typeof r['offsets'] === 'object'
  )
}

/** The topic's one partition log; created on first use when `create` is set, so brokers without transactions do not have the topic. */
export type StateLogOpener = (create: boolean) => Promise<PartitionLog | undefined>

export class TransactionLog {
  readonly #open: StateLogOpener
  readonly #clock: Clock

  constructor(open: StateLogOpener, clock: Clock) {
    this.#open = open
    this.#clock = clock
  }

  async write(transactionalId: string, record: TxnRecord): Promise<void> {
    const log = await this.#open(true)
    if (log === undefined) throw new TributaryError(ErrorCode.ILLEGAL_STATE, `${TRANSACTION_STATE_TOPIC} could not be created`)
    const value = Buffer.from(JSON.stringify({ v: RECORD_VERSION, ...record }), 'utf8')
    await log.append(encodeRecordBatch([{ key: transactionalId, value }], { timestamp: this.#clock.now() }))
  }

  /** The last state of every transactional id. */
  async load(): Promise<Map<string, TxnRecord>> {
    const out = new Map<string, TxnRecord>()
    const log = await this.#open(false)
    if (log === undefined) return out
    const decoded: DecodedRecord[] = []
    let offset = log.logStartOffset
    while (offset < log.highWatermark) {
      const { records } = log.read(offset, LOAD_CHUNK_BYTES)
      if (records.length === 0) break
      let next = offset
      forEachBatch(records, 0, records.length, (pos, size) => {
        const h = readBatchHeader(records, pos)
        next = Math.max(next, h.baseOffset + h.lastOffsetDelta + 1)
        decoded.length = 0
        decodeRecords(records, pos, size, TRANSACTION_STATE_TOPIC, 0, decoded)
        for (const r of decoded) {
          if (r.offset < offset || r.key === null) continue
          const id = r.key.toString('utf8')
          if (r.value === null) {
            out.delete(id)
            continue
          }
          let parsed: unknown
          try {
            parsed = JSON.parse(r.value.toString('utf8'))
          } catch {
            parsed = undefined
          }
          if (!isRecord(parsed)) throw new TributaryError(ErrorCode.CORRUPT_LOG, `transaction state record at offset ${r.offset} is not readable`)
          const { v: _v, ...record } = parsed
          out.set(id, record)
        }
      })
      if (next <= offset) throw new TributaryError(ErrorCode.CORRUPT_LOG, `${TRANSACTION_STATE_TOPIC} does not advance at offset ${offset}`)
      offset = next
    }
    return out
  }
}
